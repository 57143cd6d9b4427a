"""A real dashboard server and a real headless Chromium, for the browser tests.

Uses Debian's ``/usr/bin/chromium`` through Playwright (no browser download). Screenshots
go to the test's temporary folder, or to ``$KERIO_WATCH_SCREENSHOTS`` when it is set
(``docs/img`` for the walk-through: ``KERIO_WATCH_SCREENSHOTS=docs/img pytest -m browser``).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from kerio_watch.app.config import load_config
from kerio_watch.web.app import create_app
from kerio_watch.web.security import hash_password
from kerio_watch.web.server import make_server
from kerio_watch.web.settings import WebSettings

if TYPE_CHECKING:
    from playwright._impl._api_structures import FloatRect
    from playwright.sync_api import Browser, Dialog, Locator, Page

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct horse battery"
ARGS = [
    "--disable-lcd-text",
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]


@contextmanager
def serving(db: Path, config: Path, mail_server: str | None = "192.168.1.5") -> Iterator[str]:
    """The dashboard on a free loopback port, served by waitress in a thread."""
    settings = WebSettings(password_hash=hash_password(PASSWORD))
    app = create_app(settings, db, load_config(config), mail_server)
    srv = make_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.effective_port}"
    finally:
        srv.close()
        thread.join(timeout=5)


@contextmanager
def browser(
    profile: Path, width: int = 1366, height: int = 900
) -> Iterator[tuple[Page, list[str]]]:
    """A fresh Chromium profile; every dialog that opens is recorded (and dismissed)."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (optional)

    dialogs: list[str] = []
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": width, "height": height},
        )
        try:
            pg = context.new_page()

            def record_and_dismiss(dialog: Dialog) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            pg.on("dialog", record_and_dismiss)
            pg.set_default_timeout(10_000)
            yield pg, dialogs
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


def log_in(pg: Page, server: str) -> None:
    """Log in with the password."""
    pg.goto(f"{server}/login")
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")


def shot(target: Locator, name: str, fallback: Path) -> Path:
    """A PNG of one element, in ``$KERIO_WATCH_SCREENSHOTS`` if that is set."""
    folder = Path(os.environ.get("KERIO_WATCH_SCREENSHOTS") or fallback)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    target.screenshot(path=str(path))
    return path


def shot_of(pg: Page, selectors: list[str], name: str, fallback: Path) -> Path:
    """A PNG of the smallest area holding the first element of each selector."""
    boxes = [pg.locator(sel).first.bounding_box() for sel in selectors]
    found = [b for b in boxes if b is not None]
    assert found, selectors
    left = min(b["x"] for b in found)
    top = min(b["y"] for b in found)
    right = max(b["x"] + b["width"] for b in found)
    bottom = max(b["y"] + b["height"] for b in found)
    folder = Path(os.environ.get("KERIO_WATCH_SCREENSHOTS") or fallback)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    clip: FloatRect = {"x": left, "y": top, "width": right - left, "height": bottom - top}
    pg.screenshot(path=str(path), clip=clip, full_page=True)
    return path


@contextmanager
def chromium() -> Iterator[Browser]:
    """One headless Chromium, for a module of tests that each open their own context."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (optional)

    with sync_playwright() as p:
        found = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield found
        finally:
            found.close()


@contextmanager
def tab(found: Browser, width: int = 1366, height: int = 900) -> Iterator[tuple[Page, list[str]]]:
    """A fresh context (no cookies) and page; every dialog is recorded (and dismissed)."""
    context = found.new_context(viewport={"width": width, "height": height})
    dialogs: list[str] = []
    try:
        pg = context.new_page()

        def record_and_dismiss(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        pg.on("dialog", record_and_dismiss)
        pg.set_default_timeout(10_000)
        yield pg, dialogs
    finally:
        context.close()
