"""The OpenAPI document tells the real contract (issue 16): every FHIR operation documents exactly the
parameters its request builder reads (GET query parameters, a Parameters body for POST), every route its
status codes with an OperationOutcome body, and the FHIR routes answer ``application/fhir+json``; the
document is valid OpenAPI, and what the server answers for a bad request is what the document says."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from api.care import params as care_params
from api.errors import ERROR_TABLE
from api.fhir import openapi, params
from api.fhir.mapping_routes import translate_request

FHIR_JSON = "application/fhir+json"


@pytest.fixture(scope="module")
def spec(sqlite_server):
    return sqlite_server.get("/openapi.json").json()


def _read_by(monkeypatch, call) -> set[str]:
    """The parameter names a request builder asks for (on the branches ``call`` takes)."""
    asked: set[str] = set()
    original = params.OpParams.all

    def recording(self, name):
        asked.add(name)
        return original(self, name)

    monkeypatch.setattr(params.OpParams, "all", recording)
    call()
    return asked


def _op(**values) -> params.OpParams:
    return params.OpParams(items=list(values.items()), operation="$test")


BUILDERS = {
    "CodeSystem/$lookup": lambda: params.lookup_request(_op(system="http://snomed.info/sct", code="1")),
    "CodeSystem/$validate-code": lambda: [params.validate_request(_op(**given, code="1"), value_set=False)
                                          for given in ({"url": "http://x"}, {"system": "http://x"})],
    "CodeSystem/$subsumes": lambda: params.subsumes_request(_op(system="http://x", codeA="1", codeB="2")),
    "ValueSet/$expand": lambda: params.expand_request(_op(url="http://x")),
    "ValueSet/$validate-code": lambda: params.validate_request(_op(url="http://x", system="http://y", code="1"),
                                                                value_set=True),
    "ValueSet/$batch-validate-code": lambda: [params.validate_request(item, value_set=True) for item in
                                              params.batch_items(_op(validation={"resourceType": "Parameters", "parameter": [
                                                  {"name": "url", "valueUri": "http://x"},
                                                  {"name": "code", "valueCode": "1"}]}))],
    "ConceptMap/$translate": lambda: [translate_request(_op(**given)) for given in (
        {"sourceCode": "1", "sourceSystem": "http://x"}, {"code": "1", "system": "http://x"})],
    "ConceptMap/{id}/$translate": lambda: [translate_request(_op(**given), url="http://map", version="1")
                                           for given in ({"sourceCode": "1", "sourceSystem": "http://x"},
                                                         {"code": "1", "system": "http://x"})],
}


@pytest.mark.parametrize("operation", [o for o in openapi.OPERATIONS if o.path in BUILDERS], ids=lambda o: o.path)
def test_each_operation_documents_exactly_the_parameters_it_reads(monkeypatch, operation):
    assert _read_by(monkeypatch, BUILDERS[operation.path]) == set(operation.parameters)


def test_care_search_documents_exactly_the_parameters_it_reads(monkeypatch):
    asked: set[str] = set()
    original = care_params._Values.all

    def recording(self, name):
        asked.add(name)
        return original(self, name)

    monkeypatch.setattr(care_params._Values, "all", recording)
    care_params.search_request([("region", "05"), ("text", "x")])
    care = next(o for o in openapi.OPERATIONS if o.path == "HealthcareService/$care-search")
    assert asked == set(care.parameters)


def test_every_operation_route_is_documented(spec):
    """The document's paths are FastAPI's walk of the app's routes: each operation among them has its table."""
    operations = {p.split("/", 3)[3] for p in spec["paths"] if "$" in p and not p.endswith("$versions")}
    assert operations == {o.path for o in openapi.OPERATIONS}


