"""What the browser tests share: Debian's chromium driven by Playwright (never a downloaded browser), the demo
password, logging in on the web app and the README screenshots in ``docs/screenshots/``."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed "
                                                                  "(/usr/bin/chromium); install it with "
                                                                  "apt-get install -y chromium")
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "demo-losen-123"
"""The demo logins' password (README "Web app")."""


@pytest.fixture(scope="module")
def browser():
    """Headless chromium for one test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
        yield b
        b.close()


def login(browser, base: str, user: str, *, path: str = "/app/"):
    """A new page logged in as ``user`` (a Swedish locale, the window size of the screenshots)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    page.goto(f"{base}{path}")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Logga in')")
    page.wait_for_load_state()
    return page


def shot(page, name: str) -> None:
    """A README screenshot of what the page shows."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)
