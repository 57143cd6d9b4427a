"""The ``alerts`` table: every alert recorded, and whether it was reported."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from kerio_watch.store.sqlite.connection import SQLiteConnection, dumps
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
        sql = "SELECT data FROM alerts"
        params: list[Any] = []
        if since is not None:
            sql += " WHERE ts >= ?"
            params.append(since)
        sql += " ORDER BY ts DESC LIMIT ?"
        params.append(limit)
        return [Alert.from_dict(json.loads(r[0])) for r in self.db.execute(sql, params)]
