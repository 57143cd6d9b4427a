"""The ``alerts`` table: every alert recorded, and whether it was reported."""

from __future__ import annotations

import json
from collections.abc import Iterable

from kerio_watch.store.sqlite.connection import SQLiteConnection, dumps
from kerio_watch.store.sqlite.where import Where
from kerio_watch.values.alert import Alert


class AlertTable(SQLiteConnection):
    """Alerts (:class:`~kerio_watch.store.base.AlertStore`)."""

    # -- alerts -------------------------------------------------------------------------
    def save_alerts(self, alerts: Iterable[tuple[Alert, bool]]) -> None:
        """Record alerts (with whether they were reported, i.e. after ``--since``)."""
        self._write_many(
            "INSERT OR REPLACE INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    a.id,
                    a.incident_id,
                    a.ts,
                    int(a.severity),
                    a.user,
                    a.rule,
                    int(reported),
                    dumps(a.to_dict()),
                )
                for a, reported in alerts
            ),
        )

    def alerts(self, since: int | None = None, limit: int = 1000) -> list[Alert]:
        """Alerts, newest first."""
        where = Where().add("ts >= ?", since)
        sql = f"SELECT data FROM alerts{where.sql} ORDER BY ts DESC LIMIT ?"
        rows = self.db.execute(sql, [*where.params, limit])
        return [Alert.from_dict(json.loads(r[0])) for r in rows]
