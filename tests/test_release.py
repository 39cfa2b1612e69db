"""A new release on the demo's data (issue 20): the hand-made fixture as of 20231231 and as of 20251130, the
demo's directory and what was registered under the old release. The diff names the fixture's own history
(an inactivation with REPLACED BY, a moved concept, a changed Swedish preferred term); the impact finds the
value set, the map and the services; the decisions write drafts and a service type with its history; the HTTP
routes and the command line answer, and refuse bad input with readable messages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings

import pytest
from click.testing import CliRunner

import terminology as t
from api import Settings, create_app
from mappings import care
from scripts import demo_release
from scripts.care_cli import load_generated
from scripts.cli import main
from scripts.loading import load_rf2

from .conftest import MINI

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

OLD = demo_release.PREVIOUS_VERSION
NEW = "http://snomed.info/sct/45991000052106/version/20251130"
SCT = t.snomed.SYSTEM
DAY = dt.date(2026, 3, 2)


@pytest.fixture(scope="module")
def released(tmp_path_factory, request):
    """One database per backend: both releases, the demo directory, the registrations of 2023."""
    made = {}

    def get(backend: str):
        if backend not in made:
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('release') / 'vardterm.db'}"
            else:
                url = request.getfixturevalue("pg_databases").new_url()
            db = t.Database(url, pool_size=4)
            db.initialise()
            load_rf2(db, [MINI])
            assert demo_release.ensure_previous_release(db, load_rf2)
            service = t.TerminologyService(db, refresh_seconds=0)
            directory = care.CareDirectory(db, service, refresh_seconds=0)
            load_generated(directory, "demo", today=DAY)
            assert demo_release.ensure_release_findings(service, directory) >= 3
            made[backend] = (db, service, directory, t.ReleaseReview(service, t.Authoring(service)))
        return made[backend]

    return get


@pytest.fixture
def setup(released, backend):
    return released(backend)


def test_the_diff_names_the_fixture_history(setup):
    _, _, _, review = setup
    d = review.diff(OLD, NEW)
    hip = d.inactivation("99900002004")
    assert hip is not None and hip.reason == str(t.snomed.OUTDATED) and hip.reason_text == "föråldrat"
    assert [(a.name, a.target.code) for a in hip.replacements] == [("REPLACED BY", "52734007")]
    moved = {m.concept.code: m for m in d.moved}
    assert [p.code for p in moved["415089008"].parents_added] == ["385468004"]
    assert [p.code for p in moved["415089008"].parents_removed] == ["110473004"]
    knee = [x for x in d.terms if x.concept.code == "609588000" and x.language == "sv"]
    assert knee and knee[0].before != knee[0].after
    assert d.counts()["added"] == len(d.added) > 0
    assert d.by_module["inactivated"] and d.by_hierarchy["moved"] == {"Åtgärd": 1}


def test_the_impact_finds_the_value_set_the_map_and_the_services(setup):
    _, _, directory, review = setup
    d = review.diff(OLD, NEW)
    impact = care.release.release_impact(review, directory, d)
    by = {(f.kind, f.change, f.code) for f in impact.findings}
    assert ("valueset", "listed-inactive", "99900002004") in by
    assert ("conceptmap", "target-inactive", "99900002004") in by
    assert ("service", "inactivated", "99900002004") in by
    assert ("service", "moved", "415089008") in by
    service = next(f for f in impact.findings if f.kind == "service" and f.change == "inactivated")
    assert service.target == demo_release.SERVICE_ID and service.suggestion.target.code == "52734007"
    assert service.region and service.agreements
    cataract = next(f for f in impact.findings if f.kind == "service" and f.code == "415089008")
    assert {r.code for r in cataract.searches_gained} >= {"385468004"}
    assert impact.checked["service"] > 0 and impact.checked["valueset"] >= 1


def test_accepting_a_value_set_replacement_writes_a_draft(setup):
    _, service, _, review = setup
    d = review.diff(OLD, NEW)
    impact = review.impact(d)
    finding = next(f for f in impact.findings if f.change == "listed-inactive")
    info = t.Principal("info", frozenset({"informatiker"}), "05", "web")
    decision = review.decide(d, finding.key, action="accepted", replacement="52734007", by=info,
                             comment="enligt releasen")
    assert decision.result.startswith("ValueSet/") and "utkast" in decision.result
    draft = service.repository.read("ValueSet", decision.result.split("/")[1].split(" ")[0])
    assert draft["status"] == "draft"
    codes = [c["code"] for c in draft["compose"]["include"][0]["concept"]]
    assert "52734007" in codes and "99900002004" not in codes
    assert review.decisions(d)[finding.key].who == "info"
    with pytest.raises(t.InvalidRequest):
        review.decide(d, finding.key, action="dismissed", by=info)
    with pytest.raises(t.InvalidRequest):
        review.decide(d, finding.key, action="replaced", replacement="99900002004", by=info)
    with pytest.raises(t.InvalidRequest):
        review.decide(d, "nonsense", action="accepted", by=info)
    with pytest.raises(t.Forbidden):
        review.decide(d, finding.key, action="dismissed", comment="x",
                      by=t.Principal("lots", frozenset({"vardlots"}), "05", "web"))


def test_accepting_a_service_replacement_changes_its_type_and_history(setup):
    _, _, directory, review = setup
    d = review.diff(OLD, NEW)
    key = f"service:{demo_release.SERVICE_ID}:inactivated:99900002004"
    info = t.Principal("info", frozenset({"informatiker"}), "05", "web")
    with pytest.raises(t.Forbidden):
        care.release.accept_for_service(directory, review, d, key, action="accepted", replacement="52734007",
                                        by=info)
    admin = t.Principal("admin", frozenset({"admin"}), None, "web")
    decision = care.release.accept_for_service(directory, review, d, key, action="accepted",
                                               replacement="52734007", comment="ersatt enligt releasen", by=admin)
    assert decision.action == "accepted" and decision.result.startswith("HealthcareService/")
    record = directory.store.get("HealthcareService", demo_release.SERVICE_ID).record
    assert [c.code for c in record.types] == ["52734007"]
    event = directory.history(by=admin, resource_type="HealthcareService", resource_id=demo_release.SERVICE_ID)[0]
    assert event.who == "admin" and event.channel == "release"
    assert "99900002004" in event.what and "52734007" in event.what and "ersatt enligt releasen" in event.what
    from mappings.care.store import Filter

    _, commissions = directory.store.search("OrganizationAffiliation",
                                            [Filter("service", "eq", demo_release.SERVICE_ID)], count=None)
    region = commissions[0].record.region
    found = directory.search(care.CareSearchRequest(region=region, code="52734007", system=SCT,
                                                    date=DAY.isoformat()), by=admin, today=DAY.isoformat())
    assert demo_release.SERVICE_ID in {h.service.record.id for h in (*found.hits, *found.excluded)}
    after = {f.key for f in care.release.service_impact(directory, d)[0]}
    assert key not in after


def _client(db, roles) -> TestClient:
    app = create_app(Settings(database_url=db.url.render_as_string(hide_password=False), catalog_refresh_seconds=0))
    key = t.Accounts(db).add_key(f"k-{'-'.join(roles)}-{id(app)}", roles, "05")
    return TestClient(app, headers={"X-API-Key": key})


def test_the_http_routes(released):
    db, *_ = released("sqlite")
    with _client(db, ("informatiker",)) as client:
        params = {"system": SCT, "from": OLD, "to": NEW}
        r = client.get("/api/terminology/diff", params=params)
        assert r.status_code == 200
        body = r.json()
        assert any(i["code"] == "99900002004" and i["associations"][0]["type"] == "REPLACED BY"
                   for i in body["inactivated"])
        r = client.get("/api/terminology/impact", params=params)
        assert r.status_code == 200 and r.json()["findings"]
        csv = client.get("/api/terminology/impact", params={**params, "format": "csv"})
        assert csv.status_code == 200 and csv.text.lstrip("\ufeff").startswith("kind;target;title")
        xlsx = client.get("/api/terminology/diff", params={**params, "format": "xlsx"})
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
        for bad, status in (({"system": SCT, "from": OLD}, 400), ({**params, "from": "nonsense"}, 400),
                            ({**params, "from": "http://snomed.info/sct/45991000052106/version/20200101"}, 404),
                            ({**params, "to": OLD}, 400), ({**params, "format": "pdf"}, 400)):
            r = client.get("/api/terminology/diff", params=bad)
            assert r.status_code == status, (bad, r.text)
            assert r.json()["resourceType"] == "OperationOutcome"
    with _client(db, ("vardlots",)) as client:
        assert client.get("/api/terminology/impact", params=params).status_code == 403
    app = create_app(Settings(database_url=db.url.render_as_string(hide_password=False), catalog_refresh_seconds=0))
    with TestClient(app) as anonymous:
        assert anonymous.get("/api/terminology/impact", params=params).status_code == 401


def test_the_command_line(released):
    db, *_ = released("sqlite")
    url = db.url.render_as_string(hide_password=False)
    runner = CliRunner()
    result = runner.invoke(main, ["--database-url", url, "--log-level", "WARNING", "release", "impact", OLD, NEW])
    assert result.exit_code == 0, result.output
    assert "Höftprotesoperationer" in result.output and "REPLACED BY 52734007" in result.output
    result = runner.invoke(main, ["--database-url", url, "--log-level", "WARNING", "release", "diff", OLD, NEW, "--csv"])
    assert result.exit_code == 0 and result.output.startswith("change,code,display,detail")
    result = runner.invoke(main, ["--database-url", url, "--log-level", "WARNING", "release", "diff", OLD, NEW, "--json"])
    assert result.exit_code == 0 and '"inactivated"' in result.output
    result = runner.invoke(main, ["--database-url", url, "--log-level", "WARNING", "release", "diff", "x", NEW])
    assert result.exit_code == 1 and "varken en SNOMED CT-version" in result.output
    assert "Traceback" not in result.output


def test_two_versions_of_a_code_system(new_db, backend):
    db = new_db(backend)
    service = t.TerminologyService(db, refresh_seconds=0)
    review = t.ReleaseReview(service, t.Authoring(service))
    url = "http://example.org/kva-demo"

    def cs(version, concepts):
        return {"resourceType": "CodeSystem", "url": url, "version": version, "status": "active",
                "content": "complete", "hierarchyMeaning": "is-a", "concept": concepts}

    old = cs("2025", [{"code": "N", "display": "Rörelseorganen", "concept": [
        {"code": "NFB49", "display": "Höftprotes"}, {"code": "NGB49", "display": "Knäprotes"}]},
        {"code": "Q", "display": "Huden"}])
    new = cs("2026", [{"code": "N", "display": "Rörelseorganen", "concept": [
        {"code": "NFB49", "display": "Primär höftprotes", "property": [
            {"code": "status", "valueCode": "retired"}, {"code": "replacedBy", "valueCode": "NFB62"}]},
        {"code": "NFB62", "display": "Primär totalprotes i höftled"}]},
        {"code": "Q", "display": "Huden", "concept": [{"code": "NGB49", "display": "Knäprotes"}]}])
    for resource in (old, new):
        service.repository.create(resource, by=t.COMMAND_LINE)
    d = review.diff(f"{url}|2025", f"{url}|2026")
    assert [r.code for r in d.added] == ["NFB62"]
    assert [(i.concept.code, [a.target.code for a in i.replacements]) for i in d.inactivated] == [("NFB49", ["NFB62"])]
    assert [(m.concept.code, [p.code for p in m.parents_added]) for m in d.moved] == [("NGB49", ["Q"])]
    with pytest.raises(t.UnknownCodeSystemVersion):
        review.diff(f"{url}|2025", f"{url}|2030")
    with pytest.raises(t.InvalidRequest):
        review.diff(f"{url}|2025", "http://example.org/other|2026")


def _web(db, user: str | None) -> TestClient:
    import re

    from scripts.care_cli import DEMO_PASSWORD, add_demo_users

    add_demo_users(db)
    app = create_app(Settings(database_url=db.url.render_as_string(hide_password=False), catalog_refresh_seconds=0))
    client = TestClient(app)
    if user:
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/app/login").text)[1]
        r = client.post("/app/login", data={"csrf": token, "username": user, "password": DEMO_PASSWORD},
                        follow_redirects=False)
        assert r.status_code == 303
    return client


def test_the_page_shows_the_findings_and_refuses_what_it_must(released):
    db, *_ = released("sqlite")
    with _web(db, "info") as info:
        page = info.get("/app/release")
        assert page.status_code == 200
        assert OLD in page.text and "Höftprotesoperationer" in page.text and "REPLACED BY" in page.text
        assert "En administratör beslutar om tjänster." in page.text
        bad = info.get("/app/release", params={"system": SCT, "from": "nonsense", "to": NEW})
        assert bad.status_code == 400 and "varken en SNOMED CT-version" in bad.text and "Traceback" not in bad.text
        download = info.get("/api/terminology/impact", params={"system": SCT, "from": OLD, "to": NEW,
                                                               "format": "xlsx"})
        assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    with _web(db, "lots") as lots:
        assert lots.get("/app/release").status_code == 403
    with _web(db, None) as anonymous:
        assert anonymous.get("/app/release", follow_redirects=False).status_code == 303


KVA = "urn:oid:1.2.752.116.1.3.2.1.4"


def test_the_demo_kva_pair_has_an_impact(released, backend):
    """The demo's two KVÅ versions (the 2021 excerpt and the project's made-up 2020 one): NFB59 removed, NFB39
    renamed, NFB62 and UJF32 new; the map made under 2020 still lists NFB59, and Tjänstetyper för vårdavtal gains
    UJF32. The same report ``vardterm release impact`` prints on the demo."""
    from scripts.demo_codelists import ensure_demo_codelists
    from scripts.national import DEMO_VERSIONS, SE_CODES, load_kva

    db, service, directory, review = released(backend)
    if not t.ResourceRepository(db).find("CodeSystem", KVA, DEMO_VERSIONS["kva"]):
        load_kva(db, [SE_CODES / "kva-excerpt.txt"], version=DEMO_VERSIONS["kva"], content="fragment")
    assert demo_release.ensure_previous_kva(db) and not demo_release.ensure_previous_kva(db)
    ensure_demo_codelists(db, service)
    d = review.diff(f"{KVA}|{demo_release.PREVIOUS_KVA}", f"{KVA}|{DEMO_VERSIONS['kva']}")
    assert [(i.concept.code, i.reason) for i in d.inactivated] == [(demo_release.OLD_KVA_CODE, "removed")]
    assert [r.code for r in d.added] == ["NFB62", "UJF32"]
    assert [(x.concept.code, x.before, x.after) for x in d.terms if x.language == "display"] == [
        ("NFB39", "Primär total höftledsplastik, hybrid", "Primär total höftledsplastik med hybridteknik")]
    impact = care.release.release_impact(review, directory, d)
    by = {(f.kind, f.change, f.code, f.title) for f in impact.findings}
    assert ("conceptmap", "source-inactive", "NFB59", "KVÅ till SNOMED CT (höft) 1.0.0") in by
    assert ("valueset", "joined", "UJF32", "Tjänstetyper för vårdavtal 1.0.0") in by
    url = db.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["--database-url", url, "--log-level", "WARNING", "release", "impact",
                                       f"{KVA}|2020", f"{KVA}|2021"])
    assert result.exit_code == 0, result.output
    assert "NFB59" in result.output and "UJF32" in result.output and "2 fynd" in result.output
    with _web(db, "info") as info:
        page = info.get("/app/release", params={"system": KVA})
        assert page.status_code == 200 and "NFB59" in page.text and "UJF32" in page.text
        assert 'value="2020" selected' in page.text and 'value="2021" selected' in page.text
        switched = info.get("/app/release", params={"system": KVA, "from": OLD, "to": NEW})  # the form, system changed
        assert switched.status_code == 200 and "NFB59" in switched.text


def test_the_impact_is_kept_until_something_is_loaded_or_written(released, backend):
    """The page, its decisions and its downloads reuse one computed impact per system, FROM, TO, catalog
    generation and care directory generation; a stored write or a care write makes the next one fresh."""
    db, service, directory, review = released(backend)
    d = review.diff(OLD, NEW)
    first = care.release.release_impact(review, directory, d)
    assert care.release.release_impact(review, directory, d) is first
    assert care.release.release_impact(review, None, d) is not first  # another key: no care directory
    a = t.Authoring(service)
    vs = {"resourceType": "ValueSet", "url": "https://vardterm.example/fhir/ValueSet/kept-test", "version": "1",
          "status": "active", "compose": {"include": [{"system": SCT, "concept": [{"code": "99900002004"}]}]}}
    a.repository.create(vs, by=t.COMMAND_LINE)
    after_write = care.release.release_impact(review, directory, d)
    assert after_write is not first
    assert len([f for f in after_write.findings if f.kind == "valueset"]) > len(
        [f for f in first.findings if f.kind == "valueset"])
    stored = directory.store.get("HealthcareService", demo_release.SERVICE_ID)
    renamed = dataclasses.replace(stored.record, name=f"{stored.record.name} (nytt namn)")
    directory.store.write([(renamed, None)], who="test", channel="cli", note="nytt namn")
    assert care.release.release_impact(review, directory, d) is not after_write


def test_kept_impacts_compute_once_and_say_when_they_are_not_ready():
    import threading

    from terminology.release import KeptImpacts

    kept = KeptImpacts(2)
    go, calls = threading.Event(), []

    def slow():
        calls.append(1)
        go.wait(10)
        return "impact"

    assert kept.get(("a",), slow, wait=0.05) is None  # still computing
    assert kept.running(("a",)) and kept.get(("a",), slow, wait=0.05) is None
    go.set()
    assert kept.get(("a",), slow) == "impact" and kept.get(("a",), slow) == "impact" and calls == [1]

    def broken():
        raise t.InvalidRequest.plain("trasig")

    with pytest.raises(t.InvalidRequest):
        kept.get(("b",), broken)
    assert not kept.running(("b",))
    for key in ("c", "d", "e"):
        kept.get((key,), lambda key=key: key)
    assert kept.get(("a",), lambda: "again") == "again"  # the oldest was dropped (bounded)


def test_the_page_says_it_is_computing_and_reloads(released, monkeypatch):
    import threading

    from api.web import release_pages

    db, *_ = released("sqlite")
    go = threading.Event()
    real = care.release._whole_impact

    def slow(*args):
        go.wait(20)
        return real(*args)

    monkeypatch.setattr(care.release, "_whole_impact", slow)
    monkeypatch.setattr(release_pages, "PAGE_WAIT_SECONDS", 0.05)
    with _web(db, "info") as info:
        info.app.state.release_review.impacts = t.release.KeptImpacts(2)
        page = info.get("/app/release")
        assert page.status_code == 200 and "Beräknar påverkan" in page.text
        assert '<meta http-equiv="refresh"' in page.text and 'id="release-summary"' not in page.text
        go.set()
        download = info.get("/api/terminology/impact", params={"system": SCT, "from": OLD, "to": NEW})
        assert download.status_code == 200 and download.json()["findings"]
        page = info.get("/app/release")
        assert "Beräknar påverkan" not in page.text and "Höftprotesoperationer" in page.text
        assert '<meta http-equiv="refresh"' not in page.text
