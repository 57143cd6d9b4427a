"""The SQLite state store: migrations, WAL, clear errors."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import Result

from kerio_watch.errors import StoreError
from kerio_watch.store import migrations as mig
from kerio_watch.store import open_store
from kerio_watch.store.sqlite.responses import ResponseStore
from kerio_watch.values.addresses import address_key


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


def test_follow_positions_of_schema_8_are_kept_unchecked(tmp_path: Path) -> None:
    """Migration 9 adds whether a followed file's lines are checked against its log's
    files (a copy with other line ends): positions saved before are kept, unchecked
    (nothing saved said which file was a copy), and the mark is saved from then on."""
    path = tmp_path / "v8.db"
    db = _old_database(path, 8)
    db.execute(
        "INSERT INTO follow_files VALUES (1, 2, 'h', '/var/log/mail.log', 'mail', 100, 5, 200,"
        " 0, 0, 1774864800, 7)"
    )
    db.close()
    old = open_store(path, readonly=True)  # status on it before the upgrade's first start
    try:
        (before,) = old.follow_checkpoints()
    finally:
        old.close()
    assert (before.offset, before.checked) == (100, False)
    store = open_store(path)
    try:
        (saved,) = store.follow_checkpoints()
        assert (saved.path, saved.offset, saved.first_ts, saved.checked) == (
            "/var/log/mail.log", 100, 7, False,
        )  # fmt: skip
        store.replace_follow_checkpoints([replace(saved, checked=True)])
        assert store.follow_checkpoints() == [replace(saved, checked=True)]
    finally:
        store.close()


def test_readonly_open_of_a_missing_database(tmp_path: Path) -> None:
    """Commands that only read say there is no state yet."""
    with pytest.raises(StoreError, match="no such database"):
        open_store(tmp_path / "absent.db", readonly=True)


def test_not_a_database(tmp_path: Path) -> None:
    """A file that is not SQLite is named, not a traceback."""
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="the state database is damaged"):
        open_store(path)


def _old_database(path: Path, upto: int) -> sqlite3.Connection:
    """A database as an earlier version made it: migrations 1 to ``upto`` applied."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied TEXT)"
    )
    for version, name, migrate in mig.MIGRATIONS[:upto]:
        migrate(db)
        db.execute("INSERT INTO schema_migrations VALUES (?, ?, datetime('now'))", (version, name))
    return db


def test_migrations_are_numbered_in_order_and_the_shipped_ones_keep_their_number() -> None:
    """Versions run 1, 2, 3... with no gap; 6 is the containment journal (databases made
    by the release that added it exist) and 7 the decision history."""
    versions = [v for v, _, _ in mig.MIGRATIONS]
    assert versions == list(range(1, len(versions) + 1))
    names = {v: name for v, name, _ in mig.MIGRATIONS}
    assert names[6] == "responses"
    assert names[7] == "decisions"
    assert names[8] == "address_books"
    assert names[9] == "follow_checked"


def test_saved_addresses_are_kept_by_key_from_schema_8(tmp_path: Path) -> None:
    """Migration 8 turns a profile's saved correspondents and recipients (address ->
    last seen) into the books' ``[key, last seen]`` pairs; what the profile knows is
    unchanged, the rest of its data too, and no address is left in clear."""
    path = tmp_path / "v7.db"
    db = _old_database(path, 7)
    data = {
        "account": "a@example.com",
        "messages": 3,
        "correspondents": {"boss@partner.example": 1774864800, "ü@beispiel.de": 1774864900},
        "recipients": {"client@buyer.example": 1774865000},
        "hosts": {"192.0.2.7": [3, 1774864800, 1774865000]},
    }
    db.execute(
        "INSERT INTO profiles VALUES (?, ?, ?)",
        ("a@example.com", json.dumps(data), 1774865000),
    )
    db.close()
    store = open_store(path)
    try:
        assert store.schema_version() == mig.MIGRATIONS[-1][0]
        prof = store.load_profile("a@example.com")
    finally:
        store.close()
    assert prof is not None and prof.messages == 3
    assert prof.hosts == {"192.0.2.7": [3, 1774864800, 1774865000]}
    assert "boss@partner.example" in prof.correspondents and "ü@beispiel.de" in prof.correspondents
    assert "client@buyer.example" in prof.recipients
    assert "client@buyer.example" not in prof.correspondents
    saved = sqlite3.connect(path).execute("SELECT data FROM profiles").fetchone()[0]
    assert "boss@partner" not in saved and "client@buyer" not in saved
    assert json.loads(saved)["recipients"] == [[address_key("client@buyer.example"), 1774865000]]