def test_fhir_operations_list_parameters_bodies_and_statuses(spec):
    for base in openapi.BASES:
        for o in openapi.OPERATIONS:
            item = spec["paths"][f"{base}/{o.path}"]
            assert set(item) == set(o.methods), o.path
            if "get" in o.methods:
                query = {p["name"] for p in item["get"]["parameters"] if p["in"] == "query"}
                primitive = {n for n in o.parameters if openapi.PARAMETER_DOCS[n][0] in openapi.PRIMITIVE}
                assert query == primitive and query, o.path
            assert not {p["name"] for p in item["post"].get("parameters", []) if p["in"] == "query"}
            body = item["post"]["requestBody"]["content"]
            assert body[FHIR_JSON]["schema"] == {"$ref": "#/components/schemas/Parameters"}
            assert all(n in item["post"]["requestBody"]["description"] for n in o.parameters)
            for method in o.methods:
                statuses = set(item[method]["responses"])
                assert {str(o.ok), "400", "401"} <= statuses, (o.path, method)
                assert ("413" in statuses) == (method == "post")


def test_every_fhir_answer_is_fhir_json_and_every_error_an_operation_outcome(spec):
    mapped = {status for _, status, _ in ERROR_TABLE} | {200, 201, 204, 413}
    for path, item in spec["paths"].items():
        if path == openapi.LOGIN_PATH:
            continue  # the web login answers pages (test_the_login_documents_its_throttle)
        for method, op in item.items():
            assert op["responses"], (path, method)
            for status, answer in op["responses"].items():
                assert int(status) in mapped, (path, method, status)
                if status == "204":
                    continue
                (media, content), = answer["content"].items()
                fhir = path.startswith("/fhir/")
                assert media == (FHIR_JSON if fhir else "application/json"), (path, method, status)
                if int(status) >= 400:
                    assert content["schema"] == {"$ref": "#/components/schemas/OperationOutcome"}


ERRORS = {"400", "401", "403", "404", "410", "412", "413", "422", "429"}
"""The error statuses issue 16 names; each route documents those it can answer."""

ROUTE_ERRORS = {
    # terminology operations: bad parameters, no credentials, unknown code system / value set, too costly
    **{(f"/fhir/{v}/{o}", m): {"400", "401", "404", "422"} | ({"413"} if m == "post" else set())
       for v in ("r4", "r5") for m in ("get", "post")
       for o in ("CodeSystem/$lookup", "CodeSystem/$validate-code", "CodeSystem/$subsumes", "ValueSet/$expand",
                 "ValueSet/$validate-code", "ValueSet/$batch-validate-code", "ConceptMap/$translate")},
    ("/fhir/r4/ConceptMap/{id}/$translate", "get"): {"400", "401", "404", "410", "422"},
    ("/fhir/r5/HealthcareService/$care-search", "get"): {"400", "401", "403", "422"},
    ("/fhir/r5/HealthcareService/$care-search", "post"): {"400", "401", "403", "413", "422"},
    ("/fhir/r4/ValueSet/$draft", "post"): {"400", "401", "403", "404", "413", "422"},
    ("/fhir/r5/CodeSystem/{id}/$release", "post"): {"400", "401", "403", "404", "413", "422"},
    # REST of the conformance resources
    ("/fhir/r4/CodeSystem", "get"): {"400", "401"},
    ("/fhir/r4/CodeSystem", "post"): {"400", "401", "403", "413"},
    ("/fhir/r5/ValueSet/{id}", "get"): {"401", "404", "410"},
    ("/fhir/r5/ValueSet/{id}", "put"): {"400", "401", "403", "412", "413"},
    ("/fhir/r4/ConceptMap/{id}", "delete"): {"400", "401", "403"},
    ("/fhir/r4/ValueSet/{id}/_history/{vid}", "get"): {"401", "404", "410"},
    # REST of the care directory (every care route needs a caller with a role)
    ("/fhir/r4", "post"): {"400", "401", "403", "404", "412", "413"},
    ("/fhir/r4/{rtype}", "get"): {"400", "401", "403"},
    ("/fhir/r4/{rtype}", "post"): {"400", "401", "403", "413"},
    ("/fhir/r5/{rtype}/{id}", "get"): {"401", "403", "404"},
    ("/fhir/r5/{rtype}/{id}", "put"): {"400", "401", "403", "412", "413"},
    # JSON
    ("/api/care/search", "get"): {"400", "401", "403", "422"},
    ("/api/care/search", "post"): {"400", "401", "403", "413", "422"},
    ("/api/care/history", "get"): {"400", "401", "403", "404"},
    ("/api/terminology/diff", "get"): {"400", "401", "404"},
    ("/api/terminology/impact", "get"): {"400", "401", "403", "404"},
    # the web login, where the login throttle answers
    (openapi.LOGIN_PATH, "post"): {"401", "403", "429"},
}


