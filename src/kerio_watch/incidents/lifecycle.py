"""An incident's lifecycle: what happens to it over time, apart from how it is scored.

- ``open``: signals keep folding into it.
- A **high** or **critical** incident stays open until someone decides. When it has had
  no signal for the quiet period (24 hours of log time) it is marked *quiet since* its
  last signal, and stays open: a hijack nobody looked at must not drop out of every
  "open" view because the intruder paused. Weak signals join it quietly (the owner
  mailing in the evening); it becomes active again, and an alert says so, when the
  evidence of the last day (:data:`~kerio_watch.values.verdict.COMBINE`: after a
  quiet day, only what came since) would make a ``medium`` incident by itself. The
  verdict judges that evidence for an account; for a machine, the signal alone counts.
  While it waits, nothing new is learned for the account (:mod:`kerio_watch.detect.learner`).
- A **low** or **medium** incident may expire: after the quiet period it is ``closed``,
  and later signals open a new one.
- ``benign`` and ``resolved`` are decisions (:mod:`kerio_watch.incidents.ack`); they can
  be undone, which reopens the incident.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from kerio_watch.severity import Severity

WAITS_FROM = Severity.HIGH
"""Incidents at or above this severity wait for a decision instead of expiring."""
STATUSES = ("open", "closed", "benign", "resolved")
DECIDED = ("benign", "resolved")
REACTIVATED = "reactivated"
"""The status of the alert sent when a quiet incident that waits for a decision gets
signals again."""


class HasLifecycle(Protocol):
    """What the lifecycle reads of an incident."""

    status: str
    severity: Severity
    updated: int
    quiet_since: int | None


class Decidable(Protocol):
    """What a decision reads and sets of an incident."""

    id: int
    key: str
    status: str


D = TypeVar("D", bound=Decidable)


def decide(
    open_: dict[str, D], changed: dict[int, D], incident_id: int, status: str, stored: D | None
) -> D | None:
    """Apply a decision made elsewhere (``ack``, the dashboard) to an engine's incidents
    (open by key, changed by id): ``benign``/``resolved`` close the one held in memory
    (returned, None if not held); ``undo`` drops its change and reopens ``stored`` (the
    saved copy) when it is open again and its key has no open incident."""
    if status == "undo":
        changed.pop(incident_id, None)
        if stored is not None and stored.status == "open" and stored.key not in open_:
            open_[stored.key] = stored
        return stored
    inc = changed.get(incident_id) or next((i for i in open_.values() if i.id == incident_id), None)
    if inc is not None:
        inc.status = status
        if open_.get(inc.key) is inc:
            del open_[inc.key]
        changed[inc.id] = inc
    return inc


def expires(inc: HasLifecycle) -> bool:
    """Whether the incident closes by itself after the quiet period (low and medium)."""
    return inc.severity < WAITS_FROM


def stale(inc: HasLifecycle, now: int, quiet: int) -> bool:
    """Quiet for longer than ``quiet`` seconds at log time ``now``."""
    return now - inc.updated > quiet


def mark_quiet(inc: HasLifecycle) -> bool:
    """Mark a waiting incident quiet since its last signal; False if it already was."""
    if inc.quiet_since is not None:
        return False
    inc.quiet_since = inc.updated
    return True


WAKES_FROM = Severity.MEDIUM
"""A quiet incident becomes active again (and alerts) when the evidence of the last day
is this strong by itself (the alert threshold)."""


def wakes(inc: HasLifecycle, strength: Severity) -> bool:
    """Whether evidence of this strength makes a quiet incident active again (and
    clears its quiet mark); weaker evidence joins it without waking it."""
    if inc.quiet_since is None or strength < WAKES_FROM:
        return False
    inc.quiet_since = None
    return True


def status_text(inc: HasLifecycle, fmt: Callable[[int], str]) -> str:
    """``open``, ``open, quiet since 2026-03-24 02:41``, ``benign``...

    Weak signals that joined a quiet incident without waking it are said, so that its
    "last signal" after the "quiet since" time reads true.

    >>> class I: status, severity, updated, quiet_since = "open", Severity.HIGH, 5, 5
    >>> status_text(I(), str)
    'open, quiet since 5'
    >>> I.updated = 9
    >>> status_text(I(), str)
    'open, quiet since 5 (only weak signals since)'
    """
    if inc.status == "open" and inc.quiet_since is not None:
        weak = " (only weak signals since)" if inc.updated > inc.quiet_since else ""
        return f"open, quiet since {fmt(inc.quiet_since)}{weak}"
    return inc.status
