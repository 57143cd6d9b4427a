"""The ``decisions`` and ``acks`` tables: the decision history, and the administrators'
decisions queued for running pipelines."""

from __future__ import annotations

import json
import sqlite3

from kerio_watch.errors import StoreError
from kerio_watch.store.sqlite.connection import SQLiteConnection
from kerio_watch.store.sqlite.where import Where
from kerio_watch.values.decision import Decision


class DecisionTable(SQLiteConnection):
    """Decisions and acknowledgements (:class:`~kerio_watch.store.base.DecisionStore`)."""

    def add_decision(self, decision: Decision) -> int:
        """Record a decision; returns its id (also set on ``decision``)."""
        try:
            cur = self.db.execute(
                "INSERT INTO decisions (incident_id, decision, at, by, why, notes, data, "
                "undone_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    decision.incident_id,
                    decision.decision,
                    decision.at,
                    decision.by,
                    decision.why,
                    decision.notes,
                    json.dumps(decision.data(), separators=(",", ":"), ensure_ascii=False),
                    decision.undone_by,
                ),
            )
        except sqlite3.OperationalError as exc:
            raise StoreError(f"{self.path}: cannot write: {exc}") from None
        decision.id = int(cur.lastrowid or 0)
        return decision.id

    def mark_undone(self, decision_id: int, undo_id: int) -> None:
        """Note that the decision ``decision_id`` was undone by ``undo_id``."""
        self._write("UPDATE decisions SET undone_by = ? WHERE id = ?", (undo_id, decision_id))

    def decisions(self, incident_id: int | None = None, limit: int = 1000) -> list[Decision]:
        """Decisions about one incident (or all), oldest first."""
        where = Where().add("incident_id = ?", incident_id)
        sql = (
            "SELECT id, incident_id, decision, at, by, why, notes, data, undone_by "
            f"FROM decisions{where.sql} ORDER BY id DESC LIMIT ?"
        )
        out = []
        for i, inc, kind, at, by, why, notes, data, undone in self.db.execute(
            sql, [*where.params, limit]
        ):
            extra = json.loads(data)
            taught, undoes = extra.get("taught"), extra.get("undoes")
            out.append(Decision(inc, kind, at, by, why, notes, taught, undoes, undone, i))
        return out[::-1]

    # -- acknowledgements -------------------------------------------------------------
    def record_ack(self, incident_id: int, decision: str) -> None:
        """Queue an administrator's decision for running pipelines to apply."""
        self._write(
            "INSERT INTO acks (incident_id, decision, at) VALUES (?, ?, datetime('now'))",
            (incident_id, decision),
        )

    def last_ack_seq(self) -> int:
        """The newest acknowledgement's sequence number (0 if none)."""
        row = self.db.execute("SELECT max(seq) FROM acks").fetchone()
        return int(row[0] or 0)

    def acks_after(self, seq: int) -> list[tuple[int, int, str]]:
        """(seq, incident id, decision) of acknowledgements newer than ``seq``."""
        rows = self.db.execute(
            "SELECT seq, incident_id, decision FROM acks WHERE seq > ? ORDER BY seq", (seq,)
        )
        return [(int(a), int(b), str(c)) for a, b, c in rows]
