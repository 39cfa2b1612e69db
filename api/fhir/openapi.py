"""The OpenAPI document tells the real contract (issue 16): for every FHIR operation the parameters its
request builder reads (query parameters for GET, a ``Parameters`` body or a form for POST), for the REST
interactions their search parameters, headers and bodies, and for every route the status codes it answers
with their body: ``application/fhir+json`` (a resource, ``Parameters`` or ``Bundle``; an
``OperationOutcome`` for every error, as ``api/errors.py`` maps the domain errors) on the FHIR bases, plain
JSON on ``/api``. Of the web app only the login is documented (:func:`_login_route`): it is where the login
throttle answers 429 with ``Retry-After``.

The operation handlers read their parameters from the raw request (``params.op_params``), so FastAPI cannot
see them; this module documents them from :data:`OPERATIONS`, and ``tests/test_openapi.py`` checks the
tables against what the request builders really read. :func:`install` replaces ``app.openapi``.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

import terminology as t
from mappings import care

from ..care.params import NAMES as CARE_SEARCH_PARAMETERS
from .authoring_routes import DRAFT_PARAMETERS, RELEASE_PARAMETERS

FHIR_JSON = "application/fhir+json"
BASES = ("/fhir/r4", "/fhir/r5")

# --- parameters --------------------------------------------------------------------------------------

PARAMETER_DOCS: dict[str, tuple[str, str]] = {
    "code": ("code", "The code"),
    "system": ("uri", "The code system's canonical URL (SNOMED CT: http://snomed.info/sct)"),
    "version": ("string", "The code system version (SNOMED CT: an edition or version URI)"),
    "coding": ("Coding", "A Coding instead of system + code"),
    "codeableConcept": ("CodeableConcept", "A CodeableConcept; valid when one of its codings is"),
    "displayLanguage": ("code", "Language of displays (sv, sv-SE, en, a language refset: sv-x-46011000052107); "
                                "else the Accept-Language header"),
    "property": ("code", "A property to return (repeatable)"),
    "useSupplement": ("canonical", "A CodeSystem supplement to use (repeatable)"),
    "tx-resource": ("Resource", "A CodeSystem, ValueSet or ConceptMap used for this request only (repeatable)"),
    "codeA": ("code", "The first code"), "codeB": ("code", "The second code"),
    "codingA": ("Coding", "The first code as a Coding"), "codingB": ("Coding", "The second code as a Coding"),
    "url": ("uri", "The canonical URL (of the value set, code system or concept map); `url|version` allowed"),
    "valueSetVersion": ("string", "The value set's business version"),
    "valueSet": ("ValueSet", "A value set given inline"),
    "codeSystem": ("CodeSystem", "A code system given inline"),
    "systemVersion": ("string", "The code system version of the code"),
    "display": ("string", "A display to check"),
    "inferSystem": ("boolean", "Find the code system of a code given without one"),
    "abstract": ("boolean", "Whether abstract (notSelectable) codes are valid (default true)"),
    "activeOnly": ("boolean", "Leave out / refuse inactive codes"),
    "valueset-membership-only": ("boolean", "Report membership only"),
    "lenient-display-validation": ("boolean", "A wrong display is a warning, not an error"),
    "system-version": ("canonical", "Default version of a code system: system|version (repeatable)"),
    "check-system-version": ("canonical", "Required version of a code system: system|version (repeatable)"),
    "force-system-version": ("canonical", "Version to use for a code system: system|version (repeatable)"),
    "default-valueset-version": ("canonical", "Default version of an imported value set (repeatable)"),
    "validation": ("Parameters", "One $validate-code request (repeatable)"),
    "filter": ("string", "Every word must start a word of a display or designation (case and accents ignored)"),
    "count": ("integer", "Page size of the expansion"), "offset": ("integer", "Start of the page"),
    "includeDesignations": ("boolean", "Return the designations"),
    "excludeNested": ("boolean", "A flat list"), "includeDefinition": ("boolean", "Repeat the value set definition"),
    "designation": ("string", "Designations of these languages or uses: urn:ietf:bcp:47|sv, system|code"),
    "sourceCode": ("code", "R5: the code to translate"), "sourceSystem": ("uri", "R5: its system"),
    "sourceVersion": ("string", "R5: its version"), "sourceCoding": ("Coding", "R5: the Coding to translate"),
    "sourceCodeableConcept": ("CodeableConcept", "R5: the CodeableConcept to translate"),
    "targetCode": ("code", "R5 reverse: the target code to find sources for"),
    "targetCoding": ("Coding", "R5 reverse: the target Coding"),
    "targetCodeableConcept": ("CodeableConcept", "R5 reverse: the target CodeableConcept"),
    "targetSystem": ("uri", "Translate into this system"), "targetsystem": ("uri", "R4 name of targetSystem"),
    "conceptMapVersion": ("string", "The concept map's business version"),
    "sourceScope": ("uri", "R5: maps whose source scope is this"),
    "targetScope": ("uri", "R5: maps whose target scope is this"),
    "source": ("uri", "R4 name of sourceScope"), "target": ("uri", "R4 name of targetScope"),
    "reverse": ("boolean", "R4: translate from target to source"),
    # $care-search (README "Care search")
    "text": ("string", "Free text (Swedish or English); exactly one of text, code (+ system) or ecl"),
    "ecl": ("string", "An ECL expression"),
    "region": ("string", "The searching region: län code (05) or orgnr; default the caller's region"),
    "date": ("date", "Search date YYYY-MM-DD (default today)"),
    "age": ("integer", "Patient age in years"), "sex": ("code", "female or male"),
    "asa": ("integer", "ASA class 1-6"), "bmi": ("decimal", "BMI"),
    "meetingForm": ("code", "physical or virtual"), "county": ("string", "Län code of the place (05)"),
    "municipality": ("string", "Kommun code of the place (0580)"),
    "near": ("string", "lat|lon (WGS84) to measure distance from"),
    "postalCode": ("string", "Postal code to measure distance from"),
    "distance": ("decimal", "Km from near or postalCode"),
    "maxWait": ("integer", "Days; only a fresh wait within it passes"),
    "capacityFrom": ("date", "Start of the capacity period"), "capacityTo": ("date", "End of the capacity period"),
    "matchTypes": ("string", "Any of exact,narrower,broader,mapped (default exact,narrower)"),
    "sort": ("code", "match, wait or distance"),
    "includeExcluded": ("boolean", "Also list the excluded candidates with their reasons"),
    "_count": ("integer", "Page size (hits and excluded candidates alike; default 50)"),
    "_offset": ("integer", "Start of the page in both lists"),
    "mode": ("code", "terminology: TerminologyCapabilities; full or normative: CapabilityStatement"),
    # $draft and $release (CRMI)
    "id": ("id", "The resource's id (instead of the id in the path)"),
    "versionBehavior": ("code", "$release: default (version applies when the draft has none), check (it must "
                                "equal the draft's) or force (it replaces it)"),
    "releaseLabel": ("string", "$release: a label for the release (artifact-releaseLabel extension)"),
    "requireNonExperimental": ("code", "$release: accepted; this server pins no dependencies"),
    "latestFromTxServer": ("boolean", "$release: accepted; this server pins no dependencies"),
}
"""FHIR parameter -> (FHIR type, what it does)."""

PRIMITIVE = {"code", "uri", "string", "canonical", "boolean", "integer", "decimal", "date"}
JSON_TYPE = {"boolean": "boolean", "integer": "integer", "decimal": "number"}


@dataclass(frozen=True)
class Operation:
    """A FHIR operation route: its path after the base, OperationDefinition, parameters and answer."""

    path: str
    definition: str
    parameters: tuple[str, ...]
    answer: str
    statuses: tuple[int, ...] = (400, 401, 404, 422)
    methods: tuple[str, ...] = ("get", "post")
    ok: int = 200


_VALIDATE = ("code", "coding", "codeableConcept", "display", "displayLanguage", "abstract", "activeOnly",
             "valueset-membership-only", "lenient-display-validation", "tx-resource", "useSupplement",
             "system-version", "check-system-version", "force-system-version", "default-valueset-version",
             "inferSystem", "url")
OPERATIONS = (
    Operation("CodeSystem/$lookup", "CodeSystem-lookup", ("code", "system", "version", "coding", "displayLanguage",
                                                          "property", "useSupplement", "tx-resource"), "Parameters"),
    Operation("CodeSystem/$validate-code", "CodeSystem-validate-code",
              _VALIDATE + ("system", "version", "codeSystem"), "Parameters"),
    Operation("CodeSystem/$subsumes", "CodeSystem-subsumes", ("codeA", "codeB", "system", "version", "codingA",
                                                              "codingB", "tx-resource"), "Parameters"),
    Operation("ValueSet/$expand", "ValueSet-expand", (
        "url", "valueSetVersion", "valueSet", "filter", "count", "offset", "activeOnly", "displayLanguage",
        "includeDesignations", "designation", "excludeNested", "includeDefinition", "property", "useSupplement",
        "tx-resource", "system-version", "check-system-version", "force-system-version",
        "default-valueset-version"), "ValueSet"),
    Operation("ValueSet/$validate-code", "ValueSet-validate-code",
              _VALIDATE + ("valueSetVersion", "valueSet", "system", "systemVersion"), "Parameters"),
    Operation("ValueSet/$batch-validate-code", "ValueSet-batch-validate-code",
              ("validation",) + _VALIDATE + ("valueSetVersion", "valueSet", "system", "systemVersion"), "Parameters"),
    Operation("ConceptMap/$translate", "ConceptMap-translate", (
        "url", "conceptMapVersion", "sourceCode", "sourceSystem", "sourceVersion", "sourceCoding",
        "sourceCodeableConcept", "targetCode", "targetCoding", "targetCodeableConcept", "targetSystem",
        "sourceScope", "targetScope", "code", "system", "version", "coding", "codeableConcept", "targetsystem",
        "source", "target", "reverse", "tx-resource"), "Parameters"),
    Operation("ConceptMap/{id}/$translate", "ConceptMap-translate", (
        "sourceCode", "sourceSystem", "sourceVersion", "sourceCoding", "sourceCodeableConcept", "targetCode",
        "targetCoding", "targetCodeableConcept", "targetSystem", "sourceScope", "targetScope", "code", "system",
        "version", "coding", "codeableConcept", "targetsystem", "source", "target", "reverse", "tx-resource"),
              "Parameters", (400, 401, 404, 410, 422)),
    Operation("HealthcareService/$care-search", "(this server's) HealthcareService-care-search",
              CARE_SEARCH_PARAMETERS, "Bundle", (400, 401, 403, 422)),
    *(Operation(f"{rtype}{at}/${name}", f"crmi-{name} (CRMI IG 1.0.0)", parameters, rtype, (400, 401, 403, 404, 422),
                ("post",), 201 if name == "draft" else 200)
      for rtype in t.RESOURCE_TYPES for at in ("", "/{id}")
      for name, parameters in (("draft", DRAFT_PARAMETERS), ("release", RELEASE_PARAMETERS))),
)
"""Every FHIR operation route (the same on /fhir/r4 and /fhir/r5)."""

HEADERS = {
    "Accept-Language": "Display languages with q-values (when displayLanguage is not given)",
    "X-TOO-COSTLY-THRESHOLD": "Lowers the too-costly expansion limit for this request",
}

IF_MATCH = {"name": "If-Match", "in": "header", "required": False,
            "description": 'W/"n": only if version n is current', "schema": {"type": "string"}}
PAGING = (("_count", "Page size (default 50, at most 1,000)"), ("_offset", "Start of the page"))

STATUS_TEXT = {
    200: "OK", 201: "Created", 204: "Deleted (also when there was nothing to delete)",
    400: "Bad request: a parameter is missing, unknown or has a bad value (OperationOutcome `invalid`)",
    401: "Credentials needed or not valid (OperationOutcome `login`; `WWW-Authenticate` says how)",
    403: "The caller's role or region does not allow it (OperationOutcome `forbidden`)",
    404: "Unknown code system, value set, code or resource (OperationOutcome `not-found`)",
    410: "The resource was deleted (OperationOutcome `deleted`)",
    412: "If-Match names a version that is no longer current (OperationOutcome `conflict`)",
    413: "The request body is larger than the server accepts (OperationOutcome)",
    422: "Too costly or not supported (OperationOutcome `too-costly` / `not-supported`)",
    429: "Too many failed logins for the account or from the address: refused without checking the password "
         "until `Retry-After` seconds have passed",
    503: "The database is not usable right now (OperationOutcome `transient`)",
}


def _query(name: str, *, required: bool = False) -> dict:
    kind, text = PARAMETER_DOCS.get(name, ("string", ""))
    return {"name": name, "in": "query", "required": required, "description": f"{text} (FHIR {kind})".strip(),
            "schema": {"type": JSON_TYPE.get(kind, "string"), **({"format": "date"} if kind == "date" else {})}}


def _operation_body(op: Operation) -> dict:
    lines = "\n".join(f"* `{n}` ({PARAMETER_DOCS.get(n, ('string', ''))[0]}): {PARAMETER_DOCS.get(n, ('', ''))[1]}"
                      for n in op.parameters)
    example = {"resourceType": "Parameters", "parameter": [
        {"name": n, _value_key(PARAMETER_DOCS.get(n, ("string", ""))[0]): "..."} for n in op.parameters[:2]]}
    form = {"type": "object", "properties": {n: _query(n)["schema"] for n in op.parameters
                                             if PARAMETER_DOCS.get(n, ("string", ""))[0] in PRIMITIVE}}
    return {"description": f"A Parameters resource (or a form of the primitive parameters):\n{lines}",
            "required": True, "content": {FHIR_JSON: {"schema": {"$ref": "#/components/schemas/Parameters"},
                                                      "example": example},
                                          "application/x-www-form-urlencoded": {"schema": form}}}


def _value_key(kind: str) -> str:
    return "resource" if kind in ("Resource", "ValueSet", "CodeSystem", "Parameters") else \
        f"value{kind[0].upper()}{kind[1:]}"


# --- responses ---------------------------------------------------------------------------------------

def _responses(ok: int, answer: str | None, statuses: tuple[int, ...], media: str = FHIR_JSON) -> dict:
    out: dict = {}
    if ok == 204:
        out["204"] = {"description": STATUS_TEXT[204]}
    else:
        schema = {"$ref": f"#/components/schemas/{answer}"} if answer else {"type": "object"}
        out[str(ok)] = {"description": STATUS_TEXT[ok], "content": {media: {"schema": schema}}}
    for status in sorted(set(statuses)):
        out[str(status)] = {"description": STATUS_TEXT[status],
                            "content": {media: {"schema": {"$ref": "#/components/schemas/OperationOutcome"}}}}
    return out


SCHEMAS = {
    "OperationOutcome": {
        "type": "object", "required": ["resourceType", "issue"], "description": "Every error answer",
        "properties": {"resourceType": {"const": "OperationOutcome"}, "issue": {
            "type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["severity", "code"], "properties": {
                "severity": {"enum": ["fatal", "error", "warning", "information"]},
                "code": {"type": "string", "description": "invalid, not-found, login, forbidden, conflict, deleted, "
                                                          "too-costly, not-supported, ..."},
                "details": {"type": "object", "properties": {"text": {"type": "string"}, "coding": {"type": "array"}}},
                "expression": {"type": "array", "items": {"type": "string"}},
                "extension": {"type": "array", "description": "operationoutcome-message-id: the HL7 message id"}}}}}},
    "Parameters": {"type": "object", "required": ["resourceType"], "properties": {
        "resourceType": {"const": "Parameters"}, "parameter": {"type": "array", "items": {
            "type": "object", "required": ["name"], "additionalProperties": True,
            "properties": {"name": {"type": "string"}, "resource": {"$ref": "#/components/schemas/Resource"},
                           "part": {"type": "array"}}}}}},
    "Bundle": {"type": "object", "required": ["resourceType", "type"], "properties": {
        "resourceType": {"const": "Bundle"}, "type": {"type": "string"}, "total": {"type": "integer"},
        "link": {"type": "array", "items": {"type": "object", "properties": {
            "relation": {"type": "string"}, "url": {"type": "string"}}}},
        "entry": {"type": "array", "items": {"type": "object", "properties": {
            "fullUrl": {"type": "string"}, "resource": {"$ref": "#/components/schemas/Resource"},
            "search": {"type": "object"}, "request": {"type": "object"}, "response": {"type": "object"}}}}}},
    "Resource": {"type": "object", "required": ["resourceType"], "additionalProperties": True, "properties": {
        "resourceType": {"type": "string"}, "id": {"type": "string"}, "meta": {"type": "object"}}},
}
for _kind in ("CodeSystem", "ValueSet", "ConceptMap", "CapabilityStatement", "TerminologyCapabilities"):
    SCHEMAS[_kind] = {"allOf": [{"$ref": "#/components/schemas/Resource"},
                                {"type": "object", "properties": {"resourceType": {"const": _kind}}}]}


# --- the document ------------------------------------------------------------------------------------

def install(app: FastAPI) -> None:
    """Replace ``app.openapi`` with the documented contract (built once, on first request)."""

    def build() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            document(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]


def document(schema: dict) -> None:
    """Fill in the parameters, bodies and responses of every route FastAPI could not see."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(SCHEMAS)
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path, item in schema["paths"].items():
        base = next((b for b in BASES if path == b or path.startswith(b + "/")), None)
        for method, op in item.items():
            path_params = [p for p in op.get("parameters", []) if p.get("in") == "path"]
            if base is not None:
                _fhir_route(op, method, path[len(base) + 1:], path_params)
            elif path.startswith("/api/care/"):
                _json_route(op, method, path.removeprefix("/api/care/"))
            elif path.startswith("/api/terminology/"):
                _release_route(op, path.removeprefix("/api/terminology/"))
            else:
                op["responses"] = _responses(200, None, (), "application/json")
    schema["paths"][LOGIN_PATH] = {"post": _login_route()}


