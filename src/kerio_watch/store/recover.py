"""Checking a state database, and what can be saved from a damaged one.

:func:`check` is ``kerio-watch db check``: SQLite's integrity check plus kerio-watch's
own consistency (every alert belongs to an incident of its own account). :func:`salvage`
reads what a damaged file still holds, table by table and row range by row range, each
read on its own so one bad page costs only its rows. :func:`set_aside` moves the damaged
files out of the way, kept for inspection. ``kerio-watch db recover`` (``cli/db.py``)
puts them together with the journal (:mod:`kerio_watch.store.journal`).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kerio_watch.store.journal import Journal, fingerprint
from kerio_watch.store.migrations import MIGRATIONS
from kerio_watch.store.sqlite.connection import readonly_uri

CHUNK = 500
"""Rows read at a time when salvaging."""
UNSENT = frozenset(("pending", "sending", "collected"))
"""Delivery states of an alert the sink has not had yet."""


@dataclass
class CheckResult:
    """What ``kerio-watch db check`` found."""

    path: Path
    problems: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    newer: bool = False
    """Written by a newer kerio-watch: not damaged, but not this version's to use."""

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(readonly_uri(path), uri=True, timeout=10, isolation_level=None)


def check(path: Path) -> CheckResult:
    """Check a state database without changing it (never waits for a writer)."""
    result = CheckResult(path)
    if not path.exists():
        result.problems.append(f"{path}: no such file")
        return result
    result.facts["bytes"] = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    try:
        db = _connect(path)
        try:
            _check_sqlite(db, result)
            if result.ok:
                _check_tables(db, result)
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        result.problems.append(f"SQLite cannot read it: {exc}")
    journal = Journal(path)
    result.facts["journal"] = str(journal.path) if journal.path.exists() else None
    return result


def _check_sqlite(db: sqlite3.Connection, result: CheckResult) -> None:
    rows = [
        line for r in db.execute("PRAGMA integrity_check(20)") for line in str(r[0]).split("\n")
    ]
    if rows != ["ok"]:
        shown = [r for r in rows if r.strip() and not r.startswith("***")][:10]
        result.problems.extend(f"integrity check: {r}" for r in shown)
        if len(rows) > len(shown) + 1:
            result.problems.append(f"integrity check: ... ({len(rows)} lines in all)")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "schema_migrations" not in tables:
        if Journal(result.path).held_data():
            result.problems.append(
                "it holds no tables, but its journal shows it held data (truncated, "
                "deleted, or its write-ahead log lost)"
            )
        else:
            result.problems.append("not a kerio-watch database (no schema_migrations table)")
        return
    version = int(db.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] or 0)
    result.facts["schema_version"] = version
    if version > MIGRATIONS[-1][0]:
        result.newer = True
        result.problems.append(
            f"written by a newer kerio-watch (schema {version}, this version knows up to "
            f"{MIGRATIONS[-1][0]})"
        )


def _check_tables(db: sqlite3.Connection, result: CheckResult) -> None:
    for table in ("profiles", "incidents", "alerts", "deliveries", "activity"):
        result.facts[table] = int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    orphans = db.execute(
        "SELECT count(*) FROM alerts a LEFT JOIN incidents i ON i.id = a.incident_id "
        "WHERE i.id IS NULL"
    ).fetchone()[0]
    if orphans:
        result.problems.append(f"{orphans} alerts belong to no incident")
    mixed = db.execute(
        "SELECT count(*) FROM alerts a JOIN incidents i ON i.id = a.incident_id "
        "WHERE coalesce(a.user, '') != coalesce(i.user, '')"
    ).fetchone()[0]
    if mixed:
        result.problems.append(
            f"{mixed} alerts point at another account's incident (two writers at once, "
            "before kerio-watch refused that)"
        )


@dataclass
class Salvage:
    """What a damaged database and the journal say about the past."""

    alerts: set[str] = field(default_factory=set)
    """Fingerprints of alerts recorded before the damage."""
    unsent: set[str] = field(default_factory=set)
    """Fingerprints of alerts whose every delivery was still waiting."""
    decisions: dict[tuple[str, int], str] = field(default_factory=dict)
    """(incident key, opened) -> benign or resolved."""
    decided_upto: dict[tuple[str, int], int] = field(default_factory=dict)
    """(incident key, opened) -> the log time of the incident's last signal when it was
    decided (or, from an older journal, how far processing had got): a rebuilt incident
    with later signals took in activity that came after the decision."""
    upto: int | None = None
    """The newest log time (UTC) processed before the damage."""
    paths: list[str] = field(default_factory=list)
    """The log paths the last run read."""
    read: dict[str, int] = field(default_factory=dict)
    """Rows salvaged per table; -1: unreadable."""

    @property
    def had(self) -> set[str]:
        """Alerts the sinks already had (or never were to have): not to be sent again."""
        return self.alerts - self.unsent

    def note_upto(self, ts: int | None) -> None:
        """Processing got at least this far."""
        if ts is not None and (self.upto is None or ts > self.upto):
            self.upto = ts


