"""What every dashboard view needs, reachable from module-level view functions.

:func:`install` puts the database path, configuration and report cache on the Flask
application; :func:`store`, :func:`server_time` and :func:`period_report` give a view the
request's read-only store (closed at the end of the request), the server's clock and
the cached period report.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, g, request

from kerio_watch.config import Config
from kerio_watch.enrich.network import Networks
from kerio_watch.report.build import build_report
from kerio_watch.report.model import Period, Report
from kerio_watch.report.servertime import ServerTime
from kerio_watch.store import Store, open_store
from kerio_watch.web.cache import ReportCache

KEY = "kerio_watch.deps"


@dataclass(frozen=True)
class Deps:
    """The dashboard's fixed inputs."""

    db_path: Path
    config: Config
    mail_server: str | None
    reports: ReportCache


def install(app: Flask, deps: Deps) -> None:
    """Make ``deps`` available to the views of ``app``."""
    app.extensions[KEY] = deps


def deps() -> Deps:
    """The current application's inputs."""
    found: Deps = current_app.extensions[KEY]
    return found


def store() -> Store:
    """This request's read-only store."""
    if "store" not in g:
        g.store = open_store(deps().db_path, readonly=True)
    s: Store = g.store
    return s


def server_time() -> ServerTime:
    """The server's clock (the configured zone, else the one the scans recorded)."""
    if "st" not in g:
        g.st = ServerTime.for_store(deps().config, store())
    st: ServerTime = g.st
    return st


def period_report(period: Period) -> Report:
    """The report of a period, reused until the database changes."""
    d = deps()
    return d.reports.get(
        (period.since, period.until),
        lambda: build_report(store(), d.config, period, server_time(), d.mail_server),
    )


def networks() -> Networks:
    """The trusted networks."""
    return Networks(deps().config.site.trusted_networks)


@contextmanager
def writer() -> Iterator[Store]:
    """A writable store for one change (an acknowledgement), closed afterwards."""
    s = open_store(deps().db_path)
    try:
        yield s
    finally:
        s.close()


def who() -> str:
    """Who is deciding, as far as the dashboard knows: a name typed in the form, else
    the address the request came from."""
    name = request.form.get("by", "").strip()[:100]
    return name or f"dashboard user at {request.remote_addr or 'unknown address'}"
