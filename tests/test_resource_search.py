"""FHIR search on CodeSystem, ValueSet and ConceptMap with the parameters the FHIR specification defines for
them that users search by (issue 16): ``identifier``, ``publisher``, ``date`` (with prefixes),
``description``, ``jurisdiction``, ``system`` (CodeSystem), beside ``url``, ``version``, ``name``, ``title``,
``status``, ``_id``; and ``_summary`` / ``_elements``. Matching by the rules of R5 search.html: string
parameters match a prefix ignoring case and accents (``:exact``, ``:contains``), tokens ``[system]|[code]``,
dates by their ranges. On both engines and both wire versions."""

from __future__ import annotations

import pytest

from terminology import COMMAND_LINE, ResourceRepository

KVA = "urn:oid:1.2.752.116.1.3.2.1.4"
SE = {"coding": [{"system": "urn:iso:std:iso:3166", "code": "SE"}]}

RESOURCES = [
    {"resourceType": "CodeSystem", "id": "kva", "url": KVA, "version": "2021", "name": "KVA",
     "title": "Klassifikation av vårdåtgärder (KVÅ)", "status": "active", "content": "fragment",
     "identifier": [{"system": "urn:ietf:rfc:3986", "value": KVA}], "publisher": "Socialstyrelsen",
     "date": "2021-01-01", "description": "Klassifikation av vårdåtgärder, kirurgiska och medicinska åtgärder.",
     "jurisdiction": [SE], "concept": [{"code": "NGB49", "display": "Primär totalprotes i knäled med cement"}]},
    {"resourceType": "CodeSystem", "id": "colours", "url": "http://example.org/cs/colours", "version": "1.0.0",
     "name": "Colours", "status": "draft", "content": "complete",
     "identifier": [{"system": "http://example.org/ids", "value": "colours-1"}], "publisher": "Example Publisher",
     "date": "2019-06-15T10:00:00+02:00", "description": "Colours of things",
     "jurisdiction": [{"coding": [{"system": "urn:iso:std:iso:3166", "code": "US"}]}],
     "concept": [{"code": "red", "display": "Red"}]},
    {"resourceType": "ValueSet", "id": "knees", "url": "http://example.org/vs/knees", "version": "1",
     "name": "Knees", "title": "Knäledsplastiker", "status": "active", "publisher": "Ärendeverket",
     "date": "2023", "jurisdiction": [SE], "identifier": [{"system": "urn:ietf:rfc:3986", "value": "urn:oid:1.2.3.4"}],
     "compose": {"include": [{"system": "http://snomed.info/sct", "concept": [{"code": "609588000"}]}]}},
    {"resourceType": "ConceptMap", "id": "sct-kva", "url": "http://example.org/cm/sct-kva", "version": "1",
     "name": "SctKva", "status": "active", "publisher": "Socialstyrelsen", "date": "2024-05-01",
     "identifier": [{"system": "http://example.org/ids", "value": "cm-7"}], "jurisdiction": [SE],
     "group": [{"source": "http://snomed.info/sct", "target": KVA,
                "element": [{"code": "179344006", "target": [{"code": "NGB49", "relationship": "equivalent"}]}]}]},
]


@pytest.fixture(scope="module")
def servers(tmp_path_factory, request):
    """One app per backend over a database holding RESOURCES (PUT through the API), shared by the module."""
    import warnings

    from api import Settings, create_app
    from terminology import Accounts, Database
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    made = {}

    def get(backend: str):
        if backend not in made:
            url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'vardterm.db'}" if backend == "sqlite" \
                else request.getfixturevalue("pg_databases").new_url()
            db = Database(url, pool_size=2)
            db.initialise()
            key = Accounts(db).add_key("search-tests", ("informatiker",), None)
            client = TestClient(create_app(Settings(database_url=url, catalog_refresh_seconds=0)),
                                headers={"Authorization": f"ApiKey {key}"})
            for r in RESOURCES:
                assert client.put(f"/fhir/r5/{r['resourceType']}/{r['id']}", json=r).status_code == 201
            made[backend] = client
            db.dispose()
        return made[backend]

    yield get
    for client in made.values():
        client.close()


