"""The in-memory store's incidents, decisions and acknowledgements."""

from __future__ import annotations

import json
from collections.abc import Iterable

from kerio_watch.store.memory.connection import (
    MemoryConnection,
    Row,
    dumps,
    next_id,
    order_by,
    parse_order,
)
from kerio_watch.store.query import SORTS, IncidentQuery
from kerio_watch.values.decision import Decision
from kerio_watch.values.incident import Incident


def _incident(row: Row) -> Incident:
    return Incident.from_dict(json.loads(row["data"]))


class IncidentMemory(MemoryConnection):
    """Incidents (:class:`~kerio_watch.store.base.IncidentStore`)."""

    def next_incident_id(self) -> int:
        """The highest incident id so far (callers add one)."""
        return max(self.tables.incidents, default=0)

    def save_incidents(self, incidents: Iterable[Incident]) -> None:
        """Insert or replace incidents."""
        for i in incidents:
            self.tables.incidents[i.id] = {
                "id": i.id, "key": i.key, "opened": i.opened, "updated": i.updated,
                "status": i.status, "severity": int(i.severity), "score": i.score,
                "data": dumps(i.to_dict()),
            }  # fmt: skip

    def _incident_rows(self) -> list[Row]:
        return [self.tables.incidents[i] for i in sorted(self.tables.incidents)]

    def open_incidents(self) -> list[Incident]:
        """Incidents still open."""
        return [_incident(r) for r in self._incident_rows() if r["status"] == "open"]

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
        rows = [
            r
            for r in self._incident_rows()
            if r["severity"] >= min_severity
            and (not status or r["status"] == status)
            and (since is None or r["updated"] >= since)
            and (until is None or r["opened"] < until)
            and (not key or r["key"] == key)
        ]
        return [_incident(r) for r in order_by(rows, [("updated", True)])[:limit]]

    def incident(self, incident_id: int) -> Incident | None:
        """One incident by id."""
        row = self.tables.incidents.get(incident_id)
        return None if row is None else _incident(row)

    def _matching(self, query: IncidentQuery) -> list[Row]:
        return [
            r
            for r in self._incident_rows()
            if r["severity"] >= query.min_severity
            and (not query.status or r["status"] == query.status)
            and (not query.key or r["key"] == query.key)
        ]

    def incident_page(self, query: IncidentQuery) -> list[Incident]:
        """One page of incidents.

        Raises:
            ValueError: an unknown sort column.
        """
        if query.sort not in SORTS:
            raise ValueError(f"cannot sort incidents by {query.sort!r}")
        terms = parse_order(SORTS[query.sort].format(d="DESC" if query.descending else "ASC"))
        rows = order_by(self._matching(query), terms)
        return [_incident(r) for r in rows[query.offset : query.offset + query.limit]]

    def count_incidents(self, query: IncidentQuery) -> int:
        """How many incidents the query's filters match (all pages)."""
        return len(self._matching(query))

    def incidents_containing(self, text: str, limit: int = 100) -> list[Incident]:
        """Incidents whose stored data contains ``text`` (case-insensitive), newest first."""
        needle = text.lower()
        rows = [r for r in self._incident_rows() if needle in r["data"].lower()]
        return [_incident(r) for r in order_by(rows, [("updated", True)])[:limit]]


class DecisionMemory(MemoryConnection):
    """Decisions and acknowledgements (:class:`~kerio_watch.store.base.DecisionStore`)."""

    def add_decision(self, decision: Decision) -> int:
        """Record a decision; returns its id (also set on ``decision``)."""
        decision.id = next_id(self.tables.decisions)
        self.tables.decisions[decision.id] = {
            "incident_id": decision.incident_id, "data": dumps(decision.data()),
            "row": (decision.decision, decision.at, decision.by, decision.why, decision.notes),
            "undone_by": decision.undone_by,
        }  # fmt: skip
        return decision.id

    def mark_undone(self, decision_id: int, undo_id: int) -> None:
        """Note that the decision ``decision_id`` was undone by ``undo_id``."""
        if decision_id in self.tables.decisions:
            self.tables.decisions[decision_id]["undone_by"] = undo_id

    def decisions(self, incident_id: int | None = None, limit: int = 1000) -> list[Decision]:
        """Decisions about one incident (or all), oldest first."""
        ids = sorted(self.tables.decisions, reverse=True)
        out = []
        for i in ids:
            r = self.tables.decisions[i]
            if incident_id is not None and r["incident_id"] != incident_id:
                continue
            extra = json.loads(r["data"])
            kind, at, by, why, notes = r["row"]
            out.append(
                Decision(r["incident_id"], kind, at, by, why, notes, extra.get("taught"),
                         extra.get("undoes"), r["undone_by"], i)
            )  # fmt: skip
            if len(out) >= limit:
                break
        return out[::-1]

    def record_ack(self, incident_id: int, decision: str) -> None:
        """Queue an administrator's decision for running pipelines to apply."""
        self.tables.ack_seq += 1
        self.tables.acks[self.tables.ack_seq] = (incident_id, decision)

    def last_ack_seq(self) -> int:
        """The newest acknowledgement's sequence number (0 if none)."""
        return max(self.tables.acks, default=0)

    def acks_after(self, seq: int) -> list[tuple[int, int, str]]:
        """(seq, incident id, decision) of acknowledgements newer than ``seq``."""
        return [(s, i, d) for s, (i, d) in sorted(self.tables.acks.items()) if s > seq]