def _fhir_route(op: dict, method: str, tail: str, path_params: list) -> None:
    """A route on a FHIR base: an operation, a REST interaction of the conformance resources or of the
    care directory, metadata."""
    operation = next((o for o in OPERATIONS if o.path == tail), None)
    if operation is not None:
        headers = [{"name": h, "in": "header", "required": False, "description": d, "schema": {"type": "string"}}
                   for h, d in HEADERS.items()]
        query = [_query(n) for n in operation.parameters if PARAMETER_DOCS.get(n, ("string",))[0] in PRIMITIVE]
        op["parameters"] = path_params + (query if method == "get" else []) + headers
        how = ("GET takes the primitive parameters in the query; POST a Parameters body (complex ones too)."
               if "get" in operation.methods else "POST a Parameters body (or a form), or the parameters in the query.")
        op["description"] = op.get("description", "") + f"\n\nOperationDefinition: {operation.definition}. {how}"
        if method == "post":
            op["requestBody"] = _operation_body(operation)
            if "get" not in operation.methods:
                op["requestBody"]["required"] = False
        op["responses"] = _responses(operation.ok, operation.answer,
                                     operation.statuses + ((413,) if method == "post" else ()))
        return
    if tail in ("metadata", "$versions"):
        op["parameters"] = [_query("mode")] if tail == "metadata" else []
        answer = "CapabilityStatement" if tail == "metadata" else "Parameters"
        op["responses"] = _responses(200, answer, (400, 401))
        return
    kind = tail.split("/", 1)[0]
    if kind in t.RESOURCE_TYPES:
        _resource_route(op, method, tail, kind, path_params)
    else:
        _care_route(op, method, tail, path_params)