def salvage(path: Path) -> Salvage:
    """Everything readable in a (damaged) database and its journal."""
    found = Salvage()
    if path.exists():
        try:
            db = _connect(path)
        except sqlite3.DatabaseError:
            db = None
        if db is not None:
            try:
                _salvage_db(db, found)
            finally:
                db.close()
    _salvage_journal(Journal(path), found)
    return found


def _salvage_db(db: sqlite3.Connection, found: Salvage) -> None:
    ids: dict[str, str] = {}
    for aid, user, rule, ts in _rows(db, "alerts", "id, user, rule, ts", found):
        fp = fingerprint(user, str(rule), int(ts))
        found.alerts.add(fp)
        ids[str(aid)] = fp
    states: dict[str, set[str]] = {}
    for aid, status in _rows(db, "deliveries", "alert_id, status", found):
        if aid is not None and str(aid) in ids:
            states.setdefault(ids[str(aid)], set()).add(str(status))
    found.unsent = {fp for fp, seen in states.items() if seen <= UNSENT}
    incidents = {}
    columns = "id, key, opened, updated, status"
    for iid, key, opened, updated, status in _rows(db, "incidents", columns, found):
        incidents[int(iid)] = (str(key), int(opened))
        if status in ("benign", "resolved"):
            found.decisions[(str(key), int(opened))] = str(status)
            found.decided_upto[(str(key), int(opened))] = int(updated)
    for ts, _count in _rows(db, "watermarks", "ts, count", found):
        found.note_upto(int(ts))
    for (value,) in _rows(db, "meta", "value", found, where="key = 'follow.paths'"):
        found.paths = [str(p) for p in _json_list(value)]


def _rows(
    db: sqlite3.Connection, table: str, columns: str, found: Salvage, where: str = "1 = 1"
) -> Iterator[tuple[Any, ...]]:
    """Rows of ``table`` in rowid ranges; a range that cannot be read is skipped."""
    try:
        top = int(db.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0)
    except sqlite3.DatabaseError:
        found.read[table] = -1
        return
    count = 0
    for start in range(0, top + 1, CHUNK):
        try:
            rows = db.execute(
                f"SELECT {columns} FROM {table} WHERE rowid >= ? AND rowid < ? AND {where}",
                (start, start + CHUNK),
            ).fetchall()
        except sqlite3.DatabaseError:
            continue
        count += len(rows)
        yield from rows
    found.read[table] = count


def _json_list(value: object) -> list[object]:
    try:
        data = json.loads(str(value))
    except ValueError:
        return []
    return data if isinstance(data, list) else []


def _salvage_journal(journal: Journal, found: Salvage) -> None:
    upto: int | None = None  # how far processing had got at this point of the journal
    for record in journal.read():
        kind = record.get("t")
        if kind in ("alert", "mark"):
            if kind == "alert" and isinstance(record.get("fp"), str):
                found.alerts.add(record["fp"])
            ts = _int(record.get("upto"))
            found.note_upto(ts)
            upto = ts if ts is not None and (upto is None or ts > upto) else upto
        elif kind == "ack" and isinstance(record.get("key"), str):
            opened = _int(record.get("opened"))
            if opened is not None:
                key = (record["key"], opened)
                found.decisions[key] = str(record.get("decision"))
                last = _int(record.get("updated"))
                if last is None:
                    last = found.decided_upto.get(key, upto)
                if last is None:
                    found.decided_upto.pop(key, None)
                else:
                    found.decided_upto[key] = last
        elif kind == "run" and isinstance(record.get("paths"), list):
            found.paths = [str(p) for p in record["paths"]]


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def set_aside(path: Path, now: dt.datetime | None = None) -> list[Path]:
    """Rename the database and its WAL files to ``<name>.damaged-<time>``; the new names."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%d-%H%M%S")
    moved = []
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{path}{suffix}")
        if source.exists():
            target = path.with_name(f"{path.name}.damaged-{stamp}{suffix}")
            source.rename(target)
            moved.append(target)
    return moved
