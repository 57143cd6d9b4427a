"""The containment journal and the queue per sender, in the SQLite state database (this
backend only: the dashboard, ``status`` and ``release`` read it over the same connection).

Every containment action is one row of ``response_actions``: what (the action and its
target), when (wall-clock times), why (the incident, its severity and reason), the exact
API calls with their answers, what a release needs, and its status:

- ``pending``: the intent is recorded and the write call may be under way. A row left
  pending by a crash is reconciled on the next start (the API is asked whether the
  action took effect), so an action is neither repeated nor lost.
- ``done``, ``failed`` (the API refused), ``dry_run`` (the calls were only printed),
  ``skipped`` (the allowlist, the hourly cap, nothing to act on);
- ``releasing`` -> ``released`` or ``release_failed``; ``kept`` for what cannot be
  undone (removed queue messages).

Status changes are compare-and-set (:meth:`ResponseStore.claim`), so a follower's
automatic release and ``kerio-watch release`` never both release one action.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from kerio_watch.errors import StoreError
from kerio_watch.store.base import Store
from kerio_watch.store.sqlite.where import Where

OPEN = ("pending", "done", "unknown", "releasing", "release_failed")
"""Statuses of actions that may still need work."""
COUNTED = ("pending", "done", "unknown", "failed", "dry_run", "releasing", "released",
           "release_failed", "kept")  # fmt: skip
"""Statuses that count against the hourly cap (everything but ``skipped``)."""


@dataclass
class ActionRecord:
    """One containment action."""

    incident_id: int
    account: str | None
    action: str
    target: str
    severity: str
    reason: str
    dry_run: bool
    status: str
    created: float
    updated: float
    expires: float | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)
    undo: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    released_by: str | None = None
    release_reason: str | None = None
    id: int = 0

    def to_dict(self, iso: Callable[[int], str] | None = None) -> dict[str, Any]:
        """JSON-ready; with ``iso``, its wall-clock times (and its calls') as ISO 8601 text."""
        data = asdict(self)
        if iso is None:
            return data
        for key in ("created", "updated", "expires"):
            if data[key] is not None:
                data[key] = iso(int(data[key]))
        for call in data["calls"]:
            if isinstance(call.get("at"), int | float):
                call["at"] = iso(int(call["at"]))
        return data


_COLUMNS = (
    "incident_id, account, action, target, severity, reason, dry_run, status, created, "
    "updated, expires, calls, undo, error, released_by, release_reason"
)


def _row(r: ActionRecord) -> tuple[Any, ...]:
    return (
        r.incident_id, r.account, r.action, r.target, r.severity, r.reason, int(r.dry_run),
        r.status, r.created, r.updated, r.expires, json.dumps(r.calls, ensure_ascii=False),
        json.dumps(r.undo, ensure_ascii=False), r.error, r.released_by, r.release_reason,
    )  # fmt: skip


def _record(row: tuple[Any, ...]) -> ActionRecord:
    (i, inc, account, action, target, severity, reason, dry, status, created, updated,
     expires, calls, undo, error, by, why) = row  # fmt: skip
    return ActionRecord(
        inc, account, action, target, severity, reason, bool(dry), status, created, updated,
        expires, json.loads(calls), json.loads(undo), error, by, why, i,
    )  # fmt: skip


class ResponseStore:
    """The journal over a SQLite state store (the dashboard opens it read-only)."""

    def __init__(self, store: Store) -> None:
        db = getattr(store, "db", None)
        if not isinstance(db, sqlite3.Connection):
            raise StoreError(f"{store.path}: containment needs the SQLite state database")
        self.store = store
        self.db = db
        self.ready = (
            db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'response_actions'"
            ).fetchone()
            is not None
        )
        """False on a database from before containment existed, opened read-only."""

    def _exec(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        try:
            return self.db.execute(sql, tuple(params))
        except sqlite3.OperationalError as exc:
            raise StoreError(f"{self.store.path}: cannot write: {exc}") from None

    # -- actions ------------------------------------------------------------------------
    def add(self, record: ActionRecord) -> int:
        """Record an action (committed at once); returns its id."""
        with self.store.transaction():
            cur = self._exec(
                f"INSERT INTO response_actions ({_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _row(record),
            )
        record.id = int(cur.lastrowid or 0)
        return record.id

    def add_unless_taken(self, record: ActionRecord) -> ActionRecord | None:
        """Record an action unless its incident already has one for the same action and
        target (a dry run's does not count for a real one): check and insert in one
        write transaction, so a follower and a dashboard click (two processes) deciding
        at the same instant take it once. None when recorded (``record.id`` is set), else
        the action already there."""
        with self.store.transaction():
            row = self.db.execute(
                f"SELECT id, {_COLUMNS} FROM response_actions WHERE incident_id = ? AND "
                "action = ? AND target = ? AND (dry_run = 0 OR ?) ORDER BY id LIMIT 1",
                (record.incident_id, record.action, record.target, int(record.dry_run)),
            ).fetchone()
            if row is not None:
                return _record(row)
            self.add(record)
        return None

    def save(self, record: ActionRecord) -> None:
        """Write back every field of an action (committed at once)."""
        with self.store.transaction():
            self._exec(
                "UPDATE response_actions SET incident_id = ?, account = ?, action = ?, "
                "target = ?, severity = ?, reason = ?, dry_run = ?, status = ?, created = ?, "
                "updated = ?, expires = ?, calls = ?, undo = ?, error = ?, released_by = ?, "
                "release_reason = ? WHERE id = ?",
                (*_row(record), record.id),
            )

    def claim(self, record: ActionRecord, expected: Iterable[str], status: str, now: float) -> bool:
        """Move an action to ``status`` if it is still in one of ``expected`` (atomic)."""
        wanted = list(expected)
        with self.store.transaction():
            cur = self._exec(
                "UPDATE response_actions SET status = ?, updated = ? WHERE id = ? AND status IN "
                f"({','.join('?' * len(wanted))})",
                (status, now, record.id, *wanted),
            )
        if cur.rowcount != 1:
            return False
        record.status, record.updated = status, now
        return True

    def get(self, action_id: int) -> ActionRecord | None:
        """One action."""
        row = self.db.execute(
            f"SELECT id, {_COLUMNS} FROM response_actions WHERE id = ?", (action_id,)
        ).fetchone()
        return None if row is None else _record(row)

    def actions(
        self,
        incident_id: int | None = None,
        statuses: Iterable[str] | None = None,
        limit: int = 1000,
    ) -> list[ActionRecord]:
        """Actions, oldest first."""
        if not self.ready:
            return []
        where = Where().add("incident_id = ?", incident_id).one_of("status", statuses)
        sql = f"SELECT id, {_COLUMNS} FROM response_actions{where.sql} ORDER BY id LIMIT ?"
        return [_record(r) for r in self.db.execute(sql, [*where.params, limit])]

    def contained_since(self, since: float) -> set[int]:
        """Incidents with a counted action created at or after ``since`` (the hourly cap)."""
        if not self.ready:
            return set()
        rows = self.db.execute(
            "SELECT DISTINCT incident_id FROM response_actions WHERE created >= ? AND status IN "
            f"({','.join('?' * len(COUNTED))})",
            (since, *COUNTED),
        )
        return {int(r[0]) for r in rows}

    def due_for_release(self, now: float) -> list[ActionRecord]:
        """Done (or failed to release) actions whose expiry has passed."""
        rows = self.db.execute(
            f"SELECT id, {_COLUMNS} FROM response_actions WHERE status IN "
            "('done', 'release_failed') AND expires IS NOT NULL AND expires <= ? ORDER BY id",
            (now,),
        )
        return [_record(r) for r in rows]

    # -- the queue ----------------------------------------------------------------------
    def replace_queue(self, senders: Iterable[dict[str, Any]], polled: int) -> None:
        """The latest poll's senders replace the previous ones (caller's transaction)."""
        self._exec("DELETE FROM queue_senders")
        for s in senders:
            self._exec(
                "INSERT OR REPLACE INTO queue_senders VALUES (?, ?, ?, ?, ?, ?, ?)",
                (s["account"], polled, s["queued"], s["deferred"], s["domains"],
                 s["oldest_age"], json.dumps(s["ips"])),
            )  # fmt: skip

    def queue_senders(self, account: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """The latest poll's senders, most messages first (or one account's row)."""
        if not self.ready:
            return []
        where = Where().add("account = ?", None if account is None else account.lower())
        sql = (
            "SELECT account, polled, queued, deferred, domains, oldest_age, ips "
            f"FROM queue_senders{where.sql} ORDER BY queued DESC, account LIMIT ?"
        )
        params = [*where.params, limit]
        keys = ("account", "polled", "queued", "deferred", "domains", "oldest_age", "ips")
        out = []
        for row in self.db.execute(sql, params):
            item = dict(zip(keys, row, strict=True))
            item["ips"] = json.loads(item["ips"])
            out.append(item)
        return out