def test_a_database_with_the_containment_journal_gets_the_decision_history(
    tmp_path: Path,
) -> None:
    """A database at migration 6 (made by the version with containment through Kerio's
    API) gets migration 7 alone: its journal and acknowledgements are kept."""
    path = tmp_path / "v6.db"
    db = _old_database(path, 6)
    db.execute(
        "INSERT INTO acks (incident_id, decision, at) VALUES (3, 'resolved', '2026-03-30 10:00:00')"
    )
    db.execute(
        "INSERT INTO response_actions (incident_id, account, action, target, severity, reason,"
        " dry_run, status, created, updated, calls, undo) VALUES (3, 'a@example.com',"
        " 'stop_sending', 'a@example.com', 'high', 'hijack', 0, 'done', 1774864800,"
        " 1774864800, '[]', '{}')"
    )
    assert mig.schema_version(db) == 6
    db.close()
    store = open_store(path)
    try:
        assert store.schema_version() == mig.MIGRATIONS[-1][0]
        (decision,) = store.decisions(3)
        (action,) = ResponseStore(store).actions(incident_id=3)
    finally:
        store.close()
    assert decision.decision == "resolved" and decision.taught is None
    assert (action.action, action.status, action.created) == ("stop_sending", "done", 1774864800)
    db = sqlite3.connect(path)
    applied = db.execute("SELECT version, name FROM schema_migrations ORDER BY version")
    assert [tuple(r) for r in applied][5:7] == [(6, "responses"), (7, "decisions")]
    db.close()


def test_acknowledgements_before_the_history_are_kept(tmp_path: Path) -> None:
    """Migration 7 copies the earlier acknowledgements into the decision history (what
    they taught is unknown: undoing one removes what teaching the incident would add);
    a database from before both gets 6 and then 7."""
    path = tmp_path / "old.db"
    db = _old_database(path, 5)
    db.execute(
        "INSERT INTO acks (incident_id, decision, at) VALUES (3, 'benign', '2026-03-30 10:00:00')"
    )
    db.close()
    store = open_store(path)
    try:
        (decision,) = store.decisions(3)
        assert ResponseStore(store).actions() == []  # migration 6 came first
        assert store.schema_version() == mig.MIGRATIONS[-1][0]
    finally:
        store.close()
    assert decision.decision == "benign" and decision.taught is None
    assert decision.at == 1774864800.0


def _newer_database(path: Path) -> None:
    """A database as a later version would leave it: one migration this one lacks."""
    open_store(path).close()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(
        "INSERT INTO schema_migrations VALUES (?, 'from the future', datetime('now'))",
        (mig.MIGRATIONS[-1][0] + 1,),
    )
    db.close()


def test_a_database_of_a_newer_version_is_not_written(tmp_path: Path) -> None:
    """After an upgrade rolled back, the older version refuses to write to what the
    newer one left (it would mix its rows into a schema it does not know), and says
    what to do; reading commands still read it."""
    path = tmp_path / "state.db"
    _newer_database(path)
    with pytest.raises(StoreError, match=r"written by a newer kerio-watch.*pip install -U"):
        open_store(path)
    store = open_store(path, readonly=True)
    assert store.schema_version() == mig.MIGRATIONS[-1][0] + 1
    store.close()


def test_db_check_and_recover_on_a_newer_database(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """`db check` says it is newer, not damaged, and `db recover` does not throw the
    newer state away unless forced."""
    path = tmp_path / "state.db"
    _newer_database(path)
    checked = cli("db", "check", "--db", str(path))
    assert checked.exit_code == 7
    assert "verdict: NEWER" in checked.output and "DAMAGED" not in checked.output
    recovered = cli("db", "recover", "--db", str(path), str(tmp_path))
    assert recovered.exit_code == 7
    assert "--force" in recovered.output
    assert sorted(p.name for p in tmp_path.iterdir() if "damaged" in p.name) == []


def test_a_full_disk_is_named_with_exit_status_7(tmp_path: Path) -> None:
    """SQLite's "database or disk is full": the path, that the disk is full, what to do,
    and the documented status of an unwritable database (was: exit 1, SQLite's words)."""
    store = open_store(tmp_path / "state.db")
    try:
        store.db.execute("PRAGMA max_page_count = 1")  # type: ignore[attr-defined]
        with pytest.raises(StoreError) as caught, store.transaction():
            store.set_meta("x", "y" * 100_000)
    finally:
        store.close()
    said = str(caught.value)
    assert said.startswith(f"{tmp_path / 'state.db'}: cannot write the state database: the disk")
    assert "MB free" in said and "--db" in said
    assert caught.value.exit_status == 7
