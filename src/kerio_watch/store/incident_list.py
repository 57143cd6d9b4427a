"""Incident lists a page at a time: filtered, sorted and counted in SQL (the dashboard)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from kerio_watch.incidents.engine import Incident
from kerio_watch.store.query import SORTS, IncidentQuery


class IncidentListTable:
    """Mixed into :class:`~kerio_watch.store.sqlite.SQLiteStore`."""

    db: sqlite3.Connection

    @staticmethod
    def _where(query: IncidentQuery) -> tuple[str, list[Any]]:
        sql = " WHERE severity >= ?"
        params: list[Any] = [query.min_severity]
        if query.status:
            sql += " AND status = ?"
            params.append(query.status)
        return sql, params

    def incident_page(self, query: IncidentQuery) -> list[Incident]:
        """One page of incidents.

        Raises:
            ValueError: an unknown sort column.
        """
        if query.sort not in SORTS:
            raise ValueError(f"cannot sort incidents by {query.sort!r}")
        where, params = self._where(query)
        order = SORTS[query.sort].format(d="DESC" if query.descending else "ASC")
        sql = f"SELECT data FROM incidents{where} ORDER BY {order} LIMIT ? OFFSET ?"
        rows = self.db.execute(sql, [*params, query.limit, query.offset])
        return [Incident.from_dict(json.loads(r[0])) for r in rows]

    def count_incidents(self, query: IncidentQuery) -> int:
        """How many incidents the query's filters match (all pages)."""
        where, params = self._where(query)
        row = self.db.execute(f"SELECT count(*) FROM incidents{where}", params).fetchone()
        return int(row[0])
