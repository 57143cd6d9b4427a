"""End to end in a real headless Chromium: login, incidents, an account, acknowledging.

Hostile log content (a ``<script>`` subject and From, an ``onerror=`` user agent) must
stay inert: no dialog may open, and the text must show as text. Uses Debian's
``/usr/bin/chromium`` through Playwright (no browser download).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from browsing import MARKS, PASSWORD, browser, serving
from kerio_watch.store import open_store
from sitelogs import Site

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = MARKS
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")


@pytest.fixture
def server(site: Site) -> Iterator[str]:
    """The dashboard over a private copy of the test site."""
    with serving(site.db, site.config) as url:
        yield url


@pytest.fixture
def page(tmp_path: Path) -> Iterator[tuple[Page, list[str]]]:
    """A fresh Chromium; the dialogs that opened."""
    with browser(tmp_path / "profile") as found:
        yield found


def test_login_investigate_and_acknowledge(
    server: str, page: tuple[Page, list[str]], site: Site, tmp_path: Path
) -> None:
    """The whole investigation in a browser; hostile content never runs."""
    pg, dialogs = page
    pg.goto(f"{server}/incidents")
    assert "/login" in pg.url  # every page needs a login
    pg.fill("input[name=password]", "wrong password")
    pg.click("button[type=submit]")
    assert pg.locator(".flash.error").inner_text() == "Wrong password or token."
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    assert pg.url == f"{server}/incidents"

    # The incident list, then alice's incident.
    pg.click("text=all")
    row = pg.locator("table.incidents tr", has_text="alice@example.com").first
    assert "and " in row.inner_text()  # the strongest reason, then how many more
    row.locator("a", has_text="#").click()
    # the click returns once the next page starts loading: wait for its title
    sync_api.expect(pg).to_have_title(re.compile(r"^Incident #"))
    why = pg.locator(".explain").inner_text()
    assert "sent as x<script>alert(3)</script>@evil.test" in why
    pg.click("text=more lines")
    evidence = "\n".join(pg.locator(".evidence").all_inner_texts())
    assert "Subject: <script>alert(1)</script>" in evidence
    around = pg.locator("table.timeline").inner_text()
    assert '<img src=x onerror="alert(2)">Mozilla/5.0' in around
    assert pg.locator("script").count() == 0
    assert pg.locator("img").count() == 0
    pg.screenshot(path=str(tmp_path / "incident.png"), full_page=True)

    # The account page: charts and timeline.
    pg.locator("h1 a", has_text="alice@example.com").click()
    sync_api.expect(pg.locator("h1")).to_have_text("alice@example.com")
    assert pg.locator("svg.chart").count() == 3
    assert "new From" in pg.locator("table.timeline").inner_text()
    pg.click("text=28 days")
    assert "days=28" in pg.url

    # Back to the incident: "Benign…" only shows what it would teach (a critical
    # incident once the box says the owner was asked).
    pg.go_back()
    pg.go_back()
    incident_url = pg.url
    pg.click("text=Benign…")
    assert pg.url == f"{incident_url}/benign"
    assert "critical" in pg.locator(".refusal").inner_text()
    pg.check("input[name=override]")
    pg.click("button.benign")
    assert pg.url == f"{incident_url}/benign?override=yes"
    assert "x<script>alert(3)</script>@evil.test" in pg.locator(".lesson").inner_text()
    pg.click("text=Cancel")
    assert pg.url == incident_url

    # Search by the attacker's IP.
    pg.fill("input[name=q]", "203.0.113.66")
    pg.press("input[name=q]", "Enter")
    assert "alice@example.com" in pg.locator("main").inner_text()

    # The report page renders its charts.
    pg.click("nav.top >> text=Report")
    assert pg.locator("#hardening pre").first.inner_text().startswith("# /etc/nftables.d")

    assert dialogs == []
    incident_id = int(incident_url.rsplit("/", 1)[1])
    store = open_store(site.db, readonly=True)
    try:
        inc = store.incident(incident_id)
    finally:
        store.close()
    assert inc is not None and inc.status == "open"


def test_logout_and_csrf_in_the_browser(server: str, page: tuple[Page, list[str]]) -> None:
    """Logging out ends the session; a forged cross-site form post is refused."""
    pg, dialogs = page
    pg.goto(f"{server}/login")
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    assert pg.url == f"{server}/"
    forged = pg.request.post(
        f"{server}/logout", form={"csrf": "forged"}, headers={"Origin": "http://evil.test"}
    )
    assert forged.status == 403
    pg.click("text=Log out")
    assert "/login" in pg.url
    pg.goto(f"{server}/accounts")
    assert "/login" in pg.url
    assert dialogs == []
