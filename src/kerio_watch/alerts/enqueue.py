"""Queueing an alert for a sink: one delivery per (alert, sink), merged into a waiting one
of the same incident, and due after the sink's cooldown (see :mod:`.router`)."""

from __future__ import annotations

from typing import Any

from kerio_watch.alerts.base import Sink
from kerio_watch.store.base import Store
from kerio_watch.values.alert import Alert
from kerio_watch.values.delivery import ALERT, PENDING, SENDING, SENT, Delivery


def delivery_of(sink: Sink[Any], alert: Alert, due: float, status: str = PENDING) -> Delivery:
    """A new delivery of ``alert`` to ``sink``, due at ``due``."""
    return Delivery(
        sink=sink.name,
        kind=ALERT,
        data=alert.to_dict(),
        created=due,
        due=due,
        status=status,
        incident_id=alert.incident_id,
        alert_id=alert.id,
        severity=int(alert.severity),
    )


def enqueue(store: Store, sink: Sink[Any], alert: Alert, now: float) -> None:
    """Queue an alert, merging it into a waiting one of the same incident (cooldown)."""
    waiting = store.deliveries(
        sink=sink.name, kind=ALERT, incident_id=alert.incident_id, status=PENDING
    )
    if waiting:
        row = waiting[-1]
        if alert.severity >= row.severity:
            row.data, row.alert_id, row.severity = (
                alert.to_dict(),
                alert.id,
                int(alert.severity),
            )
            row.merged += 1
            store.update_delivery(row)
        return
    due = now
    cooldown = sink.options.cooldown
    if cooldown > 0:
        name, inc = sink.name, alert.incident_id
        if store.deliveries(sink=name, kind=ALERT, incident_id=inc, status=SENDING, limit=1):
            due = now + cooldown  # one is on its way right now
        else:
            last = store.deliveries(
                sink=name, kind=ALERT, incident_id=inc, status=SENT, order="sent", limit=1
            )
            if last and last[0].sent_at is not None:
                due = max(now, last[0].sent_at + cooldown)
    row = delivery_of(sink, alert, now)
    row.due = due
    store.add_delivery(row)
