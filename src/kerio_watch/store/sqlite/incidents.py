"""The ``incidents`` table: saved incidents, looked up, filtered, searched, and listed a
page at a time (filtered, sorted and counted in SQL, for the dashboard)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from kerio_watch.store.query import SORTS, IncidentQuery
from kerio_watch.store.sqlite.connection import SQLiteConnection, dumps
from kerio_watch.store.sqlite.where import Where
from kerio_watch.values.incident import Incident


class IncidentTable(SQLiteConnection):
    """Incidents (:class:`~kerio_watch.store.base.IncidentStore`)."""

    # -- incidents ------------------------------------------------------------------------
    def next_incident_id(self) -> int:
        """The highest incident id so far (callers add one)."""
        row = self.db.execute("SELECT max(id) FROM incidents").fetchone()
        return int(row[0] or 0)

    def save_incidents(self, incidents: Iterable[Incident]) -> None:
        """Insert or replace incidents."""
        self._write_many(
            "INSERT OR REPLACE INTO incidents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    i.id,
                    i.key,
                    i.user,
                    i.opened,
                    i.updated,
                    i.status,
                    int(i.severity),
                    i.score,
                    i.summary(),
                    dumps(i.to_dict()),
                )
                for i in incidents
            ),
        )

    def open_incidents(self) -> list[Incident]:
        """Incidents still open."""
        rows = self.db.execute("SELECT data FROM incidents WHERE status = 'open'")
        return [Incident.from_dict(json.loads(r[0])) for r in rows]

    def incidents(
        self,
        status: str | None = None,
        since: int | None = None,
        until: int | None = None,
        key: str | None = None,
        min_severity: int = 0,
        limit: int = 1000,
    ) -> list[Incident]:
        """Incidents, newest first, filtered."""
        where = (
            Where()
            .add("severity >= ?", min_severity)
            .add("status = ?", status or None)
            .add("updated >= ?", since)
            .add("opened < ?", until)
            .add("key = ?", key or None)
        )
        sql = f"SELECT data FROM incidents{where.sql} ORDER BY updated DESC LIMIT ?"
        params = [*where.params, limit]
        return [Incident.from_dict(json.loads(r[0])) for r in self.db.execute(sql, params)]

    def incident(self, incident_id: int) -> Incident | None:
        """One incident by id."""
        row = self.db.execute("SELECT data FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        return None if row is None else Incident.from_dict(json.loads(row[0]))

    def incidents_containing(self, text: str, limit: int = 100) -> list[Incident]:
        """Incidents whose stored data (evidence, facts, IPs) contains ``text``, newest first."""
        rows = self.db.execute(
            "SELECT data FROM incidents WHERE instr(lower(data), ?) > 0 "
            "ORDER BY updated DESC LIMIT ?",
            (text.lower(), limit),
        )
        return [Incident.from_dict(json.loads(r[0])) for r in rows]

    # -- pages -------------------------------------------------------------------------

    @staticmethod
    def _where(query: IncidentQuery) -> Where:
        return (
            Where()
            .add("severity >= ?", query.min_severity)
            .add("status = ?", query.status or None)
            .add("key = ?", query.key or None)
        )

    def incident_page(self, query: IncidentQuery) -> list[Incident]:
        """One page of incidents.

        Raises:
            ValueError: an unknown sort column.
        """
        if query.sort not in SORTS:
            raise ValueError(f"cannot sort incidents by {query.sort!r}")
        where = self._where(query)
        order = SORTS[query.sort].format(d="DESC" if query.descending else "ASC")
        sql = f"SELECT data FROM incidents{where.sql} ORDER BY {order} LIMIT ? OFFSET ?"
        rows = self.db.execute(sql, [*where.params, query.limit, query.offset])
        return [Incident.from_dict(json.loads(r[0])) for r in rows]

    def count_incidents(self, query: IncidentQuery) -> int:
        """How many incidents the query's filters match (all pages)."""
        where = self._where(query)
        sql = f"SELECT count(*) FROM incidents{where.sql}"
        row = self.db.execute(sql, where.params).fetchone()
        return int(row[0])
