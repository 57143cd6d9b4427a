"""The in-memory store's alert delivery queue."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict

from kerio_watch.store.memory.connection import MemoryConnection, Row, next_id, order_by
from kerio_watch.store.memory.connection import dumps as _dumps
from kerio_watch.store.memory.connection import parse_order as _order
from kerio_watch.values.delivery import Delivery

_ORDER = {
    "id": _order("id"),
    "priority": _order("severity DESC, id"),
    "sent": _order("sent_at DESC, id DESC"),
    "tried": _order("last_try DESC, id DESC"),
}
_FINISHED = ("sent", "failed", "summarized", "digested")


def _row(delivery: Delivery) -> Row:
    row = asdict(delivery)
    row["data"] = _dumps(delivery.data)
    return row


def _delivery(row: Row) -> Delivery:
    return Delivery(**{**row, "data": json.loads(row["data"])})


class DeliveryMemory(MemoryConnection):
    """The delivery queue (:class:`~kerio_watch.store.base.DeliveryStore`)."""

    def add_delivery(self, delivery: Delivery) -> int:
        """Queue a delivery; returns its id (also set on ``delivery``)."""
        delivery.id = next_id(self.tables.deliveries)
        self.tables.deliveries[delivery.id] = _row(delivery)
        return delivery.id

    def update_delivery(self, delivery: Delivery) -> None:
        """Write back every field of a delivery (by id)."""
        if delivery.id in self.tables.deliveries:
            self.tables.deliveries[delivery.id] = _row(delivery)

    def delivery(self, delivery_id: int) -> Delivery | None:
        """One delivery by id."""
        row = self.tables.deliveries.get(delivery_id)
        return None if row is None else _delivery(row)

    def deliveries(
        self,
        sink: str | None = None,
        status: str | Iterable[str] | None = None,
        kind: str | None = None,
        incident_id: int | None = None,
        due_before: float | None = None,
        sent_since: float | None = None,
        order: str = "id",
        limit: int = 10000,
    ) -> list[Delivery]:
        """Deliveries, filtered; ``order`` is id, priority, sent (newest) or tried (newest)."""
        statuses = None if status is None else {status} if isinstance(status, str) else set(status)
        rows = [
            r
            for _, r in sorted(self.tables.deliveries.items())
            if (sink is None or r["sink"] == sink)
            and (statuses is None or r["status"] in statuses)
            and (kind is None or r["kind"] == kind)
            and (incident_id is None or r["incident_id"] == incident_id)
            and (due_before is None or r["due"] <= due_before)
            and (sent_since is None or (r["sent_at"] is not None and r["sent_at"] >= sent_since))
        ]
        return [_delivery(r) for r in order_by(rows, _ORDER[order])[:limit]]

    def delivery_counts(self) -> dict[str, dict[str, int]]:
        """sink -> status -> number of deliveries."""
        out: dict[str, dict[str, int]] = {}
        for r in self.tables.deliveries.values():
            counts = out.setdefault(r["sink"], {})
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        return out

    def prune_deliveries(self, before: float) -> int:
        """Delete finished deliveries created before ``before``; returns how many."""
        old = [
            i
            for i, r in self.tables.deliveries.items()
            if r["created"] < before and r["status"] in _FINISHED
        ]
        for i in old:
            del self.tables.deliveries[i]
        return len(old)
