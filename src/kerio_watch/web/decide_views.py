"""Deciding about an incident in the dashboard, and undoing it.

- **Benign…** opens a page that lists everything it would teach the account's baseline
  (every value) and asks for confirmation. On a critical incident it refuses first (as
  ``kerio-watch ack --benign`` does): the lesson is shown only once a box is ticked that
  says the owner was asked. The POST without that confirmation teaches nothing and comes
  back to the page.
- **Resolved** closes it without teaching anything.
- **Undo** removes exactly what the decision taught and reopens the incident.

An incident already benign or resolved is not decided again (a form sent twice, a
stale page): that is a 409 that says which decision is in force; undo it first.

All three write through :mod:`kerio_watch.incidents.ack`, exactly like ``kerio-watch
ack``, and are kept in the decision history with the reason and notes typed in.
"""

from __future__ import annotations

from flask import Flask, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from kerio_watch.errors import UsageError
from kerio_watch.incidents.ack import (
    DECISIONS,
    AlreadyDecided,
    CriticalRefused,
    acknowledge,
    last_active,
    preview,
    undecided,
    undo,
)
from kerio_watch.incidents.teach import describe
from kerio_watch.report.model import IncidentRow
from kerio_watch.severity import Severity
from kerio_watch.web.context import server_time, store, who, writer

MAX_TEXT = 2000


def _text(name: str) -> str:
    return request.form.get(name, "").strip()[:MAX_TEXT]


def benign_confirm(incident_id: int) -> str | tuple[str, int]:
    """What marking the incident benign would teach, and the confirmation form."""
    s = store()
    try:
        inc = undecided(s, incident_id)
    except AlreadyDecided as exc:
        abort(409, str(exc))
    except UsageError:
        abort(404, f"no incident {incident_id}")
    critical = inc.severity >= Severity.CRITICAL
    # refused before the lesson (as ``kerio-watch ack --benign``): a critical incident's
    # lesson is shown only once the box says its owner was asked
    refused = critical and request.args.get("override") != "yes"
    return render_template(
        "benign.html",
        st=server_time(),
        inc=inc,
        row=IncidentRow.of(inc),
        lesson=None if refused else preview(s, inc),
        critical=critical,
        refused=refused,
    )


def ack(incident_id: int) -> BaseResponse:
    """Record a decision (benign only once confirmed on the confirmation page)."""
    decision = request.form.get("decision", "")
    if decision not in DECISIONS:
        abort(400, "decision must be benign or resolved")
    if decision == "benign" and request.form.get("confirm") != "yes":
        return redirect(url_for("benign_confirm", incident_id=incident_id))
    try:
        with writer() as w:
            result = acknowledge(
                w,
                incident_id,
                decision,
                why=_text("why"),
                notes=_text("notes"),
                by=who(),
                override_critical=request.form.get("override") == "yes",
            )
    except CriticalRefused:
        flash("This incident is critical: tick the box to confirm that its owner did this.")
        return redirect(url_for("benign_confirm", incident_id=incident_id))
    except AlreadyDecided as exc:
        abort(409, str(exc))
    except UsageError:
        abort(404, f"no incident {incident_id}")
    message = f"Incident #{incident_id} marked {decision}."
    if result.taught:
        message += " Learned as normal: " + "; ".join(describe(result.taught))
    flash(message)
    return redirect(url_for("incident", incident_id=incident_id))


def undo_decision(incident_id: int) -> BaseResponse:
    """Undo the incident's latest decision."""
    try:
        with writer() as w:
            if w.incident(incident_id) is None:
                abort(404, f"no incident {incident_id}")
            if last_active(w, incident_id) is None:
                abort(409, f"incident {incident_id} has no decision to undo")
            result = undo(w, incident_id, why=_text("why"), notes=_text("notes"), by=who())
    except UsageError as exc:
        abort(409, str(exc))
    message = f"Incident #{incident_id} reopened: its decision was undone."
    if result.taught:
        message += " No longer normal: " + "; ".join(describe(result.taught))
    flash(message)
    return redirect(url_for("incident", incident_id=incident_id))


def register(app: Flask) -> None:
    """Add the decision pages and actions to the application."""
    app.add_url_rule("/incidents/<int:incident_id>/benign", "benign_confirm", benign_confirm)
    app.add_url_rule("/incidents/<int:incident_id>/ack", "ack", ack, methods=["POST"])
    app.add_url_rule("/incidents/<int:incident_id>/undo", "undo", undo_decision, methods=["POST"])