@pytest.fixture
def client(servers, backend):
    return servers(backend)


def ids(client, path: str, **params) -> list[str]:
    r = client.get(path, params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body.get("entry", []))
    return sorted(e["resource"]["id"] for e in body.get("entry", []))


@pytest.mark.parametrize("base", ["/fhir/r4", "/fhir/r5"])
def test_identifier_is_a_token(client, base):
    assert ids(client, f"{base}/CodeSystem", identifier=KVA) == ["kva"]
    assert ids(client, f"{base}/CodeSystem", identifier=f"urn:ietf:rfc:3986|{KVA}") == ["kva"]
    assert ids(client, f"{base}/CodeSystem", identifier=f"http://example.org/ids|{KVA}") == []
    assert ids(client, f"{base}/CodeSystem", identifier="|colours-1") == []
    assert ids(client, f"{base}/CodeSystem", identifier="http://example.org/ids|") == ["colours"]
    assert ids(client, f"{base}/CodeSystem", identifier=f"colours-1,{KVA}") == ["colours", "kva"]
    assert ids(client, f"{base}/ConceptMap", identifier="http://example.org/ids|cm-7") == ["sct-kva"]
    assert ids(client, f"{base}/ValueSet", identifier="urn:oid:1.2.3.4") == ["knees"]


def test_string_parameters_match_a_prefix_ignoring_case_and_accents(client):
    assert ids(client, "/fhir/r4/CodeSystem", publisher="social") == ["kva"]
    assert ids(client, "/fhir/r4/ValueSet", publisher="arende") == ["knees"]
    assert ids(client, "/fhir/r4/ValueSet", publisher="ÄRENDE") == ["knees"]
    assert ids(client, "/fhir/r4/ValueSet", publisher="verket") == []
    assert ids(client, "/fhir/r4/ValueSet", **{"publisher:contains": "verket"}) == ["knees"]
    assert ids(client, "/fhir/r4/CodeSystem", **{"publisher:exact": "Socialstyrelsen"}) == ["kva"]
    assert ids(client, "/fhir/r4/CodeSystem", **{"publisher:exact": "socialstyrelsen"}) == []
    assert ids(client, "/fhir/r4/CodeSystem", description="klassifikation av vardatgarder") == ["kva"]
    assert ids(client, "/fhir/r4/CodeSystem", title="klassifikation av VÅRD") == ["kva"]
    assert ids(client, "/fhir/r4/ValueSet", title="knaleds") == ["knees"]
    assert ids(client, "/fhir/r4/CodeSystem", name="col") == ["colours"]


@pytest.mark.parametrize("query, expected", [
    ("2021", ["kva"]), ("eq2021-01", ["kva"]), ("ne2021", ["colours"]), ("ge2020-01-01", ["kva"]),
    ("gt2021-01-01", []), ("lt2020", ["colours"]), ("le2019-06-15", ["colours"]), ("sa2020", ["kva"]),
    ("eb2021-01-01", ["colours"]), ("2019-06-15T08:00:00Z", ["colours"]), ("2019-06-15T08:00:00+01:00", []),
    ("ap2021-01-02", ["kva"]),
])
def test_date_with_prefixes(client, query, expected):
    assert ids(client, "/fhir/r5/CodeSystem", date=query) == expected


def test_dates_of_value_sets_and_maps(client):
    assert ids(client, "/fhir/r5/ValueSet", date="2023-07") == []  # 2023 is not inside July 2023
    assert ids(client, "/fhir/r5/ValueSet", date="ge2023-07") == ["knees"]  # ... but reaches past its start
    assert ids(client, "/fhir/r5/ConceptMap", date="gt2024") == []
    assert ids(client, "/fhir/r5/ConceptMap", date="2024") == ["sct-kva"]


