"""The code-list pages over HTTP (issue 17), without a browser: what each role may do on every page, the forms'
Swedish answers to bad input (never a 500), and the flows behind the browser tests: author, release by a second
person, import a code list, a subset, publish a package."""

from __future__ import annotations

import re

import pytest

import terminology as t
from scripts.care_cli import add_demo_users
from scripts.demo_codelists import BASE, ensure_demo_codelists
from scripts.loading import load_rf2
from scripts.national import load_demo_national

from ..conftest import MINI
from .pages import csrf, web_client


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The demo terminology, national excerpts, demo code lists and logins on a fresh SQLite database."""
    from api import Settings, create_app
    url = f"sqlite:///{tmp_path_factory.mktemp('codelists') / 'vardterm.db'}"
    db = t.Database(url)
    db.initialise()
    load_rf2(db, [MINI])
    load_demo_national(db)
    ensure_demo_codelists(db, t.TerminologyService(db, refresh_seconds=0))
    add_demo_users(db)
    yield create_app(Settings(database_url=url, catalog_refresh_seconds=0, rf2_namespace="1000052"))
    db.dispose()


def _id(app, rtype: str, url: str, status: str) -> str:
    found = [r for r in app.state.repository.find(rtype, url) if r.get("status") == status]
    return found[0]["id"]


def test_informatiker_lands_on_the_value_sets_and_filters_them(app):
    info = web_client(app, "info")
    assert info.landing == "/app/vardemangder"
    page = info.get("/app/vardemangder").text
    assert "Knäledsplastik-åtgärder" in page and "Ny värdemängd" in page
    drafts = info.get("/app/vardemangder", params={"status": "draft", "q": "knä"}).text
    assert "Knäledsplastik-åtgärder" in drafts and "Tjänstetyper" not in drafts
    assert "Prioriteringsgrupper" in info.get("/app/kodverk").text
    assert f"{BASE}/ConceptMap/icd10se-to-sct-care-services" in info.get("/app/mappningar").text


@pytest.mark.parametrize("user", ["lots", "avtal"])
def test_readers_read_but_may_not_write_on_any_page(app, user):
    client = web_client(app, user)
    draft = _id(app, "ValueSet", f"{BASE}/ValueSet/Knaledsplastik", "draft")
    active = _id(app, "ValueSet", f"{BASE}/ValueSet/Knaledsplastik", "active")
    cs = _id(app, "CodeSystem", f"{BASE}/CodeSystem/prioriteringsgrupper", "draft")
    page = client.get(f"/app/vardemangder/{draft}")
    assert page.status_code == 200 and "Släpp version" not in page.text and "Redigera" not in page.text
    assert client.get(f"/app/kodverk/{cs}").status_code == 200
    token = csrf(client.get("/app/vardemangder").text)
    for method, path, data in (
            ("get", "/app/vardemangder/ny", None), ("get", f"/app/vardemangder/{draft}/redigera", None),
            ("post", "/app/vardemangder/ny", {"title": "X"}), ("post", f"/app/vardemangder/{draft}/slapp", {}),
            ("post", f"/app/vardemangder/{active}/utkast", {}), ("post", f"/app/vardemangder/{active}/avveckla", {}),
            ("post", f"/app/kodverk/{cs}/kod", {"code": "9", "display": "Nio"}), ("get", f"/app/kodverk/{cs}/import", None),
            ("post", "/app/vardemangder/urval", {}), ("post", "/app/paket", {"name": "se.x.y"})):
        r = client.request(method.upper(), path, data={**(data or {}), "csrf": token} if method == "post" else None)
        assert r.status_code == 403, (path, r.status_code)
        assert "Åtkomst nekad" in r.text and "Traceback" not in r.text


def test_author_with_ecl_release_by_the_second_person(app):
    info, info2 = web_client(app, "info"), web_client(app, "info2")
    token = csrf(info.get("/app/vardemangder/ny").text)
    bad = info.post("/app/vardemangder/ny", data={"csrf": token, "title": "Höft", "ecl": "<< 52734007 OR",
                                                   "picked": ""})
    assert bad.status_code == 400 and "ECL-uttrycket har ett syntaxfel vid tecken" in bad.text
    assert 'value="Höft"' in bad.text  # nothing typed is lost
    made = info.post("/app/vardemangder/ny", data={"csrf": token, "title": "Höftledsplastik", "name": "Hoft",
                                                    "version": "1.0.0", "ecl": "<< 52734007 |Total höftledsplastik|",
                                                    "picked": "urn:oid:1.2.752.116.1.3.2.1.4|NFB49|"},
                     follow_redirects=False)
    assert made.status_code == 303
    page = info.get(made.headers["location"]).text
    assert "utkast" in page and "Du ändrade utkastet senast" in page and "NFB49" in page
    rid = made.headers["location"].split("/")[-1].split("?")[0]
    refused = info.post(f"/app/vardemangder/{rid}/slapp", data={"csrf": token})
    assert refused.status_code == 403 and "Granskning krävs" in refused.text
    token2 = csrf(info2.get(f"/app/vardemangder/{rid}").text)
    released = info2.post(f"/app/vardemangder/{rid}/slapp", data={"csrf": token2, "label": "Test"})
    assert released.status_code == 200 and "Versionen är släppt" in released.text
    assert info.get(f"/app/vardemangder/{rid}/redigera").status_code == 422
    found = info.get("/app/begrepp", params={"system": t.snomed.SYSTEM, "code": "52734007"}).text
    assert "Höftledsplastik" in found
    expanded = info.get("/fhir/r4/ValueSet/$expand", params={"url": f"{BASE}/ValueSet/Hoft"}).json()
    assert any(c["code"] == "52734007" for c in expanded["expansion"]["contains"])
    history = info.get(f"/app/vardemangder/{rid}/historik").text
    assert "info2" in history and "släppt" in history and "webb" in history


def test_ecl_preview_answers_with_positions_never_500(app):
    info = web_client(app, "info")
    ok = info.get("/app/api/ecl", params={"uttryck": "<< 609588000"}).json()
    assert ok["ok"] and ok["total"] == 5 and ok["items"][0]["display"]
    bad = info.get("/app/api/ecl", params={"uttryck": "<< 609588000 MINUS"}).json()
    assert not bad["ok"] and bad["position"] == 14 and bad["error"].startswith("Syntaxfel vid tecken 14")
    unknown = info.get("/app/api/ecl", params={"uttryck": "*", "version": "http://snomed.info/sct/1/version/2"})
    assert unknown.status_code == 200 and not unknown.json()["ok"]
    assert info.get("/app/api/koder", params={"q": "knaprotes"}).json()[0]["code"] == "609588000"
    assert web_client(app, None).get("/app/api/ecl", params={"uttryck": "*"}, follow_redirects=False).status_code == 303


def test_code_system_import_with_an_error_row_then_commit_and_export(app):
    info = web_client(app, "info")
    cs = _id(app, "CodeSystem", f"{BASE}/CodeSystem/prioriteringsgrupper", "draft")
    token = csrf(info.get(f"/app/kodverk/{cs}/import").text)
    bad = "kod;visningsnamn;förälder\n1;Akut;\n2;;\n3;Planerad;9\n".encode()
    preview = info.post(f"/app/kodverk/{cs}/import", data={"csrf": token}, files={"file": ("koder.csv", bad)})
    assert preview.status_code == 400
    assert "2 av 3 rader har fel" in preview.text and "visningsnamnet saknas" in preview.text
    assert "föräldern 9 finns inte" in preview.text and "Ersätt koderna" not in preview.text
    good = "kod;visningsnamn;engelska;förälder\n1;Akut;Acute;\n1A;Akut, inom en timme;;1\n5;Ny grupp;New;\n"
    checked = info.post(f"/app/kodverk/{cs}/import", data={"csrf": token},
                        files={"file": ("koder.csv", good.encode())})
    assert checked.status_code == 200 and "Alla 3 rader är godkända" in checked.text
    payload = re.search(r'name="payload" value="([^"]+)"', checked.text)[1]
    done = info.post(f"/app/kodverk/{cs}/import", data={"csrf": token, "payload": payload, "filename": "koder.csv",
                                                        "confirm": "1"})
    assert done.status_code == 200 and "Koderna är importerade" in done.text
    csv_text = info.get(f"/app/kodverk/{cs}/export.csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "kod;visningsnamn;svenska;engelska;definition;förälder;status"
    assert "5;Ny grupp;;New;;;aktiv" in csv_text
    xlsx = info.get(f"/app/kodverk/{cs}/export.xlsx")
    assert xlsx.content[:2] == b"PK" and t.spreadsheet.table(xlsx.content, "x.xlsx")[3][0] == "5"
    assert info.get(f"/app/kodverk/{cs}/export.json").json()["concept"][1]["code"] == "5"
    assert info.get(f"/app/kodverk/{cs}/export.pdf").status_code == 404
    added = info.post(f"/app/kodverk/{cs}/kod", data={"csrf": token, "code": "5", "display": "Dubblett"})
    assert added.status_code == 400 and "koden 5 finns redan" in added.text
    retired = info.post(f"/app/kodverk/{cs}/kod/5/avveckla", data={"csrf": token})
    assert retired.status_code == 200 and "avvecklad" in retired.text


def test_subset_preview_and_package_download(app):
    info = web_client(app, "info")
    token = csrf(info.get("/app/vardemangder/urval").text)
    rf2 = ("id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\r\n"
           "a\t20250101\t1\t45991000052106\t99900111000052105\t609588000\r\n"
           "b\t20250101\t1\t45991000052106\t99900111000052105\t99900002004\r\n").encode()
    file = {"file": ("der2_Refset_SimpleSnapshot_SE1000052_20250101.txt", rf2)}
    preview = info.post("/app/vardemangder/urval", data={"csrf": token, "title": "Urvalet", "version": "1.0.0",
                                                         "confirm": "0"}, files=file)
    assert preview.status_code == 200 and "REPLACED BY 52734007" in preview.text
    saved = info.post("/app/vardemangder/urval", data={"csrf": token, "title": "Urvalet", "version": "1.0.0",
                                                       "confirm": "1", "replace": "1"}, files=file)
    assert saved.status_code == 200 and "Urvalet" in saved.text and "52734007" in saved.text
    rid = str(saved.url).split("/")[-1].split("?")[0]
    assert info.get(f"/app/vardemangder/{rid}/rf2.zip").content[:2] == b"PK"

    bad = info.post("/app/paket", data={"csrf": token, "name": "Inte Ett Namn", "status": "active"})
    assert bad.status_code == 400 and "Paketnamnet" in bad.text
    package = info.post("/app/paket", data={"csrf": token, "name": "se.test.webb", "status": "active"})
    assert package.status_code == 200 and package.headers["content-type"] == "application/tar+gzip"
    assert "se.test.webb" in info.get("/feed").text and "se.test.webb" in info.get("/app/paket").text


def test_bad_addresses_and_parameters_get_swedish_pages(app):
    info = web_client(app, "info")
    missing = info.get("/app/vardemangder/finns-inte")
    assert missing.status_code == 404 and "Sidan finns inte" in missing.text
    assert info.get("/app/vardemangder", params={"status": "kanske"}).status_code == 400
    assert info.get("/app/vardemangder", params={"sida": "x"}).status_code == 400
    only = _id(app, "ValueSet", f"{BASE}/ValueSet/Kataraktoperationer", "draft")
    assert "ingen annan version" in info.get(f"/app/vardemangder/{only}/jamfor").text
