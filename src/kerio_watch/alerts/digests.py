"""Storms and digests (see :mod:`.router`): after a capped hour, one notice lists what
``max_per_hour`` held back; a digest sink gets one digest a day of what it collected."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from kerio_watch.alerts.base import DigestSink, Sink
from kerio_watch.alerts.digest import build_digest
from kerio_watch.alerts.render import held_back_alert
from kerio_watch.alerts.timing import last_slot, parse_clock
from kerio_watch.store.base import Store
from kerio_watch.values.alert import Alert
from kerio_watch.values.delivery import (
    COLLECTED,
    DIGEST,
    DIGESTED,
    HELD,
    SUMMARIZED,
    SUMMARY,
    Delivery,
)


def summarize_held(
    store: Store, sinks: dict[str, Sink[Any]], now: float, zone: dt.tzinfo | None
) -> None:
    """After each capped hour, one notice per sink listing what was held back."""
    hour = int(now // 3600)
    groups: dict[tuple[str, int], list[Delivery]] = {}
    for row in store.deliveries(status=HELD):
        if row.hour is not None and row.hour < hour:
            groups.setdefault((row.sink, row.hour), []).append(row)
    for (name, held_hour), rows in groups.items():
        sink = sinks.get(name)
        if sink is None:
            continue
        alerts = [Alert.from_dict(r.data) for r in rows]
        start = held_hour * 3600
        notice = held_back_alert(name, alerts, start, start + 3600, sink.options.max_per_hour, zone)
        store.add_delivery(
            Delivery(
                sink=name,
                kind=SUMMARY,
                data=notice.to_dict(),
                created=now,
                due=now,
                alert_id=notice.id,
                severity=int(notice.severity),
            )
        )
        for row in rows:
            row.status = SUMMARIZED
            store.update_delivery(row)


def schedule_digests(
    store: Store,
    sinks: dict[str, Sink[Any]],
    now: float,
    zone: dt.tzinfo | None,
    health: Callable[[], list[dict[str, object]]],
) -> None:
    """Queue each digest sink's digest once its daily time has passed."""
    for sink in sinks.values():
        at = sink.digest_time() if isinstance(sink, DigestSink) else None
        if not at or not sink.options.enabled:
            continue
        slot = last_slot(now, parse_clock(at), zone)
        key = f"digest:{sink.name}:last"
        last = store.get_meta(key)
        if last is None:
            store.set_meta(key, repr(slot))
            continue
        if float(last) >= slot:
            continue
        rows = store.deliveries(sink=sink.name, status=COLLECTED)
        alerts = [Alert.from_dict(r.data) for r in rows]
        floor = int(sink.options.min_severity)
        still_open = store.incidents(status="open", min_severity=floor, limit=500)
        problems = [
            f"{h['name']} ({h['type']}): {h['failed']} failed, {h['pending']} waiting; "
            f"last error: {h['last_error']}"
            for h in health()
            if h["name"] != sink.name and (not h["ok"] or h["failed"])
        ]
        store.set_meta(key, repr(slot))
        if not alerts and not still_open and not getattr(sink.options, "digest_empty", True):
            continue
        digest = build_digest(
            alerts, still_open, _incident_status(store), float(last), slot, zone, problems
        )
        store.add_delivery(
            Delivery(
                sink=sink.name,
                kind=DIGEST,
                data=digest.to_dict(),
                created=now,
                due=now,
                alert_id=f"digest-{int(slot)}",
                severity=max((r.severity for r in rows), default=0),
            )
        )
        for row in rows:
            row.status = DIGESTED
            store.update_delivery(row)


def _incident_status(store: Store) -> Callable[[int], str | None]:
    def status(incident_id: int) -> str | None:
        inc = store.incident(incident_id)
        return inc.status if inc is not None else None

    return status
