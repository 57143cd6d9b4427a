"""The dashboard's part of containment: the journal on the incident page, the queue on
the home and account pages, and the release button (behind a confirmation).

A release is made by the dashboard process itself, through Kerio's API, exactly as
``kerio-watch release`` does (:meth:`~kerio_watch.respond.contain.Containment.
release_incident`); the dashboard therefore needs the API's password (``[kerio_api]``
``password_env`` or ``password_file``) like the follower. Every action is released
once, even when a follower releases it at the same moment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from kerio_watch.errors import KerioWatchError
from kerio_watch.respond.contain import Containment
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
from kerio_watch.respond.worker import connect
from kerio_watch.store import open_store
from kerio_watch.store.base import Store
from kerio_watch.store.sqlite.responses import ResponseStore
from kerio_watch.timebase import Timebase
from kerio_watch.web.context import deps


def incident_context(store: Store, incident_id: int) -> dict[str, Any]:
    """What the incident page shows about containment."""
    records = incident_actions(store, incident_id)
    return {
        "contained": [(r, action_summary(r), calls_text(r)) for r in records],
        "releasable": any(r.status in RELEASABLE for r in records),
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
    """The pages' containment data, and ``POST /incidents/<id>/release`` (CSRF-checked by
    the app, like every POST)."""
    app.context_processor(lambda: page_context(deps().db_path))
    app.add_url_rule("/incidents/<int:incident_id>/release", "release", release, methods=["POST"])


def release(incident_id: int) -> BaseResponse:
    """Release an incident's containment through Kerio's API."""
    if request.form.get("confirm") != "yes":
        abort(400, "tick the confirmation to release the containment")
    config = deps().config
    if not config.kerio_api.enabled:
        abort(400, "release needs [kerio_api] in the configuration")
    reason = request.form.get("reason", "")[:200]
    writer = open_store(deps().db_path)
    try:
        journal = ResponseStore(writer)
        client = connect(config.kerio_api)
        containment = Containment(
            config, journal, lambda: client, Timebase(config.site.zone()).to_utc
        )
        who = f"dashboard ({request.remote_addr or '?'})"
        records = containment.release_incident(incident_id, who, reason)
        client.logout()
    except KerioWatchError as exc:
        flash(f"Release failed: {exc}")
        return redirect(url_for("incident", incident_id=incident_id))
    finally:
        writer.close()
    if not records:
        flash(f"Incident #{incident_id}: nothing in effect to release.")
    for r in records:
        flash(f"Incident #{incident_id}: {action_summary(r)}")
    return redirect(url_for("incident", incident_id=incident_id))
