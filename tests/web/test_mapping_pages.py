"""The mapping workbench's pages over HTTP (issue 21), without a browser: start a project from a file, bad files
refused row by row in Swedish with nothing stored, the review queue (accept, NO MAP with a comment, search
again), the second reviewer, publish, ``$translate`` with the new map, export and history."""

from __future__ import annotations

from pathlib import Path

import pytest

import terminology as t
from scripts.care_cli import add_demo_users
from scripts.loading import load_rf2

from ..conftest import MINI
from .pages import csrf, web_client

DEMO_LIST = Path(__file__).resolve().parents[2] / "scripts" / "data" / "lokala_tjanster.csv"
SOURCE = "https://region.example/kodverk/tjanster"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from api import Settings, create_app
    url = f"sqlite:///{tmp_path_factory.mktemp('mapping') / 'vardterm.db'}"
    db = t.Database(url)
    db.initialise()
    load_rf2(db, [MINI])
    add_demo_users(db)
    yield create_app(Settings(database_url=url, catalog_refresh_seconds=0))
    db.dispose()


def _start(client, data: bytes, name: str, **fields):
    token = csrf(client.get("/app/mappningsprojekt").text)
    form = {"csrf": token, "title": "Lokala tjänster", "source_system": SOURCE, "target": "snomed", **fields}
    return client.post("/app/mappningsprojekt", data=form, files={"file": (name, data)}, follow_redirects=False)


@pytest.mark.parametrize("data, name, expected", [
    (b"kod;namn\n1;Knaprotes\n", "fel.csv", "Rad 1: kolumnen term saknas"),
    (b"kod;term\nA1;Knaprotes\nA2;\n", "tom.csv", "Rad 3: termen är tom"),
    (b"kod;term\nA1;Knaprotes\nA1;Koloskopi\n", "dubbel.csv", "Rad 3: koden A1 finns redan på rad 2"),
    ("kod;term\nA1;Knäprotes\n".encode("latin-1"), "latin1.csv", "inte UTF-8"),
    (b"not a workbook", "lista.xlsx", "inte en Excel-fil"),
    (b"PK\x03\x04broken", "trasig.xlsx", "Excel-filen går inte att läsa"),
    (b"%PDF-1.4", "lista.pdf", "filtypen stöds inte"),
])
def test_bad_files_get_a_row_level_swedish_error_and_store_nothing(app, data, name, expected):
    info = web_client(app, "info")
    before = len(info.app.state.workbench.projects()) if hasattr(info.app.state, "workbench") else 0
    r = _start(info, data, name)
    assert r.status_code == 400
    assert expected in r.text and "Inget har sparats" in r.text
    assert len(app.state.workbench.projects()) == before


def test_readers_see_projects_but_may_not_start_one(app):
    lots = web_client(app, "lots")
    page = lots.get("/app/mappningsprojekt")
    assert page.status_code == 200 and "Nytt projekt" not in page.text
    r = _start(lots, DEMO_LIST.read_bytes(), "lokala_tjanster.csv")
    assert r.status_code == 403


def test_upload_review_publish_translate(app):
    info, info2 = web_client(app, "info"), web_client(app, "info2")
    r = _start(info, DEMO_LIST.read_bytes(), "lokala_tjanster.csv")
    assert r.status_code == 303, r.text
    project = r.headers["location"]
    pid = int(project.rsplit("/", 1)[1])
    page = info.get(project).text
    assert "0 av 50" in page and "Kataraktoperation" in page
    # the queue opens on the first unreviewed row, with its suggestions
    queue = info.get(f"{project}/granska")
    assert queue.status_code == 200 and "Gråstarrsoperation" in queue.text and 'data-key="1"' in queue.text
    token = csrf(queue.text)
    wb = app.state.workbench
    rows = wb.rows(pid)
    for row in rows:
        form = {"csrf": token, "rad": str(row["row_no"]), "filter": "ogranskade"}
        if row["suggestions"] and row["suggestions"][0]["score"] >= 0.6:
            form |= {"code": row["suggestions"][0]["code"], "relationship": "equivalent"}
        else:
            form |= {"nomap": "1", "comment": "Inget lämpligt mål i SNOMED CT"}
        answer = info.post(f"{project}/granska", data=form, follow_redirects=False)
        assert answer.status_code == 303, answer.text
    # NO MAP without a comment is refused in Swedish
    bad = info.post(f"{project}/granska", data={"csrf": token, "rad": "47", "nomap": "1", "comment": ""})
    assert bad.status_code == 400 and "NO MAP kräver en kommentar" in bad.text
    # search again
    again = info.get(f"{project}/granska", params={"rad": 5, "sok": "kataraktextraktion"}).text
    assert "385468004" in again or "Kataraktextraktion" in again
    assert "50 av 50" in info.get(project).text
    # the one who decided may not publish; a second informatiker may
    page = info.get(project).text
    assert "en andra informatiker" in page
    refused = info.post(f"{project}/publicera", data={"csrf": token}, follow_redirects=False)
    assert refused.status_code == 403
    token2 = csrf(info2.get(project).text)
    published = info2.post(f"{project}/publicera", data={"csrf": token2}, follow_redirects=False)
    assert published.status_code == 303 and published.headers["location"].startswith("/app/mappningar/")
    translated = info2.get("/fhir/r5/ConceptMap/$translate", params={"sourceSystem": SOURCE, "sourceCode": "LT002"})
    body = translated.json()
    assert translated.status_code == 200, body
    matches = [p for p in body["parameter"] if p["name"] == "match"]
    codes = [part["valueCoding"]["code"] for m in matches for part in m["part"] if part["name"] == "concept"]
    assert codes == ["110473004"]
    nomap = info2.get("/fhir/r5/ConceptMap/$translate", params={"sourceSystem": SOURCE, "sourceCode": "LT048"}).json()
    assert next(p for p in nomap["parameter"] if p["name"] == "result")["valueBoolean"] is False
    # export and history
    csv = info.get(f"{project}/export.csv")
    assert csv.status_code == 200 and "LT002;Kataraktoperaton" in csv.content.decode("utf-8-sig")
    assert info.get(f"{project}/export.xlsx").content[:2] == b"PK"
    history = info.get(f"{project}/historik").text
    assert "info2" in history and "NO MAP" in history and "bekräftade och publicerade" in history


def test_unknown_project_and_filter_are_readable_errors(app):
    info = web_client(app, "info")
    assert info.get("/app/mappningsprojekt/9999").status_code == 404
    r = _start(info, b"term\nKoloskopi\n", "en.csv")
    project = r.headers["location"]
    assert info.get(project, params={"filter": "bogus"}).status_code == 400
    assert info.get(f"{project}/export.pdf").status_code == 404