def _resource_route(op: dict, method: str, tail: str, kind: str, path_params: list) -> None:
    body = {"required": True, "content": {FHIR_JSON: {"schema": {"$ref": f"#/components/schemas/{kind}"}}}}
    presentation = [_presentation("_summary"), _presentation("_elements")]
    if tail == kind and method == "get":
        op["parameters"] = [_search_param(name, kinds) for name, kinds in t.SEARCH_PARAMETERS[kind].items()] + [
            *_paging(), *presentation]
        op["responses"] = _responses(200, "Bundle", (400, 401))
    elif tail == kind:
        op["requestBody"] = body
        op["responses"] = _responses(201, kind, (400, 401, 403, 413))
    elif method == "put":
        op["parameters"] = path_params + [IF_MATCH]
        op["requestBody"] = body
        op["responses"] = {**_responses(200, kind, (400, 401, 403, 412, 413)),
                           "201": {"description": "Created with this id",
                                   "content": {FHIR_JSON: {"schema": {"$ref": f"#/components/schemas/{kind}"}}}}}
    elif method == "delete":
        op["responses"] = _responses(204, None, (400, 401, 403))
    elif tail.endswith("/_history"):
        op["responses"] = _responses(200, "Bundle", (401, 404))
    else:
        op["parameters"] = path_params + ([] if "_history" in tail else presentation)
        op["responses"] = _responses(200, kind, (401, 404, 410))


