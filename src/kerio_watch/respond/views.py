"""What ``status``, ``user``, ``actions``, the report and the dashboard show about the API.

Plain data read from the state database (never from Kerio): the API's status as the
follower last recorded it, the queue per sender at the last poll, and the containment
journal. Everything that came from Kerio or from the logs is passed through
:func:`~kerio_watch.textsafe.printable` by the renderers, as any other log content.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from kerio_watch.store.base import Store
from kerio_watch.store.sqlite.responses import ActionRecord, ResponseStore
from kerio_watch.textsafe import printable
from kerio_watch.values.response import ResponseAction, ResponseSection

STATUS_KEY = "kerio_api.status"
QUEUE_KEY = "kerio_api.queue"
STATUS_TEXT = {
    "ok": "reachable",
    "unreachable": "UNREACHABLE",
    "timeout": "NOT ANSWERING",
    "tls": "TLS REFUSED",
    "refused": "LOGIN REFUSED",
    "http": "HTTP ERROR",
    "protocol": "ANSWERING NONSENSE",
    "rpc": "REFUSING CALLS",
    "config": "NOT CONFIGURED RIGHT",
}
RELEASABLE = ("done", "release_failed", "dry_run")
"""Statuses a release acts on (``kerio-watch release``, the dashboard's button)."""
ACTION_TEXT = {
    "stop_sending": "stop sending",
    "remove_queued": "remove queued mail",
    "block_ip": "block address",
    "all": "contain",
}


def _meta(store: Store, key: str) -> dict[str, Any] | None:
    text = store.get_meta(key)
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def api_status(store: Store) -> dict[str, Any] | None:
    """The API as the follower last saw it (None when it never used one)."""
    status = _meta(store, STATUS_KEY)
    if status is None:
        return None
    journal = ResponseStore(store)
    counts = Counter(r.status for r in journal.actions(limit=100_000))
    return {
        **status,
        "queue": _meta(store, QUEUE_KEY),
        "senders": journal.queue_senders(limit=10),
        "actions": dict(sorted(counts.items())),
    }


def response_section(
    store: Store, since: int, until: int, iso: Callable[[int], str]
) -> ResponseSection | None:
    """The report's section: the API's state, the queue, the period's containment
    (``iso`` writes the senders' poll times, as every JSON time, in ISO 8601)."""
    info = api_status(store)
    if info is None:
        return None
    queue = info.get("queue") or {}
    polled = queue.get("polled")
    rows = ResponseStore(store).actions()
    actions = [
        ResponseAction(r.incident_id, r.account, int(r.created), action_summary(r))
        for r in rows
        if since - 86400 <= r.created < until + 86400
    ]
    senders = [
        {**row, "polled": iso(int(row["polled"])), "text": queue_line(row)}
        for row in info.get("senders") or []
    ]
    return ResponseSection(
        state=STATUS_TEXT.get(str(info.get("state")), str(info.get("state"))),
        error=info.get("error"),
        queue_total=queue.get("total"),
        queue_deferred=queue.get("deferred"),
        polled=int(polled) if polled else None,
        senders=senders,
        actions=actions,
    )


def account_queue(store: Store, account: str) -> dict[str, Any] | None:
    """One account's share of the queue at the last poll, if it had any."""
    rows = ResponseStore(store).queue_senders(account=account, limit=1)
    return rows[0] if rows else None


def containment_states(store: Store) -> dict[int, str]:
    """Incident id -> one word for its containment (``contained``, ``dry run``,
    ``released``, ``failed``, ``skipped``), for incident lists."""
    order = ("contained", "failed", "dry run", "released", "skipped")
    word = {"done": "contained", "kept": "contained", "pending": "contained",
            "unknown": "contained", "releasing": "contained", "failed": "failed",
            "release_failed": "failed", "dry_run": "dry run", "released": "released",
            "skipped": "skipped"}  # fmt: skip
    out: dict[int, str] = {}
    for r in ResponseStore(store).actions(limit=100_000):
        state = word.get(r.status, r.status)
        known = out.get(r.incident_id)
        if known is None or order.index(state) < order.index(known):
            out[r.incident_id] = state
    return out


def incident_actions(store: Store, incident_id: int) -> list[ActionRecord]:
    """The containment journal of one incident."""
    return ResponseStore(store).actions(incident_id=incident_id)


def ago(ts: float | None, now: float | None = None) -> str:
    """``"12 s ago"``, ``"3 min ago"``..."""
    if ts is None:
        return "never"
    seconds = max(0, int((now or time.time()) - ts))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


def queue_line(row: dict[str, Any]) -> str:
    """One sender's queue in words."""
    waited = f", oldest {row['oldest_age'] // 60} min" if row.get("oldest_age") else ""
    return (
        f"{row['queued']} queued ({row['deferred']} deferred) to {row['domains']} "
        f"domain{'s' if row['domains'] != 1 else ''}{waited}, polled {ago(row['polled'])}"
    )


def status_lines(info: dict[str, Any]) -> list[str]:
    """``kerio-watch status``'s lines about the API (plain text)."""
    state = info.get("state", "?")
    head = f"Kerio API: {STATUS_TEXT.get(state, state)} ({printable(str(info.get('url', '')))})"
    if state != "ok":
        head += f" since {info.get('since') or '?'}: {printable(str(info.get('error') or ''))}"
        head += "; detection goes on from the logs"
    lines = [head, f"  last answer: {info.get('last_ok') or 'never'}, {info.get('polls', 0)} polls"]
    queue = info.get("queue")
    if queue:
        polled = dt.datetime.fromtimestamp(queue["polled"], dt.UTC).isoformat(timespec="seconds")
        lines.append(
            f"  queue at {polled}: {queue['total']} messages, {queue['deferred']} deferred"
        )
    for row in info.get("senders") or []:
        lines.append(f"    {printable(row['account'])}: {queue_line(row)}")
    actions = info.get("actions") or {}
    if actions:
        lines.append("  containment: " + ", ".join(f"{n} {s}" for s, n in actions.items()))
    return lines


def action_summary(r: ActionRecord) -> str:
    """One action in words: what, on what, and how it stands."""
    what = ACTION_TEXT.get(r.action, r.action)
    mode = " (dry run)" if r.dry_run and r.status != "skipped" else ""
    tail = ""
    if r.status in ("skipped", "failed", "release_failed", "unknown"):
        tail = f": {r.error or r.reason}" if r.status != "skipped" else f": {r.reason}"
    elif r.status == "released":
        tail = f" by {r.released_by}" + (f" ({r.release_reason})" if r.release_reason else "")
    elif r.status == "done" and r.expires:
        tail = f", released automatically at {_iso(r.expires)}"
    elif r.status == "kept":
        tail = " (removed messages cannot be put back)"
    return printable(f"{what} {r.target}{mode}: {r.status}{tail}")


def calls_text(r: ActionRecord) -> list[str]:
    """The exact API calls of an action (what a dry run would call, or what was called)."""
    out = []
    for c in r.calls:
        call = c.get("call") or c.get("undo")
        if not call:
            continue
        if c.get("planned") and any("at" in d for d in r.calls):
            continue
        text = f"{call[0]} {json.dumps(call[1], ensure_ascii=False)}"
        if "answer" in c:
            text += f" -> {json.dumps(c['answer'], ensure_ascii=False)}"
        elif "error" in c:
            text += f" -> error: {c['error']}"
        out.append(printable(("undo: " if "undo" in c else "") + text)[:600])
    return out


def print_actions(console: Console, records: list[ActionRecord]) -> None:
    """The journal as a table: when, what, status, the calls."""
    table = Table("#", "incident", "when (UTC)", "action", "calls", title="Containment")
    for r in records:
        detail = Text(action_summary(r))
        for line in calls_text(r):
            detail.append("\n  " + line, style="dim")
        table.add_row(str(r.id), str(r.incident_id), _iso(r.created), detail, str(len(r.calls)))
    console.print(table)


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
