"""Publishing (issue 17): a FHIR NPM package of the stored resources, loaded back into an empty database with the
same resources (R4 and R5 packages), the same bytes for unchanged content, and the Atom feed listing it; on
SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import warnings
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

import terminology as t
from api.fhir.package import export
from scripts.loading import load_fhir

ANNA = t.Principal("anna", frozenset({"informatiker"}))
BO = t.Principal("bo", frozenset({"informatiker"}))
CS = {"resourceType": "CodeSystem", "url": "https://region.example/fhir/CodeSystem/prio", "version": "1.0.0",
      "name": "Prio", "title": "Prioriteringsgrupper", "status": "draft", "content": "complete", "language": "sv",
      "concept": [{"code": "A", "display": "Akut", "designation": [{"language": "en", "value": "Acute"}]},
                  {"code": "B", "display": "Brådskande", "concept": [{"code": "B1", "display": "Inom en vecka"}]}]}
VS = {"resourceType": "ValueSet", "url": "https://region.example/fhir/ValueSet/prio-snabb", "version": "1.0.0",
      "name": "PrioSnabb", "title": "Snabba prioriteringar", "status": "draft",
      "compose": {"include": [{"system": CS["url"], "concept": [{"code": "A"}, {"code": "B1"}]}]}}
CM = {"resourceType": "ConceptMap", "url": "https://region.example/fhir/ConceptMap/prio-sct", "version": "1",
      "name": "PrioSct", "status": "draft",
      "group": [{"source": CS["url"], "target": "http://snomed.info/sct",
                 "element": [{"code": "A", "target": [{"code": "609588000", "relationship": "related-to"}]}]}]}


def _released(authoring: t.Authoring, resource: dict) -> dict:
    rid = authoring.create(resource, by=ANNA).resource["id"]
    return authoring.release(resource["resourceType"], rid, by=BO).resource


def _bare(resource: dict) -> dict:
    return {k: v for k, v in resource.items() if k != "meta"}


@pytest.mark.parametrize("fhir_version", ["4.0.1", "5.0.0"])
def test_package_round_trip_into_an_empty_database(new_db, backend, fhir_version, tmp_path):
    authoring = t.Authoring(t.TerminologyService(new_db(backend), refresh_seconds=0))
    stored = [_released(authoring, r) for r in (CS, VS, CM)]
    authoring.create({**VS, "version": "1.1.0"}, by=ANNA)  # a draft stays out of an "active" package

    package = export(authoring, by=ANNA, name="se.test.kodverk", fhir_version=fhir_version)
    assert (package.name, package.version, package.resources) == ("se.test.kodverk", "1.0.0", 3)
    with tarfile.open(fileobj=io.BytesIO(package.content), mode="r:gz") as tar:
        names = sorted(tar.getnames())
        manifest = json.loads(tar.extractfile("package/package.json").read())
        index = json.loads(tar.extractfile("package/.index.json").read())
    assert names == sorted(["package/package.json", "package/.index.json"] +
                           [f"package/{r['resourceType']}-{r['id']}.json" for r in stored])
    assert manifest["fhirVersions"] == [fhir_version] and manifest["version"] == "1.0.0"
    assert {f["url"] for f in index["files"]} == {CS["url"], VS["url"], CM["url"]}

    file = tmp_path / "kodverk.tgz"
    file.write_bytes(package.content)
    empty = new_db(backend)
    load_fhir(empty, [file])
    loaded = t.ResourceRepository(empty)
    for r in stored:
        assert _bare(loaded.read(r["resourceType"], r["id"])) == _bare(r)

    again = export(authoring, by=ANNA, name="se.test.kodverk", fhir_version=fhir_version)
    assert again.version == "1.0.0" and again.content == package.content  # nothing changed: the same package
    _released(authoring, {**CS, "url": CS["url"] + "-2"})
    assert export(authoring, by=ANNA, name="se.test.kodverk", fhir_version=fhir_version).version == "1.0.1"
    with pytest.raises(t.NotEditable):
        export(authoring, by=ANNA, name="se.test.kodverk", version="1.0.0", fhir_version=fhir_version)
    with pytest.raises(t.Forbidden):
        export(authoring, by=t.Principal("lots", frozenset({"vardlots"}), "05"), name="se.test.annat")


def test_feed_lists_the_published_packages(new_db, backend):
    from api import Settings, create_app
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    db = new_db(backend)
    authoring = t.Authoring(t.TerminologyService(db, refresh_seconds=0))
    _released(authoring, VS)
    package = export(authoring, by=ANNA, name="se.test.kodverk", title="Regionens kodverk")
    with TestClient(create_app(Settings(database_url=db.url.render_as_string(hide_password=False),
                                        catalog_refresh_seconds=0))) as client:
        r = client.get("/feed")
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
        ns = {"a": "http://www.w3.org/2005/Atom", "ncts": "http://ns.electronichealth.net.au/ncts/syndication/asf/"
                                                          "extensions/1.0.0"}
        root = ET.fromstring(r.content)
        entries = root.findall("a:entry", ns)
        assert len(entries) == 1
        entry = entries[0]
        assert entry.find("a:title", ns).text == "Regionens kodverk 1.0.0"
        assert entry.find("a:category", ns).get("term") == "FHIR_Package"
        assert entry.find("a:updated", ns).text
        assert entry.find("ncts:contentItemVersion", ns).text == "se.test.kodverk#1.0.0"
        link = entry.find("a:link[@rel='alternate']", ns)
        sha = hashlib.sha256(package.content).hexdigest()
        assert link.get(f"{{{ns['ncts']}}}sha256Hash") == sha and link.get("href").endswith(
            "/feed/se.test.kodverk/1.0.0.tgz")
        download = client.get("/feed/se.test.kodverk/1.0.0.tgz")
        assert download.status_code == 200 and hashlib.sha256(download.content).hexdigest() == sha
        missing = client.get("/feed/se.test.kodverk/9.9.9.tgz")
        assert missing.status_code == 404 and missing.json()["resourceType"] == "OperationOutcome"


def test_command_line_export(new_db, tmp_path):
    from scripts.cli import main

    db = new_db("sqlite")
    url = db.url.render_as_string(hide_password=False)
    runner = CliRunner()
    empty = runner.invoke(main, ["--database-url", url, "package", "export", "--out", str(tmp_path / "x.tgz")])
    assert empty.exit_code == 1 and "inga kodverk" in empty.output and "Traceback" not in empty.output
    _released(t.Authoring(t.TerminologyService(db, refresh_seconds=0)), CS)
    bad = runner.invoke(main, ["--database-url", url, "package", "export", "--out", str(tmp_path / "x.tgz"),
                               "--name", "Region X"])
    assert bad.exit_code == 1 and "Paketnamnet" in bad.output
    done = runner.invoke(main, ["--database-url", url, "package", "export", "--out", str(tmp_path / "x.tgz"),
                                "--name", "se.test.cli", "--version", "2.0.0"])
    assert done.exit_code == 0, done.output
    assert "se.test.cli 2.0.0, 1 resource(s)" in done.output and (tmp_path / "x.tgz").stat().st_size > 0