def _paging() -> list[dict]:
    return [{**_query(name), "description": text} for name, text in PAGING]


def _search_param(name: str, kind: str) -> dict:
    text = {"string": "matches a prefix, ignoring case and accents (:exact, :contains)",
            "token": "[system]|[code]", "uri": "the exact URL",
            "date": "a date with an optional prefix eq, ne, gt, lt, ge, le, sa, eb, ap"}[kind]
    return {"name": name, "in": "query", "required": False, "description": f"FHIR search ({kind}): {text}",
            "schema": {"type": "string"}}


def _presentation(name: str) -> dict:
    text = {"_summary": "true, text, data, count or false",
            "_elements": "top-level elements to return, comma-separated"}
    return {"name": name, "in": "query", "required": False, "description": text[name], "schema": {"type": "string"}}


def _care_route(op: dict, method: str, tail: str, path_params: list) -> None:
    """The care directory's FHIR REST: transaction, create, search, read, update."""
    resource = {"$ref": "#/components/schemas/Resource"}
    if tail == "" and method == "post":
        bundle = {"$ref": "#/components/schemas/Bundle"}
        op["requestBody"] = {"required": True, "content": {FHIR_JSON: {"schema": bundle}}}
        op["responses"] = _responses(200, "Bundle", (400, 401, 403, 404, 412, 413))
    elif tail == "{rtype}" and method == "get":
        listed = "; ".join(f"{k}: {', '.join(v)}" for k, v in care.SEARCH_PARAMETERS.items())
        op["description"] = op.get("description", "") + f"\n\nSearch parameters per type: {listed}; _count, _offset."
        op["parameters"] = path_params + _paging()
        op["responses"] = _responses(200, "Bundle", (400, 401, 403))
    elif tail == "{rtype}":
        op["requestBody"] = {"required": True, "content": {FHIR_JSON: {"schema": resource}}}
        op["responses"] = _responses(201, "Resource", (400, 401, 403, 413))
    elif method == "put":
        op["parameters"] = path_params + [IF_MATCH]
        op["requestBody"] = {"required": True, "content": {FHIR_JSON: {"schema": resource}}}
        op["responses"] = _responses(200, "Resource", (400, 401, 403, 412, 413))
    else:
        op["responses"] = _responses(200, "Resource", (401, 403, 404))