@pytest.mark.parametrize("path, method", list(ROUTE_ERRORS), ids=lambda x: x if isinstance(x, str) else None)
def test_each_kind_of_route_documents_the_errors_it_can_answer(spec, path, method):
    """Issue 16: the status codes of the issue (400/401/403/404/410/412/413/422/429) where a route can answer
    them, and no others."""
    documented = set(spec["paths"][path][method]["responses"]) & ERRORS
    assert documented == ROUTE_ERRORS[(path, method)], (path, method)


def test_every_fhir_operation_documents_too_costly(spec):
    for base in openapi.BASES:
        for o in openapi.OPERATIONS:
            for method in o.methods:
                response = spec["paths"][f"{base}/{o.path}"][method]["responses"]["422"]
                assert "too-costly" in response["description"], (o.path, method)


def test_the_login_documents_its_throttle(spec, sqlite_server):
    """429 with Retry-After: documented on the web login, the one route that answers it (the session it
    starts authenticates /api and the FHIR bases too), and answered as documented."""
    throttled = {(p, m) for p, item in spec["paths"].items() for m, op in item.items() if "429" in op["responses"]}
    assert throttled == {(openapi.LOGIN_PATH, "post")}
    login = spec["paths"][openapi.LOGIN_PATH]["post"]
    assert "Retry-After" in login["responses"]["429"]["headers"]
    assert set(login["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]["required"]) == {
        "username", "password", "csrf"}
    for _ in range(10):
        form = sqlite_server.get("/app/login").text
        csrf = form.split('name="csrf" value="')[1].split('"')[0]
        r = sqlite_server.post("/app/login", data={"username": "nobody", "password": "fel-losen", "csrf": csrf},
                               follow_redirects=False)
        if r.status_code != 401:
            break
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0, r.status_code
    assert r.headers["content-type"].startswith("text/html")


def test_rest_interactions_document_search_parameters_and_conflicts(spec):
    search = {p["name"] for p in spec["paths"]["/fhir/r4/CodeSystem"]["get"]["parameters"]}
    assert {"identifier", "publisher", "date", "description", "jurisdiction", "system", "_summary", "_elements",
            "_count", "_offset"} <= search
    assert "412" in spec["paths"]["/fhir/r5/ValueSet/{id}"]["put"]["responses"]
    assert {"404", "410"} <= set(spec["paths"]["/fhir/r5/ValueSet/{id}"]["get"]["responses"])
    assert "403" in spec["paths"]["/fhir/r4/HealthcareService/$care-search"]["get"]["responses"]


def test_the_document_is_valid_openapi(spec):
    validate(spec)


@pytest.mark.parametrize("path", ["/fhir/r4/CodeSystem/$lookup", "/fhir/r5/ValueSet/$expand",
                                  "/fhir/r4/CodeSystem/$subsumes", "/fhir/r5/ConceptMap/$translate",
                                  "/fhir/r4/CodeSystem?nmae=x"])
def test_a_bad_request_is_answered_as_documented(sqlite_server, spec, path):
    r = sqlite_server.get(path)
    assert r.status_code == 400 and r.headers["content-type"].startswith(FHIR_JSON)
    assert r.json()["resourceType"] == "OperationOutcome"
    assert "400" in spec["paths"][path.split("?")[0]]["get"]["responses"]
