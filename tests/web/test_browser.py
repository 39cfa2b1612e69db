"""The web app in headless Chromium (issue 8 "Tests"): a real ``vardterm demo`` server on 127.0.0.1 and Debian's
chromium driven by Playwright. Each role logs in and does the real flows: search and read a result, register
an agreement with the code picker, upload a file with one bad row, see the error, fix it and commit, and be
refused another region's agreement. Screenshots of the main pages go to ``docs/screenshots/`` (README)."""

from __future__ import annotations

import subprocess

import pytest

from ..serving import VARDTERM, vardterm_server
from .browsing import login, needs_chromium, shot

pytestmark = needs_chromium
playwright = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``vardterm demo`` (demo data, generated directory and demo logins) served on a free port."""
    where = tmp_path_factory.mktemp("web")
    db = f"sqlite:///{where / 'vardterm.db'}"
    subprocess.run([VARDTERM, "--database-url", db, "--log-level", "WARNING", "demo", "--no-serve"], cwd=where,
                   check=True, capture_output=True, timeout=120)
    facts = _facts(db)
    with vardterm_server(["--database-url", db, "--log-level", "WARNING", "demo"], cwd=where) as base:
        yield base, facts


def _facts(db: str) -> dict:
    """A unit of a provider and a non-confidential agreement of region 01, read with the library."""
    from api.settings import Settings
    from scripts.care_cli import open_directory
    from terminology import COMMAND_LINE

    d = open_directory(Settings(database_url=db))
    _, units = d.find("Organization", [("type", "unit")], by=COMMAND_LINE, count=50)
    unit = next(u.record for u in units if u.record.hsa_id and u.record.part_of)
    _, agreements = d.find("Contract", [("authority", "Organization/" + d.region("01").id)], by=COMMAND_LINE,
                           count=100)
    other = next(a.record for a in agreements if not a.record.confidential)
    d.db.dispose()
    return {"hsa": unit.hsa_id, "other_agreement": other.id}


def test_login_refused_with_a_wrong_password(server, browser):
    base, _ = server
    page = browser.new_page()
    page.goto(f"{base}/app/login")
    page.fill("#username", "lots")
    page.fill("#password", "fel-losenord")
    page.click("button:has-text('Logga in')")
    assert "Fel användarnamn eller lösenord" in page.inner_text(".error")
    shot(page, "login")
    page.close()


def test_vardlots_searches_with_autocomplete_and_reads_a_result(server, browser):
    base, _ = server
    page = login(browser, base, "lots")
    assert page.url.endswith("/app/sok")
    page.fill("#text", "kataraktop")
    page.wait_for_selector("#text-suggest li")
    page.click("#text-suggest li >> nth=0")
    assert page.input_value("#code")  # a concept was picked, not free text
    page.check("input[name=includeExcluded]")
    page.click("button:has-text('Sök')")
    page.wait_for_selector(".results")
    heading = page.inner_text("#results-h")
    assert "träffar för Region Östergötland" in heading
    assert not heading.startswith("0 ")
    first = page.locator(".hits .hit").first
    assert "Träff" in first.inner_text() and "Väntetid" in first.inner_text()
    page.locator(".hits .hit a").first.click()
    page.wait_for_load_state()
    assert "Öppettider" in page.content() and "HSA-id" in page.content()
    assert page.goto(f"{base}/app/avtal/ny").status == 403  # a vårdlots reads only
    page.close()


def test_the_demo_headline_search_finds_hits(server, browser):
    """Issue 16: knäprotes as the demo's vårdlots (region 05) finds agreements on whatever day the demo runs."""
    base, _ = server
    page = login(browser, base, "lots")
    page.fill("#text", "knäprotes")
    page.click("button:has-text('Sök')")
    page.wait_for_selector(".results")
    assert page.locator(".hits:not(.excluded) .hit").count() > 0, page.inner_text("#results-h")
    page.close()


def _marker_numbers(page) -> list[int]:
    labels = page.locator(".hit-marker").all_inner_texts()
    return sorted(int(n) for label in labels for n in label.replace("+", ",").split(",") if n.strip())