LOGIN_PATH = "/app/login"
"""The web login (``api/web/auth_pages.py``): the one route of the web app in the document, because its
session also authenticates ``/api`` and the FHIR bases, and it is where the login throttle answers 429."""


def _login_route() -> dict:
    """``POST /app/login``: a form with the CSRF token of ``GET /app/login``; answers HTML pages."""
    from ..web.session import CSRF_FIELD

    html = {"text/html": {"schema": {"type": "string"}}}
    fields = {"username": "The user name", "password": "The password",
              CSRF_FIELD: "The CSRF token of the form on GET /app/login (with its session cookie)",
              "next": "A page of /app/ to go to after logging in"}
    form = {"type": "object", "required": ["username", "password", CSRF_FIELD],
            "properties": {n: {"type": "string", "description": d} for n, d in fields.items()}}
    return {
        "tags": ["Web login"], "operationId": "web_login",
        "summary": "Log in: a session cookie for the web app, the JSON API and the FHIR bases",
        "description": "After VARDTERM_LOGIN_MAX_FAILURES wrong passwords for one account, or "
                       "VARDTERM_LOGIN_MAX_FAILURES_PER_ADDRESS from one client address, within "
                       "VARDTERM_LOGIN_THROTTLE_MINUTES, logins are refused with 429 and Retry-After.",
        "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": form}}},
        "responses": {
            "303": {"description": "Logged in: the session cookie is set and Location is `next` or the start page",
                    "headers": {name: {"schema": {"type": "string"}} for name in ("Location", "Set-Cookie")}},
            "401": {"description": "Wrong user name or password: the login page with the message", "content": html},
            "403": {"description": "The form's CSRF token is missing or stale: a page saying so", "content": html},
            "429": {"description": STATUS_TEXT[429] + ": the login page with the message",
                    "headers": {"Retry-After": {"description": "Seconds until a login is tried again",
                                                "schema": {"type": "integer"}}},
                    "content": html},
        },
    }


