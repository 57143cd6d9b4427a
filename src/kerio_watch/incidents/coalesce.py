"""One alert per incident per second of the log.

A single line can fold several signals into one incident: the first message of a hijack
is a new address, a new program and new recipients at once, each from its own detector.
Folded one by one they open the incident at medium and escalate it to high or critical
within the same line, and an administrator would read two or three alerts stamped with
the same second, the first already out of date. A burst does the same over the lines of
one second: its first message opens the incident, the next one escalates it. The
pipeline collects the alerts of one log second here (until an event of a later second,
a minute's tick, or the end of what was read at once, so ``follow`` announces no later
than before) and emits the last state of each incident once.

The incident itself is updated signal by signal as before, so what later detectors see of
it in the same line (an address another hijack rests on) does not change; only what is
announced does.
"""

from __future__ import annotations

from dataclasses import replace

from kerio_watch.values.alert import Alert

OPENED = "opened"


class AlertBatch:
    """The alerts of one event, keyed by incident, in the order incidents first alerted."""

    __slots__ = ("_pending",)

    def __init__(self) -> None:
        self._pending: dict[int, Alert] = {}

    def add(self, alert: Alert) -> None:
        """Keep ``alert`` in place of an earlier one of its incident; an incident that
        opened in this event is announced as opened, at its final severity."""
        earlier = self._pending.get(alert.incident_id)
        if earlier is not None and earlier.status == OPENED and alert.status != OPENED:
            alert = replace(alert, status=OPENED)
        self._pending[alert.incident_id] = alert

    def drain(self) -> list[Alert]:
        """The alerts kept, oldest incident first; the batch is empty afterwards."""
        if not self._pending:
            return []
        alerts = list(self._pending.values())
        self._pending = {}
        return alerts
