"""Search by account, IP address or Queue-ID (``/search?q=``)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from flask import Flask, render_template, request

from kerio_watch.report.model import IncidentRow
from kerio_watch.store.base import Store
from kerio_watch.web.context import server_time, store

_QUEUE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{8}$", re.IGNORECASE)


def search() -> str:
    """The search page and its results."""
    q = request.args.get("q", "").strip()[:200]
    results: dict[str, Any] = {"accounts": [], "incidents": [], "activity": [], "is_ip": False}
    if q:
        results = _search(store(), q)
    return render_template("search.html", st=server_time(), q=q, **results)


def _search(s: Store, q: str) -> dict[str, Any]:
    lowered = q.lower()
    accounts = [a for a in s.accounts() if lowered in a][:100]
    incidents = []
    for inc in s.incidents_containing(q, limit=100):
        lines = [line for line in inc.evidence if lowered in line.lower()][:10]
        incidents.append((IncidentRow.of(inc), lines))
    activity: list[tuple[int, str, str, str, int]] = []
    is_ip = True
    try:
        ipaddress.ip_address(q)
    except ValueError:
        is_ip = False
    if is_ip or (not _QUEUE_ID.match(q) and len(q) >= 3):
        activity = s.activity_containing(q, ("login", "send", "fail", "blocked"), limit=300)
    return {"accounts": accounts, "incidents": incidents, "activity": activity, "is_ip": is_ip}


def register(app: Flask) -> None:
    """Add the search page to the application."""
    app.add_url_rule("/search", "search", search)
