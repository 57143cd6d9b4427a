"""The SQLite state store (the default backend).

WAL journal so the dashboard can read while ``follow`` writes; writes are batched in
the caller's transaction (:meth:`SQLiteStore.transaction`). No SQL leaves this module.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from kerio_watch.alerts.model import Alert
from kerio_watch.alerts.queue import Delivery
from kerio_watch.detect.profile import Profile
from kerio_watch.errors import StoreError, StoreMissing
from kerio_watch.incidents.engine import Incident
from kerio_watch.store.base import FileCheckpoint
from kerio_watch.store.decisions import DecisionTable
from kerio_watch.store.diagnose import (
    ensure_not_emptied,
    is_damage,
    is_readonly,
    once_held_data,
    unusable,
)
from kerio_watch.store.incident_list import IncidentListTable
from kerio_watch.store.migrations import apply_migrations, schema_version


def default_db_path() -> Path:
    """``$KERIO_WATCH_DB``, else ``$XDG_DATA_HOME/kerio-watch/state.db``."""
    env = os.environ.get("KERIO_WATCH_DB")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "kerio-watch" / "state.db"


def db_files(path: Path) -> tuple[Path, Path, Path]:
    """The database file, its write-ahead log and its shared-memory index (WAL mode)."""
    return path, Path(f"{path}-wal"), Path(f"{path}-shm")


def db_stat(path: Path) -> tuple[int, ...]:
    """(size, mtime in ns) of the database and of its write-ahead log, 0 when absent.
    Every commit, by any process, changes one of them."""
    out: list[int] = []
    for file in db_files(path)[:2]:
        try:
            st = file.stat()
        except OSError:
            out += [0, 0]
        else:
            out += [st.st_size, st.st_mtime_ns]
    return tuple(out)


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


class SQLiteStore(DecisionTable, IncidentListTable):
    """State in one SQLite file.

    Raises:
        StoreError: the file cannot be created, opened or is not a kerio-watch database.
    """

    def __init__(self, path: Path | str, readonly: bool = False) -> None:
        self.path = Path(path) if str(path) != ":memory:" else Path(":memory:")
        self.readonly = readonly
        try:
            grown = str(path) != ":memory:" and once_held_data(self.path)
            if str(path) != ":memory:" and not readonly:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            if readonly:
                if not self.path.exists():
                    raise StoreMissing(f"{self.path}: no such database (run a scan first)")
                uri = f"file:{self.path}?mode=ro"
                self.db = sqlite3.connect(uri, uri=True, timeout=10, isolation_level=None)
            else:
                self.db = sqlite3.connect(str(path), timeout=10, isolation_level=None)
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA busy_timeout=10000")
            if str(path) != ":memory:" and not readonly:
                ensure_not_emptied(self.db, self.path, grown)
            if not readonly:
                apply_migrations(self.db)
            else:
                schema_version(self.db)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise unusable(self.path, exc) from None
        self._in_tx = False

    # -- transactions ---------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one transaction (nested calls join the outer one)."""
        if self._in_tx:
            yield
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as exc:
            raise self._failed(exc) from None
        self._in_tx = True
        try:
            yield
        except BaseException:
            self._rollback()
            raise
        else:
            try:
                self.db.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                self._rollback()
                raise self._failed(exc) from None
        finally:
            self._in_tx = False

    def _failed(self, exc: sqlite3.Error) -> StoreError:
        """A failed write: damaged or unwritable (:func:`unusable`), else a plain error
        the caller may retry (locked, disk full)."""
        if is_damage(exc) or is_readonly(exc):
            return unusable(self.path, exc)
        return StoreError(f"{self.path}: cannot write: {exc}")

    def _rollback(self) -> None:
        """Undo the open transaction, if SQLite has not already (it does on I/O errors
        and a full disk); never hides the error that caused it."""
        if self.db.in_transaction:
            with suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")

    def _write(self, sql: str, params: Iterable[Any] = ()) -> None:
        try:
            self.db.execute(sql, tuple(params))
        except sqlite3.DatabaseError as exc:
            raise self._failed(exc) from None

    def _delete(self, sql: str, params: tuple[Any, ...]) -> int:
        try:
            return self.db.execute(sql, params).rowcount
        except sqlite3.DatabaseError as exc:
            raise self._failed(exc) from None

    def _write_many(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
        try:
            self.db.executemany(sql, rows)
        except sqlite3.DatabaseError as exc:
            raise self._failed(exc) from None

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    # -- metadata -----------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        """A metadata value."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Set a metadata value."""
        self._write("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def schema_version(self) -> int:
        """The applied schema version."""
        return schema_version(self.db)

    # -- profiles -----------------------------------------------------------------------
    def load_profile(self, account: str) -> Profile | None:
        """One account's profile."""
        row = self.db.execute("SELECT data FROM profiles WHERE account = ?", (account,)).fetchone()
        return None if row is None else Profile.from_dict(json.loads(row[0]))

    def save_profiles(self, profiles: Iterable[Profile]) -> None:
        """Insert or replace profiles."""
        self._write_many(
            "INSERT OR REPLACE INTO profiles VALUES (?, ?, ?)",
            ((p.account, _dumps(p.to_dict()), p.last_ts) for p in profiles),
        )

    def accounts(self) -> list[str]:
        """Every account with a profile."""
        return [r[0] for r in self.db.execute("SELECT account FROM profiles ORDER BY account")]

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
                    _dumps(i.to_dict()),
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
        sql = "SELECT data FROM incidents WHERE severity >= ?"
        params: list[Any] = [min_severity]
        if status:
            sql += " AND status = ?"
            params.append(status)
        if since is not None:
            sql += " AND updated >= ?"
            params.append(since)
        if until is not None:
            sql += " AND opened < ?"
            params.append(until)
        if key:
            sql += " AND key = ?"
            params.append(key)
        sql += " ORDER BY updated DESC LIMIT ?"
        params.append(limit)
        return [Incident.from_dict(json.loads(r[0])) for r in self.db.execute(sql, params)]

    def incident(self, incident_id: int) -> Incident | None:
        """One incident by id."""
        row = self.db.execute("SELECT data FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        return None if row is None else Incident.from_dict(json.loads(row[0]))

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
                    _dumps(a.to_dict()),
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

    # -- watermarks ---------------------------------------------------------------------
    def watermarks(self) -> dict[str, tuple[int, int]]:
        """log -> (last processed UTC second, lines processed at that second)."""
        return {
            r[0]: (r[1], r[2]) for r in self.db.execute("SELECT log, ts, count FROM watermarks")
        }

    def save_watermarks(self, marks: dict[str, tuple[int, int]]) -> None:
        """Store watermarks."""
        self._write_many(
            "INSERT OR REPLACE INTO watermarks VALUES (?, ?, ?)",
            ((log, ts, n) for log, (ts, n) in marks.items()),
        )

    # -- activity -----------------------------------------------------------------------
    def add_activity(self, rows: dict[tuple[int, str, str, str], int]) -> None:
        """Add hourly counts: (hour, account, kind, key) -> count."""
        self._write_many(
            "INSERT INTO activity VALUES (?, ?, ?, ?, ?) ON CONFLICT (hour, account, kind, key) "
            "DO UPDATE SET count = count + excluded.count",
            ((h, a, k, key, n) for (h, a, k, key), n in rows.items()),
        )

    def prune_activity(self, before: int) -> int:
        """Delete the activity of hours that ended by log time ``before``; returns how many
        rows."""
        return self._delete("DELETE FROM activity WHERE hour < ?", (before // 3600,))

    def activity(
        self,
        since: int | None = None,
        until: int | None = None,
        account: str | None = None,
        kinds: Iterable[str] | None = None,
    ) -> list[tuple[int, str, str, str, int]]:
        """(hour_ts, account, kind, key, count) rows, oldest first."""
        sql = "SELECT hour, account, kind, key, count FROM activity WHERE 1 = 1"
        params: list[Any] = []
        if since is not None:
            sql += " AND hour >= ?"
            params.append(since // 3600)
        if until is not None:
            sql += " AND hour < ?"
            params.append((until + 3599) // 3600)
        if account is not None:
            sql += " AND account = ?"
            params.append(account)
        if kinds is not None:
            kinds = list(kinds)
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            params.extend(kinds)
        sql += " ORDER BY hour"
        return [(h * 3600, a, k, key, n) for h, a, k, key, n in self.db.execute(sql, params)]

    def activity_span(self) -> tuple[int, int] | None:
        """(first, last) hour start with any activity, or None when there is none."""
        row = self.db.execute("SELECT min(hour), max(hour) FROM activity").fetchone()
        if row is None or row[0] is None:
            return None
        return int(row[0]) * 3600, int(row[1]) * 3600

    def _kinds_clause(self, kinds: Iterable[str], params: list[Any]) -> str:
        names = list(kinds)
        params.extend(names)
        return f"kind IN ({','.join('?' * len(names))})"

    def _sums(
        self, by: str, since: int, until: int, kinds: Iterable[str]
    ) -> list[tuple[Any, str, int]]:
        """(``by`` column, kind, count summed over the rest) over ``[since, until)``."""
        params: list[Any] = [since // 3600, (until + 3599) // 3600]
        sql = (
            f"SELECT {by}, kind, sum(count) FROM activity WHERE hour >= ? AND hour < ? AND "
            + self._kinds_clause(kinds, params)
            + f" GROUP BY {by}, kind ORDER BY {by}"
        )
        return [(v, k, int(n)) for v, k, n in self.db.execute(sql, params)]

    def hourly_totals(
        self, since: int, until: int, kinds: Iterable[str]
    ) -> list[tuple[int, str, int]]:
        """(hour_ts, kind, count summed over accounts and keys), oldest first."""
        return [(h * 3600, k, n) for h, k, n in self._sums("hour", since, until, kinds)]

    def account_totals(
        self, since: int, until: int, kinds: Iterable[str]
    ) -> list[tuple[str, str, int]]:
        """(account, kind, count summed over hours and keys), by account."""
        return [(str(a), k, n) for a, k, n in self._sums("account", since, until, kinds)]

    def activity_containing(
        self, text: str, kinds: Iterable[str], limit: int = 500
    ) -> list[tuple[int, str, str, str, int]]:
        """Activity rows whose key contains ``text`` (case-insensitive), newest first."""
        params: list[Any] = [text.lower()]
        sql = (
            "SELECT hour, account, kind, key, count FROM activity "
            "WHERE instr(lower(key), ?) > 0 AND "
            + self._kinds_clause(kinds, params)
            + " ORDER BY hour DESC LIMIT ?"
        )
        params.append(limit)
        return [(h * 3600, a, k, key, n) for h, a, k, key, n in self.db.execute(sql, params)]

    def incidents_containing(self, text: str, limit: int = 100) -> list[Incident]:
        """Incidents whose stored data (evidence, facts, IPs) contains ``text``, newest first."""
        rows = self.db.execute(
            "SELECT data FROM incidents WHERE instr(lower(data), ?) > 0 "
            "ORDER BY updated DESC LIMIT ?",
            (text.lower(), limit),
        )
        return [Incident.from_dict(json.loads(r[0])) for r in rows]

    # -- IP state -----------------------------------------------------------------------
    def load_ip_state(self, since: int) -> dict[str, dict[str, Any]]:
        """IP -> state saved by detectors, updated at or after ``since``."""
        rows = self.db.execute("SELECT ip, data FROM ip_state WHERE updated >= ?", (since,))
        return {ip: json.loads(data) for ip, data in rows}

    def save_ip_state(self, states: dict[str, dict[str, Any]]) -> None:
        """Save IP state (each dict needs an ``updated`` key)."""
        self._write_many(
            "INSERT OR REPLACE INTO ip_state VALUES (?, ?, ?)",
            ((ip, _dumps(s), int(s.get("updated", 0))) for ip, s in states.items()),
        )

    def prune_ip_state(self, before: int) -> int:
        """Delete the state of addresses last seen before log time ``before``."""
        return self._delete("DELETE FROM ip_state WHERE updated < ?", (before,))

    # -- detector state -----------------------------------------------------------------
    def load_detector_state(self, name: str) -> dict[str, Any] | None:
        """The state a detector (or tracker) saved under ``name``, None if none."""
        row = self.db.execute("SELECT data FROM detector_state WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        try:
            data = json.loads(row[0])
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def save_detector_state(self, name: str, data: dict[str, Any]) -> None:
        """Save a detector's state (JSON-serialisable; ``now``: its log time)."""
        self._write(
            "INSERT OR REPLACE INTO detector_state VALUES (?, ?, ?)",
            (name, _dumps(data), int(data.get("now", 0) or 0)),
        )

    # -- follow checkpoints -------------------------------------------------------------
    def follow_checkpoints(self) -> list[FileCheckpoint]:
        """Every file position ``follow`` recorded."""
        rows = self.db.execute(
            "SELECT dev, ino, first_hash, path, log, offset, lineno, size, compressed, gone, "
            "updated, first_ts FROM follow_files"
        )
        return [
            FileCheckpoint(d, i, h, p, log, o, n, s, bool(c), bool(g), u, t)
            for d, i, h, p, log, o, n, s, c, g, u, t in rows
        ]

    def replace_follow_checkpoints(self, checkpoints: Iterable[FileCheckpoint]) -> None:
        """Replace the recorded file positions (call inside :meth:`transaction`)."""
        self._write("DELETE FROM follow_files")
        self._write_many(
            "INSERT OR REPLACE INTO follow_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    c.dev,
                    c.ino,
                    c.first_hash,
                    c.path,
                    c.log,
                    c.offset,
                    c.lineno,
                    c.size,
                    int(c.compressed),
                    int(c.gone),
                    c.updated,
                    c.first_ts,
                )
                for c in checkpoints
            ),
        )

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
            _dumps(d.data),
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
        sql = f"SELECT {self._DELIVERY_COLUMNS} FROM deliveries WHERE 1 = 1"
        params: list[Any] = []
        if sink is not None:
            sql += " AND sink = ?"
            params.append(sink)
        if isinstance(status, str):
            sql += " AND status = ?"
            params.append(status)
        elif status is not None:
            statuses = list(status)
            sql += f" AND status IN ({','.join('?' * len(statuses))})"
            params.extend(statuses)
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        if incident_id is not None:
            sql += " AND incident_id = ?"
            params.append(incident_id)
        if due_before is not None:
            sql += " AND due <= ?"
            params.append(due_before)
        if sent_since is not None:
            sql += " AND sent_at >= ?"
            params.append(sent_since)
        sql += f" ORDER BY {self._DELIVERY_ORDER[order]} LIMIT ?"
        params.append(limit)
        return [self._to_delivery(r) for r in self.db.execute(sql, params)]

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