def test_jurisdiction_and_system(client):
    assert ids(client, "/fhir/r4/CodeSystem", jurisdiction="urn:iso:std:iso:3166|SE") == ["kva"]
    assert ids(client, "/fhir/r4/CodeSystem", jurisdiction="SE") == ["kva"]
    assert ids(client, "/fhir/r4/ValueSet", jurisdiction="SE") == ["knees"]
    assert ids(client, "/fhir/r4/CodeSystem", system=KVA) == ["kva"]
    assert client.get("/fhir/r4/ValueSet", params={"system": KVA}).status_code == 400


def test_parameters_combine_with_and_and_values_with_or(client):
    assert ids(client, "/fhir/r4/CodeSystem", publisher="social", date="2021") == ["kva"]
    assert ids(client, "/fhir/r4/CodeSystem", publisher="social", date="2019") == []
    assert ids(client, "/fhir/r4/CodeSystem", publisher="social,example") == ["colours", "kva"]
    both = client.get("/fhir/r4/CodeSystem", params=[("date", "ge2019"), ("date", "lt2020")]).json()
    assert [e["resource"]["id"] for e in both["entry"]] == ["colours"]


@pytest.mark.parametrize("params, text", [
    ({"publisher:below": "x"}, "publisher:below"), ({"date": "gt20x"}, "date"), ({"date": "xx2021"}, "date"),
    ({"identifier:text": "x"}, "identifier:text"), ({"nmae": "x"}, "nmae"), ({"_summary": "maybe"}, "_summary"),
])
def test_bad_search_parameters_are_refused(client, params, text):
    r = client.get("/fhir/r4/CodeSystem", params=params)
    assert r.status_code == 400 and text in r.json()["issue"][0]["details"]["text"], r.text


@pytest.mark.parametrize("base", ["/fhir/r4", "/fhir/r5"])
def test_summary_and_elements(client, base):
    summary = client.get(f"{base}/CodeSystem", params={"_id": "kva", "_summary": "true"}).json()
    kva = summary["entry"][0]["resource"]
    assert "concept" not in kva and "description" not in kva and kva["url"] == KVA and kva["publisher"]
    assert {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED"} in [
        {k: v for k, v in tag.items() if k in ("system", "code")} for tag in kva["meta"]["tag"]]
    count = client.get(f"{base}/CodeSystem", params={"_summary": "count"}).json()
    assert count["total"] == 2 and "entry" not in count
    data = client.get(f"{base}/CodeSystem", params={"_id": "kva", "_summary": "data"}).json()
    assert data["entry"][0]["resource"]["concept"]
    elements = client.get(f"{base}/CodeSystem", params={"_id": "kva", "_elements": "url,version"}).json()
    resource = elements["entry"][0]["resource"]
    assert set(resource) == {"resourceType", "id", "meta", "url", "version", "status", "content"}
    read = client.get(f"{base}/CodeSystem/kva", params={"_elements": "title"}).json()
    assert read["title"] and "concept" not in read
    full = client.get(f"{base}/CodeSystem", params={"_id": "kva", "_summary": "false"}).json()
    assert full["entry"][0]["resource"]["concept"] and "tag" not in full["entry"][0]["resource"].get("meta", {})
    vs = client.get(f"{base}/ValueSet", params={"_summary": "true"}).json()["entry"][0]["resource"]
    assert "compose" not in vs and vs["status"] == "active"


def test_resources_stored_before_the_search_index_are_found(new_db, backend):
    """A database whose resources were stored by a version without the search index is indexed on first use."""
    db = new_db(backend)
    repo = ResourceRepository(db)
    repo.load([RESOURCES[0]], by=COMMAND_LINE)
    repo.store.forget_index()
    assert ResourceRepository(db).search("CodeSystem", [("identifier", KVA)])[0] == 1
