"""Deciding about an incident: the one place ``ack`` and the dashboard share.

``benign`` teaches the account's profile the incident's facts (hosts, From addresses,
hours...) so they stop alerting, then marks the incident benign; ``resolved`` only
closes it (the password was changed, the machine cleaned). Every decision is kept in
the history with when, who, why and notes, and :func:`undo` reverses the latest one:
it removes exactly what teaching added and reopens the incident.

One decision is in force at a time: deciding about an incident that is already
benign or resolved is refused (:class:`AlreadyDecided`): undo first, then decide
again. So the history never holds a decision that changed nothing, and undoing the
one in force leaves the incident open as it was before it.

Teaching a *critical* incident as normal is refused unless the caller passes
``override_critical``: a critical incident is very rarely a false alarm, and teaching a
hijack as normal blinds kerio-watch to the same intruder.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from kerio_watch.errors import UsageError
from kerio_watch.incidents.teach import Lesson, lesson, teach, unteach
from kerio_watch.severity import Severity
from kerio_watch.store.base import Store
from kerio_watch.store.journal import Journal
from kerio_watch.textsafe import printable
from kerio_watch.values.decision import Decision
from kerio_watch.values.incident import Incident
from kerio_watch.values.profile import Profile

DECISIONS = ("benign", "resolved")
DEFAULT_WHY = {
    "benign": "a false alarm: the account's owner did this",
    "resolved": "handled",
    "undo": "decided too early",
}


class CriticalRefused(UsageError):
    """``benign`` on a critical incident without ``override_critical``."""


class AlreadyDecided(UsageError):
    """A decision about an incident that is already benign or resolved."""


@dataclass(frozen=True)
class AckResult:
    """What a decision (or its undoing) did."""

    incident: Incident
    decision: Decision
    taught: Lesson
    """benign: the values added; undo: the values removed; resolved: nothing."""


def find(store: Store, incident_id: int) -> Incident:
    """The incident.

    Raises:
        UsageError: there is no such incident.
    """
    inc = store.incident(incident_id)
    if inc is None:
        raise UsageError(f"no incident {incident_id} in {store.path}")
    return inc


def undecided(store: Store, incident_id: int) -> Incident:
    """The incident, when no decision about it is in force.

    Raises:
        UsageError: there is no such incident.
        AlreadyDecided: it is benign or resolved already.
    """
    inc = find(store, incident_id)
    if inc.status not in DECISIONS:
        return inc
    last = last_active(store, incident_id)
    said = ""
    if last is not None:
        by = f" by {printable(last.by)}" if last.by else ""
        said = f" (decision {last.id}{by}: {printable(last.why)})"
    raise AlreadyDecided(
        f"incident {incident_id} is already {inc.status}{said}: one decision is in force "
        "at a time; to decide again, undo it first"
    )


def preview(store: Store, inc: Incident) -> Lesson:
    """What ``benign`` would teach the account now."""
    if not inc.user:
        return {}
    return lesson(store.load_profile(inc.user) or Profile(inc.user), inc)


def acknowledge(
    store: Store,
    incident_id: int,
    decision: str,
    *,
    why: str = "",
    notes: str = "",
    by: str | None = None,
    override_critical: bool = False,
) -> AckResult:
    """Mark an incident benign (teaching the baseline) or resolved, in one transaction.

    Raises:
        ValueError: ``decision`` is not ``benign`` or ``resolved``.
        UsageError: there is no such incident.
        AlreadyDecided: the incident is benign or resolved already.
        CriticalRefused: ``benign`` on a critical incident without ``override_critical``.
    """
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, got {decision!r}")
    inc = undecided(store, incident_id)
    if decision == "benign" and inc.severity >= Severity.CRITICAL and not override_critical:
        raise CriticalRefused(
            f"incident {incident_id} is critical: a critical incident is very rarely a false "
            "alarm, and teaching it as normal would blind kerio-watch to the same intruder; "
            "if you have checked with the account's owner, confirm with --override-critical"
        )
    taught: Lesson = {}
    record = Decision(incident_id, decision, time.time(), by, why or DEFAULT_WHY[decision], notes)
    with store.transaction():
        if decision == "benign" and inc.user:
            profile = store.load_profile(inc.user) or Profile(inc.user)
            taught = teach(profile, inc)
            store.save_profiles([profile])
        record.taught = taught
        inc.status = decision
        store.save_incidents([inc])
        store.add_decision(record)
        # A running follower holds incidents and profiles in memory: it applies this
        # at its next save instead of overwriting it.
        store.record_ack(incident_id, f"{decision}#{record.id}")
    _journal(store, inc, decision)
    return AckResult(inc, record, taught)


def last_active(store: Store, incident_id: int) -> Decision | None:
    """The newest decision about the incident that has not been undone."""
    return next((d for d in reversed(store.decisions(incident_id)) if d.active), None)


def undo(
    store: Store, incident_id: int, *, why: str = "", notes: str = "", by: str | None = None
) -> AckResult:
    """Undo the incident's latest decision: remove exactly what it taught, reopen it.

    A history written before a second decision was refused may hold an older decision
    still in force under the undone one: the incident then returns to that decision's
    status, as it stood before the undone one.

    Raises:
        UsageError: there is no such incident, or no decision about it to undo.
    """
    inc = find(store, incident_id)
    last = last_active(store, incident_id)
    if last is None or inc.status not in DECISIONS:
        raise UsageError(f"incident {incident_id} is {inc.status}: there is no decision to undo")
    removed: Lesson = {}
    with store.transaction():
        if last.decision == "benign" and inc.user:
            profile = store.load_profile(inc.user)
            if profile is not None:
                # Decisions older than the history: remove what teaching would have added.
                taught = last.taught if last.taught is not None else inc_facts(inc)
                removed = unteach(profile, taught)
                store.save_profiles([profile])
        earlier = next(
            (d for d in reversed(store.decisions(incident_id)) if d.active and d.id != last.id),
            None,
        )
        inc.status = earlier.decision if earlier is not None else "open"
        store.save_incidents([inc])
        record = Decision(
            incident_id, "undo", time.time(), by, why or DEFAULT_WHY["undo"], notes,
            removed, last.id,
        )  # fmt: skip
        store.add_decision(record)
        store.mark_undone(last.id, record.id)
        store.record_ack(incident_id, f"undo#{record.id}")
    last.undone_by = record.id
    _journal(store, inc, inc.status)
    return AckResult(inc, record, removed)


def _journal(store: Store, inc: Incident, decision: str) -> None:
    """Note a committed decision in the journal, for ``db recover`` (``open``: undone)."""
    journal = Journal.beside(store.path)
    if journal is not None:
        journal.ack(inc.key, inc.opened, decision, inc.updated)


def inc_facts(inc: Incident) -> Lesson:
    """The incident's teachable facts (what ``benign`` teaches when nothing was known)."""
    return lesson(Profile(inc.key), inc)
