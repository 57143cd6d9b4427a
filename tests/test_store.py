"""The SQLite state store: migrations, WAL, clear errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kerio_watch.errors import StoreError
from kerio_watch.store import migrations as mig
from kerio_watch.store import open_store


def test_new_database_is_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    """A new file gets every migration, WAL journaling, and reopening changes nothing."""
    store = open_store(tmp_path / "s.db")
    assert store.schema_version() == mig.MIGRATIONS[-1][0]
    store.close()
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert mig.apply_migrations(db) == []
    db.close()


def test_a_failing_migration_leaves_no_half_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration that fails half-way is rolled back whole, and retried next time."""
    db = sqlite3.connect(tmp_path / "m.db", isolation_level=None)

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half (x INTEGER)")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(mig, "MIGRATIONS", [*mig.MIGRATIONS, (99, "broken", broken)])
    with pytest.raises(RuntimeError):
        mig.apply_migrations(db)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "half" not in tables
    assert mig.schema_version(db) == mig.MIGRATIONS[-2][0]
    db.close()


def test_readonly_open_of_a_missing_database(tmp_path: Path) -> None:
    """Commands that only read say there is no state yet."""
    with pytest.raises(StoreError, match="no such database"):
        open_store(tmp_path / "absent.db", readonly=True)


def test_not_a_database(tmp_path: Path) -> None:
    """A file that is not SQLite is named, not a traceback."""
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open the state database"):
        open_store(path)


def test_acknowledgements_before_the_history_are_kept(tmp_path: Path) -> None:
    """Migration 6 copies the earlier acknowledgements into the decision history (what
    they taught is unknown: undoing one removes what teaching the incident would add)."""
    path = tmp_path / "old.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied TEXT)"
    )
    for version, name, migrate in mig.MIGRATIONS[:5]:
        migrate(db)
        db.execute("INSERT INTO schema_migrations VALUES (?, ?, datetime('now'))", (version, name))
    db.execute(
        "INSERT INTO acks (incident_id, decision, at) VALUES (3, 'benign', '2026-03-30 10:00:00')"
    )
    db.close()
    store = open_store(path)
    try:
        (decision,) = store.decisions(3)
    finally:
        store.close()
    assert decision.decision == "benign" and decision.taught is None
    assert decision.at == 1774864800.0