def test_sok_shows_the_hits_on_a_map_linked_both_ways_with_list(server, browser):
    """Issue 16: the hits beside the list on a Leaflet map over Sweden's län, with the search origin and the
    distance circle; clicking a marker selects and scrolls to its row, a row's "Visa på kartan" its marker."""
    base, _ = server
    page = login(browser, base, "lots")
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{base}/app/sok?text=koloskopi&meetingForm=physical&postalCode=58224&distance=100&sort=distance")
    page.wait_for_selector(".hit-marker")
    page.wait_for_function("document.querySelectorAll('#map .leaflet-overlay-pane path').length > 21")
    rows = page.locator(".hits:not(.excluded) .hit[data-lat]")
    assert rows.count() > 0
    placed = sorted(int(x) for x in rows.evaluate_all("rows => rows.map(r => r.dataset.n)"))
    assert _marker_numbers(page) == placed
    assert page.locator("#map .search-origin").count() == 1 and page.locator("#map .search-distance").count() == 1
    assert page.locator("#map .leaflet-overlay-pane path").count() == 21 + 2  # the län, the origin, the circle
    assert all(u.startswith(base) for u in requests), [u for u in requests if not u.startswith(base)]
    page.evaluate("document.getElementById('results-h').scrollIntoView()")
    shot(page, "sok")

    marker = page.locator(".hit-marker").last
    first_row = marker.get_attribute("data-hits").split()[0]
    marker.click()
    page.wait_for_selector(f"#{first_row}.selected")
    assert page.locator(f"#{first_row}").is_visible()
    page.wait_for_function(f"() => {{ const r = document.getElementById('{first_row}').getBoundingClientRect();"
                           f" return r.top >= 0 && r.top < window.innerHeight; }}")
    assert "selected" in marker.get_attribute("class")

    other = rows.first
    other.locator(".show-on-map").click()
    assert "selected" in (other.get_attribute("class") or "")
    selected = page.locator(".hit-marker.selected")
    assert selected.count() == 1 and other.get_attribute("id") in selected.get_attribute("data-hits").split()
    page.emulate_media(media="print")
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    shot(page, "sok-utskrift")
    page.close()