def _release_route(op: dict, tail: str) -> None:
    """``/api/terminology/diff`` and ``/impact`` (issue 20): system, from, to, format in the query."""
    from ..release_routes import PARAMETERS

    op["parameters"] = [{"name": n, "in": "query", "required": n != "format", "description": d,
                         "schema": {"type": "string"}} for n, d in PARAMETERS.items()]
    statuses = (400, 401, 404) if tail == "diff" else (400, 401, 403, 404)
    op["responses"] = _responses(200, None, statuses, "application/json")
    op["description"] = (op.get("description", "") + "\n\nJSON by default; format=csv (text/csv) or format=xlsx "
                         "(an Excel workbook) answers a download of the same rows.").strip()


def _json_route(op: dict, method: str, tail: str) -> None:
    """``/api/care/search`` (the $care-search parameters as query or JSON object) and ``/api/care/history``."""
    media = "application/json"
    if tail == "search":
        if method == "get":
            op["parameters"] = [_query(n) for n in CARE_SEARCH_PARAMETERS]
        else:
            op["requestBody"] = {"required": True, "content": {media: {"schema": {
                "type": "object", "properties": {n: _query(n)["schema"] for n in CARE_SEARCH_PARAMETERS}}}}}
        op["responses"] = _responses(200, None, (400, 401, 403, 422) + ((413,) if method == "post" else ()), media)
    else:
        op["responses"] = _responses(200, None, (400, 401, 403, 404), media)
