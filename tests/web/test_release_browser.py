"""The guided fix of a new release in headless Chromium (issue 20): on a real ``vardterm demo`` server, an admin
opens Ny release, sees the summary and the findings, accepts the suggested replacement of a service typed with
an inactivated concept; the service's type changes, the history says who and why, and the care search then
finds the service under the new concept. An informatiker dismisses a value set finding with a comment.
Screenshots for the README go to ``docs/screenshots/``."""

from __future__ import annotations

import subprocess

import pytest

from ..serving import VARDTERM, vardterm_server
from .browsing import login, needs_chromium, shot

pytestmark = needs_chromium
playwright = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

SERVICE = "demo-release-hip"
KEY = f"service:{SERVICE}:inactivated:99900002004"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    where = tmp_path_factory.mktemp("release-web")
    db = f"sqlite:///{where / 'vardterm.db'}"
    subprocess.run([VARDTERM, "--database-url", db, "--log-level", "WARNING", "demo", "--no-serve"], cwd=where,
                   check=True, capture_output=True, timeout=180)
    with vardterm_server(["--database-url", db, "--log-level", "WARNING", "demo"], cwd=where) as base:
        yield base, _county(db)


def _county(db: str) -> str:
    """The län code of a region whose commission covers the demo's old hip service."""
    from api.settings import Settings
    from mappings.care.store import Filter
    from scripts.care_cli import open_directory

    d = open_directory(Settings(database_url=db))
    _, commissions = d.store.search("OrganizationAffiliation", [Filter("service", "eq", SERVICE)], count=None)
    region = d.store.get("Organization", commissions[0].record.region).record
    d.db.dispose()
    return region.county


def _row(page, key: str):
    return page.locator(f"tr.finding[data-key='{key}']")


def test_an_admin_accepts_the_replacement_of_a_service_type(server, browser):
    base, county = server
    page = login(browser, base, "admin", path="/app/login")
    page.goto(f"{base}/app/release")
    assert "Sammanfattning" in page.inner_text("#release-summary")
    assert int(page.inner_text("#count-service")) > 0 and int(page.inner_text("#count-valueset")) > 0
    assert "99900002004" in page.locator("#release-changes").text_content()
    shot(page, "release")
    row = _row(page, KEY)
    assert "REPLACED BY" in row.inner_text() and "52734007" in row.inner_text()
    row.locator("input[name=comment]").fill("Ersatt enligt releasen 2025-11-30")
    row.locator("button.accept").click()
    page.wait_for_selector("#release-decided")
    decided = page.locator(f"tr.decided-row[data-key='{KEY}']").inner_text()
    assert "förslaget godtogs" in decided and "admin" in decided and "52734007" in decided
    assert "release" in decided and "99900002004" in decided and "Ersatt enligt releasen" in decided
    assert _row(page, KEY).count() == 0  # the service no longer has the inactive type
    page.locator("#release-decided").scroll_into_view_if_needed()
    shot(page, "release-beslut")
    found = page.request.get(f"{base}/api/care/search", params={
        "region": county, "code": "52734007", "system": "http://snomed.info/sct", "includeExcluded": "true"})
    assert found.status == 200
    assert SERVICE in found.text()
    page.close()


def test_an_informatiker_dismisses_a_value_set_finding_and_may_not_touch_services(server, browser):
    base, _ = server
    page = login(browser, base, "info", path="/app/login")
    page.goto(f"{base}/app/release")
    row = page.locator("tr.finding[data-key^='valueset:'][data-key$=':listed-inactive:99900002004']")
    key = row.get_attribute("data-key")
    row.locator("button.dismiss").click()
    assert "Skriv en kommentar" in page.inner_text("#release-error")
    row = _row(page, key)
    row.locator("input[name=comment]").fill("Värdemängden avvecklas i stället")
    row.locator("button.dismiss").click()
    page.wait_for_selector("#release-decided")
    assert "avfärdades" in _row(page, key).inner_text()
    services = page.locator("#kind-service").inner_text()
    assert "En administratör beslutar om tjänster." in services
    page.close()


def test_the_kva_pair_shows_its_findings(server, browser):
    """The demo's second code system with two versions: KVÅ 2020 (made up by the project) and 2021."""
    base, _ = server
    page = login(browser, base, "info", path="/app/login")
    page.goto(f"{base}/app/release")
    page.select_option("#release-system", "urn:oid:1.2.752.116.1.3.2.1.4")
    page.click("#release-pick button[type=submit]")
    page.wait_for_selector("#release-summary")
    assert page.locator("#release-from").input_value() == "2020"
    assert page.locator("#release-to").input_value() == "2021"
    assert "NFB59" in page.locator("#kind-conceptmap").inner_text()
    assert "UJF32" in page.locator("#kind-valueset").inner_text()
    shot(page, "release-kva")
    page.close()