def test_page_details_dates_checkboxes_favicon_no_inline_script(server, browser):
    """Issue 16: date fields in Swedish format (ÅÅÅÅ-MM-DD whatever the browser's language), a checkbox on
    the line of its text, a favicon, and no inline script (so a CSP without 'unsafe-inline' holds)."""
    base, _ = server
    page = login(browser, base, "avtal")
    for path in ("/app/sok", "/app/avtal/ny"):
        page.goto(f"{base}{path}")
        html = page.content()
        assert "javascript:" not in html and page.locator("script:not([src])").count() == 0, path
        assert page.locator("[onclick], [onload], [onchange], [onsubmit]").count() == 0, path
        dates = page.locator("input[placeholder='ÅÅÅÅ-MM-DD']")
        assert dates.count() >= 2 and page.locator("input[type=date]").count() == 0, path
        for box in page.locator("label:has(input[type=checkbox])").all():
            aligned = box.evaluate("""label => {
                const check = label.querySelector('input').getBoundingClientRect();
                const range = document.createRange(); range.selectNodeContents(label);
                const text = [...range.getClientRects()].filter(r => r.left >= check.right - 1);
                return text.length > 0 && text.every(r => r.top < check.bottom && r.bottom > check.top);
            }""")
            assert aligned, f"{path}: {box.inner_text()}"
    page.goto(f"{base}/app/avtal/ny")
    page.fill("input[name=valid_from]", "2026-01-31")
    assert page.input_value("input[name=valid_from]") == "2026-01-31"
    icon = page.request.get(f"{base}/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/x-icon" and icon.body()[:4] == b"\0\0\1\0"
    linked = page.locator("link[rel=icon][type='image/svg+xml']").get_attribute("href")
    assert page.request.get(f"{base}{linked}").status == 200
    page.close()


def test_avtalsadmin_registers_an_agreement_with_the_code_picker(server, browser):
    base, facts = server
    page = login(browser, base, "avtal")
    assert page.url.endswith("/app/avtal")
    shot(page, "avtal")
    page.click("text=Registrera avtal")
    page.fill("input[name=identifier]", "WEB-2026-1")
    page.fill("input[name=title]", "Knäprotes i webbtest")
    page.fill("input[name=valid_from]", "2026-01-01")
    page.fill("input[name=valid_to]", "2027-06-30")
    page.fill("input[name=s0_hsa]", facts["hsa"])
    page.fill("#s0_term", "knäprot")
    page.wait_for_selector("#s0_term-suggest li")
    page.click("#s0_term-suggest li >> nth=0")
    assert page.input_value("#s0_code") == "609588000"
    page.fill("input[name=s0_asa_max]", "3")
    shot(page, "avtal-ny")
    page.click("button:has-text('Spara avtalet')")
    page.wait_for_selector("text=Avtalet är sparat")
    assert "WEB-2026-1" in page.inner_text("h1")
    history = page.inner_text("table.list")
    assert "avtal" in history and "webb" in history and "skapad" in history
    shot(page, "historik")
    page.close()


def test_avtalsadmin_uploads_a_file_sees_the_bad_row_fixes_it_and_commits(server, browser, tmp_path):
    base, facts = server
    page = login(browser, base, "avtal")
    page.goto(f"{base}/app/uppladdning")
    header = ("avtals_id;avtalstitel;giltig_fran;giltig_till;enhet_hsa_id;kodsystem;kod;asa_max\n")
    good = f"FIL-1;Från fil;2026-01-01;2026-12-31;{facts['hsa']};snomed;609588000;3\n"
    bad = tmp_path / "avtal.csv"
    bad.write_text(header + good + f"FIL-1;Från fil;2026-01-01;2026-12-31;{facts['hsa']};snomed;123456789;3\n",
                   encoding="utf-8")
    page.set_input_files("#file", str(bad))
    page.click("button:has-text('Granska filen')")
    page.wait_for_selector(".preview")
    assert "1 av 2 rader har fel" in page.inner_text(".error")
    assert "123456789" in page.inner_text("tr.bad")
    assert page.locator("button:has-text('Spara alla')").count() == 0
    shot(page, "uppladdning-fel")
    fixed = tmp_path / "avtal-ratt.csv"
    fixed.write_text(header + good + f"FIL-1;Från fil;2026-01-01;2026-12-31;{facts['hsa']};snomed;110473004;3\n",
                     encoding="utf-8")
    page.set_input_files("#file", str(fixed))
    page.click("button:has-text('Granska filen')")
    page.wait_for_selector("text=Alla 2 rader är godkända")
    page.click("button:has-text('Spara alla')")
    page.wait_for_selector("text=Filen är sparad")
    page.click("text=FIL-1")
    assert "fil" in page.inner_text("table.list")
    page.close()


def test_avtalsadmin_is_refused_another_regions_agreement(server, browser):
    base, facts = server
    page = login(browser, base, "avtal")
    response = page.goto(f"{base}/app/avtal/{facts['other_agreement']}")
    assert response.status == 403
    assert "Åtkomst nekad" in page.inner_text("h1") and "Traceback" not in page.content()
    shot(page, "403")
    own = login(browser, base, "avtal01")
    assert own.goto(f"{base}/app/avtal/{facts['other_agreement']}").status == 200
    own.close()
    page.close()


# --- code lists for informatiker (issue 17) ----------------------------------------------------------------


def test_informatiker_authors_an_ecl_value_set_another_releases_it(server, browser):
    """As info: ECL with the live preview (count, members, a syntax error at its position), a picked concept,
    save; as info2: release; then $expand over FHIR and "which value sets contain this code"."""
    base, _ = server
    page = login(browser, base, "info")
    assert page.url.endswith("/app/vardemangder")
    shot(page, "kodlistor")
    page.click("text=Ny värdemängd")
    page.fill("input[name=title]", "Knä- och höftplastik")
    page.fill("input[name=name]", "KnaOchHoft")
    page.fill("#ecl", "<< 609588000 |Total knäledsplastik|")
    page.wait_for_selector("#ecl-preview .ecl-status:has-text('5 medlemmar')")
    assert "Total knäledsplastik" in page.inner_text("#ecl-preview")
    page.type("#ecl", " OR")
    page.wait_for_selector("#ecl-preview .ecl-error")
    status = page.inner_text("#ecl-preview .ecl-status")
    assert status.startswith("Syntaxfel vid tecken 37")  # the OR that nothing follows
    assert page.inner_text("#ecl-preview .ecl-error").splitlines()[1].index("^") == 36
    shot(page, "vardemangd-ecl-fel")
    page.type("#ecl", " << 52734007 |Total höftledsplastik|")
    page.wait_for_selector("#ecl-preview .ecl-status:has-text('medlemmar')")
    assert int(page.inner_text("#ecl-preview .ecl-status").split()[0]) > 5
    page.fill("#pick-term", "kataraktoperaton")  # a typo: the Sök concept index forgives it
    page.wait_for_selector("#pick-term-suggest li")
    page.click("#pick-term-suggest li >> nth=0")
    assert "110473004" in page.input_value("#picked")
    page.evaluate("document.getElementById('ecl').scrollIntoView()")
    shot(page, "vardemangd-ecl")
    page.click("button:has-text('Spara utkastet')")
    page.wait_for_selector("h1:has-text('Knä- och höftplastik')")
    assert "Du ändrade utkastet senast" in page.content()
    value_set_url = page.inner_text("dl.facts dd code")
    page.close()

    reviewer = login(browser, base, "info2")
    reviewer.click("text=Knä- och höftplastik")
    reviewer.click("button:has-text('Släpp version')")
    reviewer.wait_for_selector("text=Versionen är släppt och aktiv")
    shot(reviewer, "vardemangd-slappt")
    expanded = reviewer.request.get(f"{base}/fhir/r4/ValueSet/$expand", params={"url": value_set_url}).json()
    codes = {c["code"] for c in expanded["expansion"]["contains"]}
    assert {"609588000", "52734007", "110473004"} <= codes
    reviewer.goto(f"{base}/app/begrepp")
    reviewer.fill("#code-field", "110473004")
    reviewer.click("button:has-text('Sök')")
    reviewer.wait_for_selector("table.containing")
    assert "Knä- och höftplastik" in reviewer.inner_text("table.containing")
    shot(reviewer, "begrepp")
    reviewer.close()


def test_informatiker_imports_a_code_list_with_an_error_row(server, browser, tmp_path):
    base, _ = server
    page = login(browser, base, "info")
    page.goto(f"{base}/app/kodverk?status=draft")
    page.click("text=Prioriteringsgrupper")
    page.click("text=Importera koder (CSV/Excel)")
    bad = tmp_path / "prioriteringsgrupper.csv"
    bad.write_text("kod;visningsnamn;engelska;förälder\n1;Akut;Acute;\n1A;Akut, inom en timme;;1\n"
                   "2;Förtur;Priority;\n3;;Planned;7\n", encoding="utf-8")
    page.set_input_files("#file", str(bad))
    page.click("button:has-text('Granska filen')")
    page.wait_for_selector(".preview-table")
    assert "1 av 4 rader har fel" in page.inner_text("p.error")
    assert "visningsnamnet saknas" in page.inner_text("tr.bad") and "föräldern 7" in page.inner_text("tr.bad")
    assert page.locator("button:has-text('Ersätt koderna')").count() == 0
    shot(page, "kodverk-import-fel")
    page.close()


def test_informatiker_compares_two_versions(server, browser):
    base, _ = server
    page = login(browser, base, "info")
    page.fill("input[name=q]", "Knäledsplastik")
    page.select_option("select[name=status]", "draft")
    page.click("button:has-text('Filtrera')")
    page.click("td a:has-text('Knäledsplastik-åtgärder')")
    assert "Ändringar sedan senaste aktiva version" in page.content()
    shot(page, "vardemangd-granskning")
    page.click("text=Jämför versioner")
    page.wait_for_selector("h1:has-text('Jämför versioner')")
    added = page.inner_text("body")
    assert "Inkludera KVÅ NGB49" in added and "1 tillagda, 0 borttagna" in added
    shot(page, "jamfor")
    page.close()


def test_informatiker_downloads_the_package(server, browser):
    import tarfile

    base, _ = server
    page = login(browser, base, "info")
    page.goto(f"{base}/app/paket")
    page.fill("input[name=name]", "se.demo.kodverk")
    with page.expect_download() as info:
        page.click("button:has-text('Publicera och ladda ner')")
    download = info.value
    assert download.suggested_filename == "se.demo.kodverk-1.0.0.tgz"
    with tarfile.open(download.path(), "r:gz") as tar:
        names = tar.getnames()
    assert "package/package.json" in names and "package/.index.json" in names
    assert any(n.startswith("package/ValueSet-") for n in names)
    page.goto(f"{base}/app/paket")
    assert "se.demo.kodverk" in page.inner_text("table.packages")
    shot(page, "paket")
    page.close()


def test_vardlots_reads_the_code_lists_but_may_not_author(server, browser):
    base, _ = server
    page = login(browser, base, "lots")
    page.goto(f"{base}/app/vardemangder")
    assert "Ny värdemängd" not in page.content() and "Knäledsplastik-åtgärder" in page.content()
    assert page.goto(f"{base}/app/vardemangder/ny").status == 403
    page.close()
