"""The dashboard's part of containment: the journal on the incident page, the queue on
the home and account pages, and the contain and release buttons (each behind a
confirmation).

Both are made by the dashboard process itself, through Kerio's API, exactly as
``kerio-watch contain`` and ``kerio-watch release`` do
(:meth:`~kerio_watch.respond.contain.Containment.contain_now`, ``release_incident``);
the dashboard therefore needs the API's password (``[kerio_api]`` ``password_env`` or
``password_file``) like the follower. Containment follows ``[kerio_api.contain]
dry_run``. Every action is taken, and released, once, even when a follower acts on the
same incident at the same moment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from kerio_watch.errors import KerioWatchError
from kerio_watch.respond.views import (
    RELEASABLE,
    account_queue,
    action_summary,
    api_status,
    calls_text,
    incident_actions,
    queue_line,
    status_lines,
)
from kerio_watch.respond.worker import manual_containment
from kerio_watch.settings.kerio_api import ACTIONS
from kerio_watch.store import open_store
from kerio_watch.store.base import Store
from kerio_watch.web.context import deps


def incident_context(store: Store, incident_id: int) -> dict[str, Any]:
    """What the incident page shows about containment."""
    records = incident_actions(store, incident_id)
    inc = store.incident(incident_id)
    api = deps().config.kerio_api
    return {
        "contained": [(r, action_summary(r), calls_text(r)) for r in records],
        "releasable": any(r.status in RELEASABLE for r in records),
        "containable": bool(
            api.enabled and inc is not None and inc.user and inc.status != "benign"
        ),
        "contain_dry_run": api.contain.dry_run,
    }


def home_context(store: Store) -> dict[str, Any]:
    """The API's state and the queue for the home page."""
    info = api_status(store)
    return {"api_lines": status_lines(info) if info else []}


def account_context(store: Store, account: str) -> dict[str, Any]:
    """One account's share of the queue."""
    row = account_queue(store, account)
    return {"queue_text": queue_line(row) if row else None}


def page_context(db_path: Path) -> dict[str, Any]:
    """The containment and queue data of the page being rendered (by its endpoint)."""
    endpoint, args = request.endpoint, request.view_args or {}
    if endpoint not in ("index", "incident", "account"):
        return {}
    store = open_store(db_path, readonly=True)
    try:
        if endpoint == "incident":
            return incident_context(store, int(args["incident_id"]))
        if endpoint == "account":
            return account_context(store, str(args["address"]).strip().lower())
        return home_context(store)
    finally:
        store.close()


def add_routes(app: Flask) -> None:
    """The pages' containment data, and ``POST /incidents/<id>/contain`` and ``release``
    (CSRF-checked by the app, like every POST)."""
    app.context_processor(lambda: page_context(deps().db_path))
    app.add_url_rule("/incidents/<int:incident_id>/release", "release", release, methods=["POST"])
    app.add_url_rule("/incidents/<int:incident_id>/contain", "contain", contain, methods=["POST"])


def release(incident_id: int) -> BaseResponse:
    """Release an incident's containment through Kerio's API."""
    return _act(incident_id, "release", "nothing in effect to release")


def contain(incident_id: int) -> BaseResponse:
    """Contain an incident's account now through Kerio's API (every action)."""
    return _act(incident_id, "contain", "already contained")


def _act(incident_id: int, what: str, nothing: str) -> BaseResponse:
    """Contain or release (``what``), behind the ticked confirmation; flash the result."""
    if request.form.get("confirm") != "yes":
        abort(400, f"tick the confirmation to {what}")
    config = deps().config
    if not config.kerio_api.enabled:
        abort(400, f"{what} needs [kerio_api] in the configuration")
    reason = request.form.get("reason", "")[:200]
    writer = open_store(deps().db_path)
    try:
        inc = writer.incident(incident_id)
        if inc is None:
            abort(404)
        who = f"dashboard ({request.remote_addr or '?'})"
        with manual_containment(config, writer) as containment:
            if what == "release":
                records = containment.release_incident(incident_id, who, reason)
            else:
                records = containment.contain_now(inc, ACTIONS, who, reason)
    except KerioWatchError as exc:
        flash(f"{what.capitalize()} failed: {exc}")
        return redirect(url_for("incident", incident_id=incident_id))
    finally:
        writer.close()
    if not records:
        flash(f"Incident #{incident_id}: {nothing}.")
    for r in records:
        flash(f"Incident #{incident_id}: {action_summary(r)}")
    return redirect(url_for("incident", incident_id=incident_id))
