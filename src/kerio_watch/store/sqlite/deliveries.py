"""The ``deliveries`` table: the alert delivery queue."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from kerio_watch.store.sqlite.connection import SQLiteConnection, dumps
from kerio_watch.store.sqlite.where import Where
from kerio_watch.values.delivery import Delivery


class DeliveryTable(SQLiteConnection):
    """The delivery queue (:class:`~kerio_watch.store.base.DeliveryStore`)."""

    # -- alert delivery queue -----------------------------------------------------------
    _DELIVERY_COLUMNS = (
        "id, sink, kind, status, incident_id, alert_id, severity, created, due, attempts, "
        "last_error, last_try, sent_at, hour, merged, data"
    )
    _DELIVERY_ORDER = {  # noqa: RUF012 (constant SQL fragments)
        "id": "id",
        "priority": "severity DESC, id",
        "sent": "sent_at DESC, id DESC",
        "tried": "last_try DESC, id DESC",
    }

    @staticmethod
    def _delivery_row(d: Delivery) -> tuple[Any, ...]:
        return (
            d.sink,
            d.kind,
            d.status,
            d.incident_id,
            d.alert_id,
            d.severity,
            d.created,
            d.due,
            d.attempts,
            d.last_error,
            d.last_try,
            d.sent_at,
            d.hour,
            d.merged,
            dumps(d.data),
        )

    def add_delivery(self, delivery: Delivery) -> int:
        """Queue a delivery; returns its id (also set on ``delivery``)."""
        try:
            cur = self.db.execute(
                "INSERT INTO deliveries (sink, kind, status, incident_id, alert_id, severity, "
                "created, due, attempts, last_error, last_try, sent_at, hour, merged, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self._delivery_row(delivery),
            )
        except sqlite3.DatabaseError as exc:
            raise self._failed(exc) from None
        delivery.id = int(cur.lastrowid or 0)
        return delivery.id

    def update_delivery(self, delivery: Delivery) -> None:
        """Write back every field of a delivery (by id)."""
        self._write(
            "UPDATE deliveries SET sink = ?, kind = ?, status = ?, incident_id = ?, "
            "alert_id = ?, severity = ?, created = ?, due = ?, attempts = ?, last_error = ?, "
            "last_try = ?, sent_at = ?, hour = ?, merged = ?, data = ? WHERE id = ?",
            (*self._delivery_row(delivery), delivery.id),
        )

    @staticmethod
    def _to_delivery(row: tuple[Any, ...]) -> Delivery:
        (i, sink, kind, status, inc, aid, sev, created, due, attempts, err, tried, sent, hour,
         merged, data) = row  # fmt: skip
        return Delivery(
            sink, kind, json.loads(data), created, due, status, inc, aid, sev, attempts, err,
            tried, sent, hour, merged, i,
        )  # fmt: skip

    def delivery(self, delivery_id: int) -> Delivery | None:
        """One delivery by id."""
        row = self.db.execute(
            f"SELECT {self._DELIVERY_COLUMNS} FROM deliveries WHERE id = ?", (delivery_id,)
        ).fetchone()
        return None if row is None else self._to_delivery(row)

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
        where = (
            Where()
            .add("sink = ?", sink)
            .one_of("status", [status] if isinstance(status, str) else status)
            .add("kind = ?", kind)
            .add("incident_id = ?", incident_id)
            .add("due <= ?", due_before)
            .add("sent_at >= ?", sent_since)
        )
        sql = (
            f"SELECT {self._DELIVERY_COLUMNS} FROM deliveries{where.sql} "
            f"ORDER BY {self._DELIVERY_ORDER[order]} LIMIT ?"
        )
        return [self._to_delivery(r) for r in self.db.execute(sql, [*where.params, limit])]

    def delivery_counts(self) -> dict[str, dict[str, int]]:
        """sink -> status -> number of deliveries."""
        out: dict[str, dict[str, int]] = {}
        rows = self.db.execute("SELECT sink, status, count(*) FROM deliveries GROUP BY 1, 2")
        for sink, status, n in rows:
            out.setdefault(sink, {})[status] = n
        return out

    def prune_deliveries(self, before: float) -> int:
        """Delete finished deliveries created before ``before``; returns how many."""
        return self._delete(
            "DELETE FROM deliveries WHERE created < ? AND status IN "
            "('sent', 'failed', 'summarized', 'digested')",
            (before,),
        )
