"""The mapping workbench in headless Chromium (issue 21): a real ``vardterm demo`` server on 127.0.0.1 and Debian's
chromium driven by Playwright. An informatiker uploads a term list (a bad file first: row-level errors, nothing
stored), reviews it with the keyboard (1 accepts the first suggestion, n + comment + Enter is NO MAP), a second
informatiker publishes, and ``$translate`` answers with the new map. Screenshots go to ``docs/screenshots/``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ..serving import VARDTERM, vardterm_server
from .browsing import login, needs_chromium, shot

pytestmark = needs_chromium
playwright = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

SOURCE = "https://region.example/kodverk/remissorsaker"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    where = tmp_path_factory.mktemp("web-mapping")
    db = f"sqlite:///{where / 'vardterm.db'}"
    subprocess.run([VARDTERM, "--database-url", db, "--log-level", "WARNING", "demo", "--no-serve"], cwd=where,
                   check=True, capture_output=True, timeout=120)
    with vardterm_server(["--database-url", db, "--log-level", "WARNING", "demo"], cwd=where) as base:
        yield base


def _new_project(page, base: str, file: Path) -> None:
    page.goto(f"{base}/app/mappningsprojekt")
    page.fill("#title", "Remissorsaker")
    page.fill("#source_system", SOURCE)
    page.set_input_files("#file", str(file))
    page.click("button:has-text('Skapa projekt')")
    page.wait_for_load_state()


def test_upload_review_with_keys_publish_and_translate(server, browser, tmp_path):
    base = server
    page = login(browser, base, "info")
    page.goto(f"{base}/app/mappningsprojekt")
    assert "Lokala tjänster (demo)" in page.inner_text("#projekt")  # the demo's project
    bad = tmp_path / "remissorsaker.csv"
    bad.write_text("kod;term;avdelning\nR1;Kataraktoperaton;Ögon\nR2;;Ortopedi\nR1;Koloskpoi;Endoskopi\n",
                   encoding="utf-8")
    _new_project(page, base, bad)
    errors = page.inner_text("#fel")
    assert "Rad 3: termen är tom" in errors and "Rad 4: koden R1 finns redan på rad 2" in errors
    assert "Inget har sparats" in errors
    shot(page, "mappning-fel")
    good = tmp_path / "remissorsaker-ratt.csv"
    good.write_text("kod;term;avdelning\nR1;Kataraktoperaton;Ögon\nR2;Protes knä;Ortopedi\nR3;Koloskpoi;Endoskopi\n"
                    "R4;Kaffe till väntrummet;Administration\n", encoding="utf-8")
    _new_project(page, base, good)
    assert "0 av 4" in page.inner_text("#framsteg")
    project = page.url
    shot(page, "mappningsprojekt")
    page.click("#granska")
    page.wait_for_selector("#forslag")
    assert "Kataraktoperaton" in page.inner_text("h2#kalla") and "Kataraktoperation" in page.inner_text("#forslag")
    shot(page, "mappning-granska")
    for term in ("Kataraktoperaton", "Protes knä", "Koloskpoi"):
        assert term in page.inner_text("h2#kalla")
        with page.expect_navigation():
            page.keyboard.press("1")
    assert "Kaffe till väntrummet" in page.inner_text("h2#kalla")
    page.keyboard.press("n")
    page.keyboard.type("Ingen vårdtjänst")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.startswith(project) and "4 av 4" in page.inner_text("#framsteg")
    assert "NO MAP" in page.inner_text("#rader") and page.locator("#publicera").is_disabled()
    page.close()

    second = login(browser, base, "info2")
    second.goto(project)
    second.click("#publicera")
    second.wait_for_load_state()
    assert "/app/mappningar/" in second.url and "Remissorsaker" in second.content()
    shot(second, "mappning-publicerad")
    answer = second.request.get(f"{base}/fhir/r4/ConceptMap/$translate",
                                params={"system": SOURCE, "code": "R2"}).json()
    concepts = [part["valueCoding"]["code"] for p in answer["parameter"] if p["name"] == "match"
                for part in p["part"] if part["name"] == "concept"]
    assert concepts == ["609588000"]
    second.close()
