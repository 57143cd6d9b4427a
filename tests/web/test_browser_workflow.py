"""The admin's workflow in a real headless Chromium (issue 12).

Confirming and undoing a decision, the incident list's filters, sorting and paging, the
address page, and the walk-through of docs/walkthrough.md: the demo from its first
alert to a resolved incident. The walk-through's screenshots are taken here
(``KERIO_WATCH_SCREENSHOTS=docs/img pytest tests/web/test_browser_workflow.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from browsing import MARKS, chromium, log_in, serving, shot, shot_of, tab
from kerio_watch.store import open_store
from sitelogs import ATTACKER_IP, Site

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = MARKS
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")


@pytest.fixture(scope="module")
def one_chromium() -> Iterator[Browser]:
    """One Chromium for the module's tests."""
    with chromium() as found:
        yield found


@pytest.fixture
def page(one_chromium: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A fresh context and page; the dialogs that opened."""
    with tab(one_chromium, width=1200, height=860) as found:
        yield found


def profile_json(db: Path, account: str) -> str:
    """The stored profile."""
    store = open_store(db, readonly=True)
    try:
        prof = store.load_profile(account)
    finally:
        store.close()
    assert prof is not None
    return json.dumps(prof.to_dict(), sort_keys=True)


def row_ids(pg: Page) -> list[int]:
    """The incident numbers of the list on the page, in order."""
    texts = pg.locator("table.incidents tbody td.num a").all_inner_texts()
    return [int(t.lstrip("#")) for t in texts]


def test_benign_asks_and_undo_restores(
    site: Site, page: tuple[Page, list[str]], hijack_id: int
) -> None:
    """Benign opens a confirmation that lists what it teaches; a critical incident is
    refused until the box is ticked; undo puts the account's profile back exactly and
    reopens it."""
    pg, dialogs = page
    before = profile_json(site.db, "alice@example.com")
    with serving(site.db, site.config) as server:
        log_in(pg, server)
        pg.goto(f"{server}/incidents/{hijack_id}")
        assert "What to do now" in pg.locator(".todo").inner_text()
        pg.click("text=Benign…")
        # critical: refused before the lesson, which shows once the box is ticked
        assert "Refused" in pg.locator(".refusal").inner_text()
        assert pg.locator(".lesson").count() == 0
        pg.click("button.benign")  # the box is not ticked: the browser asks for it
        assert pg.locator(".lesson").count() == 0
        pg.check("input[name=override]")
        pg.click("button.benign")
        assert ATTACKER_IP in pg.locator(".lesson").inner_text()
        assert profile_json(site.db, "alice@example.com") == before
        pg.fill("input[name=why]", "a conference in Vienna")
        pg.click("button.benign")
        assert "marked benign" in pg.locator(".flash").inner_text()
        assert "a conference in Vienna" in pg.locator(".decisions").inner_text()
        assert profile_json(site.db, "alice@example.com") != before
        pg.fill(".decide input[name=why]", "it was a hijack after all")
        pg.click("button.undo")
        assert "reopened" in pg.locator(".flash").inner_text()
        assert "open" in pg.locator(".sub .status").inner_text()
        history = pg.locator(".decisions").inner_text()
        assert "it was a hijack after all" in history and "undone" in history
    assert profile_json(site.db, "alice@example.com") == before
    assert dialogs == []


def test_filters_sorting_and_paging(
    demo_site: Path, demo_copy: Path, page: tuple[Page, list[str]]
) -> None:
    """Status tabs, severity filter, sorting by a header, next page: all by links."""
    pg, dialogs = page
    with serving(demo_copy, demo_site / "kerio-watch.toml") as server:
        log_in(pg, server)
        pg.click("nav.top >> text=Incidents")
        pg.click("nav.tabs >> text=all")
        assert "status=all" in pg.url
        assert len(row_ids(pg)) == 50
        pg.click("table.incidents th >> text=#")
        ids = row_ids(pg)
        assert ids == sorted(ids, reverse=True)
        pg.click("table.incidents th >> text=#")  # again: the other way
        ids = row_ids(pg)
        assert ids == sorted(ids) and ids[0] == 1
        pg.click("nav.pager >> text=next ›")
        assert row_ids(pg)[0] == ids[-1] + 1
        assert "page 2 of" in pg.locator("nav.pager").inner_text()
        pg.click("nav.tabs.severity >> text=high and above")
        assert "page=" not in pg.url  # a new filter starts on the first page
        severities = set(pg.locator("table.incidents tbody .sev").all_inner_texts())
        assert severities and severities <= {"critical", "high", "CRITICAL", "HIGH"}
        pg.click("nav.tabs >> text=closed")
        assert "status=closed" in pg.url and "severity=high" in pg.url
    assert dialogs == []


def test_address_page(site: Site, page: tuple[Page, list[str]], hijack_id: int) -> None:
    """From the incident to the attacker's address: what it did, with which account."""
    pg, dialogs = page
    with serving(site.db, site.config) as server:
        log_in(pg, server)
        pg.goto(f"{server}/incidents/{hijack_id}")
        pg.click(f".sub >> text={ATTACKER_IP}")
        assert pg.url == f"{server}/addresses/{ATTACKER_IP}"
        assert "outside the trusted networks" in pg.locator("main").inner_text()
        uses = pg.locator("table.uses").inner_text()
        assert "alice@example.com" in uses and "logged in" in uses and "sent mail" in uses
        assert f"#{hijack_id}" in pg.locator("table.incidents").inner_text()
        assert pg.locator("script").count() == 0 and pg.locator("img").count() == 0
        pg.click("table.uses >> text=alice@example.com")
        assert pg.locator("h1").inner_text() == "alice@example.com"
    assert dialogs == []


def test_walkthrough_from_the_first_alert_to_a_resolved_incident(
    demo_site: Path, demo_copy: Path, page: tuple[Page, list[str]], tmp_path: Path
) -> None:
    """docs/walkthrough.md, step by step, with its screenshots."""
    pg, dialogs = page
    truth = json.loads((demo_site / "truth.json").read_text(encoding="utf-8"))
    account = next(s["account"] for s in truth["scenarios"] if s["kind"] == "night_burst")
    with serving(demo_copy, demo_site / "kerio-watch.toml", None) as server:
        log_in(pg, server)
        # 1. The home page: the hijacks wait for a decision.
        cards = pg.locator(".cards").inner_text()
        assert re.search(r"[1-9]\d*\s+critical", cards), cards
        rows = "main table.incidents tbody tr:nth-child(3)"
        shot_of(pg, ["main h1", ".cards", rows], "walkthrough-1-home", tmp_path)
        # 2. The incident: why, and what to do now.
        pg.locator("table.incidents tr", has_text=account).locator("td.num a").click()
        assert account in pg.locator("h1").inner_text()
        todo = pg.locator(".todo")
        assert f"edit {account} and set a new password" in todo.inner_text()
        shot(pg.locator("header.incident-head"), "walkthrough-2-header", tmp_path)
        shot(todo, "walkthrough-3-todo", tmp_path)
        # 3. Where the intruder came from.
        address = pg.locator(".sub a.mono").first.inner_text()
        pg.click(f".sub >> text={address}")
        assert account in pg.locator("table.uses").inner_text()
        shot_of(pg, ["main h1", ".cards", "table.uses"], "walkthrough-4-address", tmp_path)
        pg.go_back()
        # 4. Resolved, with what was done.
        pg.fill(".decide input[name=why]", "password changed, sessions ended, queue cleared")
        pg.fill(".decide textarea[name=notes]", "Chiara's PC scanned: clean. Address blocked.")
        pg.fill(".decide input[name=by]", "Eva")
        shot(pg.locator(".decide"), "walkthrough-5-decide", tmp_path)
        pg.click("button.resolve")
        assert "marked resolved" in pg.locator(".flash").inner_text()
        shot(pg.locator(".decisions"), "walkthrough-6-decided", tmp_path)
    assert dialogs == []
