"""Numbered schema migrations, applied in order and recorded in ``schema_migrations``.

To change the schema, append a function to :data:`MIGRATIONS`; never edit one that has
shipped.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

from kerio_watch.values.addresses import AddressBook, book_from_saved

Migration = Callable[[sqlite3.Connection], None]


def _script(db: sqlite3.Connection, sql: str) -> None:
    """Run DDL statements one by one inside the caller's transaction.

    ``executescript`` would commit first, so a migration interrupted half-way could
    leave a half-built schema; statements here contain no semicolons in literals.
    """
    for statement in sql.split(";"):
        if statement.strip():
            db.execute(statement)


def m001_initial(db: sqlite3.Connection) -> None:
    """Profiles, incidents, alerts, watermarks, hourly activity, IP state, metadata."""
    _script(
        db,
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE profiles (
            account TEXT PRIMARY KEY,
            data TEXT NOT NULL,
            updated INTEGER NOT NULL
        );
        CREATE TABLE incidents (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            user TEXT,
            opened INTEGER NOT NULL,
            updated INTEGER NOT NULL,
            status TEXT NOT NULL,
            severity INTEGER NOT NULL,
            score INTEGER NOT NULL,
            summary TEXT NOT NULL,
            data TEXT NOT NULL
        );
        CREATE INDEX incidents_key ON incidents (key, status);
        CREATE INDEX incidents_updated ON incidents (updated);
        CREATE TABLE alerts (
            id TEXT PRIMARY KEY,
            incident_id INTEGER NOT NULL,
            ts INTEGER NOT NULL,
            severity INTEGER NOT NULL,
            user TEXT,
            rule TEXT NOT NULL,
            reported INTEGER NOT NULL DEFAULT 1,
            data TEXT NOT NULL
        );
        CREATE INDEX alerts_ts ON alerts (ts);
        CREATE TABLE watermarks (
            log TEXT PRIMARY KEY,
            ts INTEGER NOT NULL,
            count INTEGER NOT NULL
        );
        CREATE TABLE activity (
            hour INTEGER NOT NULL,
            account TEXT NOT NULL,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (hour, account, kind, key)
        ) WITHOUT ROWID;
        CREATE INDEX activity_account ON activity (account, hour);
        CREATE TABLE ip_state (
            ip TEXT PRIMARY KEY,
            data TEXT NOT NULL,
            updated INTEGER NOT NULL
        );
        """,
    )


def m002_follow_files(db: sqlite3.Connection) -> None:
    """Where ``follow`` is in each log file: identity (device, inode, first-line hash)."""
    _script(
        db,
        """
        CREATE TABLE follow_files (
            dev INTEGER NOT NULL,
            ino INTEGER NOT NULL,
            first_hash TEXT NOT NULL,
            path TEXT NOT NULL,
            log TEXT,
            offset INTEGER NOT NULL,
            lineno INTEGER NOT NULL,
            size INTEGER NOT NULL,
            compressed INTEGER NOT NULL DEFAULT 0,
            gone INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL,
            first_ts INTEGER,
            PRIMARY KEY (dev, ino, first_hash)
        );
        """,
    )


def m003_deliveries(db: sqlite3.Connection) -> None:
    """The alert delivery queue: one row per (message, sink), retried until sent."""
    _script(
        db,
        """
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            sink TEXT NOT NULL,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            incident_id INTEGER NOT NULL DEFAULT 0,
            alert_id TEXT NOT NULL DEFAULT '',
            severity INTEGER NOT NULL DEFAULT 0,
            created REAL NOT NULL,
            due REAL NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            last_try REAL,
            sent_at REAL,
            hour INTEGER,
            merged INTEGER NOT NULL DEFAULT 0,
            data TEXT NOT NULL
        );
        CREATE INDEX deliveries_status_due ON deliveries (status, due);
        CREATE INDEX deliveries_sink_incident ON deliveries (sink, incident_id, status);
        """,
    )


def m004_acks(db: sqlite3.Connection) -> None:
    """Acknowledgements, queued so that a running follower applies them to its memory."""
    _script(
        db,
        """
        CREATE TABLE acks (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            incident_id INTEGER NOT NULL,
            decision TEXT NOT NULL,
            at TEXT NOT NULL
        );
        """,
    )


def m005_detector_state(db: sqlite3.Connection) -> None:
    """Detectors' sliding windows and trackers, so that a run resumes where one ended."""
    _script(
        db,
        """
        CREATE TABLE detector_state (
            name TEXT PRIMARY KEY,
            data TEXT NOT NULL,
            updated INTEGER NOT NULL
        );
        """,
    )


def m006_responses(db: sqlite3.Connection) -> None:
    """Containment actions through Kerio's API (the journal) and the queue per sender."""
    _script(
        db,
        """
        CREATE TABLE response_actions (
            id INTEGER PRIMARY KEY,
            incident_id INTEGER NOT NULL,
            account TEXT,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            severity TEXT NOT NULL,
            reason TEXT NOT NULL,
            dry_run INTEGER NOT NULL,
            status TEXT NOT NULL,
            created REAL NOT NULL,
            updated REAL NOT NULL,
            expires REAL,
            calls TEXT NOT NULL,
            undo TEXT NOT NULL,
            error TEXT,
            released_by TEXT,
            release_reason TEXT
        );
        CREATE INDEX response_actions_incident ON response_actions (incident_id);
        CREATE INDEX response_actions_status ON response_actions (status, expires);
        CREATE TABLE queue_senders (
            account TEXT PRIMARY KEY,
            polled INTEGER NOT NULL,
            queued INTEGER NOT NULL,
            deferred INTEGER NOT NULL,
            domains INTEGER NOT NULL,
            oldest_age INTEGER NOT NULL,
            ips TEXT NOT NULL
        );
        """,
    )


def m007_decisions(db: sqlite3.Connection) -> None:
    """The decision history: every acknowledgement with when, who, why, notes and what
    teaching added (so that it can be undone exactly). Earlier acknowledgements are
    copied in, with what they taught unknown."""
    _script(
        db,
        """
        CREATE TABLE decisions (
            id INTEGER PRIMARY KEY,
            incident_id INTEGER NOT NULL,
            decision TEXT NOT NULL,
            at REAL NOT NULL,
            by TEXT,
            why TEXT NOT NULL DEFAULT '',
            notes TEXT NOT NULL DEFAULT '',
            data TEXT NOT NULL,
            undone_by INTEGER
        );
        CREATE INDEX decisions_incident ON decisions (incident_id, id);
        INSERT INTO decisions (incident_id, decision, at, why, data)
            SELECT incident_id, decision, CAST(strftime('%s', at) AS REAL),
                   'recorded before the decision history', '{"taught": null}'
            FROM acks ORDER BY seq
        """,
    )


def m008_address_books(db: sqlite3.Connection) -> None:
    """Profiles keep correspondents and recipients by key, not in clear
    (:mod:`kerio_watch.values.addresses`): each saved ``address -> last seen`` mapping
    becomes ``[key, last seen]`` pairs sorted by key, as both engines save them."""
    rows = db.execute("SELECT account, data FROM profiles").fetchall()
    for account, text in rows:
        data = json.loads(text)
        for name in ("correspondents", "recipients"):
            book = book_from_saved(data.get(name), AddressBook)
            data[name] = book.dump()
        db.execute(
            "UPDATE profiles SET data = ? WHERE account = ?",
            (json.dumps(data, separators=(",", ":"), ensure_ascii=False), account),
        )


def m009_follow_checked(db: sqlite3.Connection) -> None:
    """A followed file whose lines are checked against its log's files (a copy saved
    with other line ends) is marked so, and a restart keeps checking it. Files recorded
    before are not marked (nothing saved tells a copy from its original)."""
    db.execute("ALTER TABLE follow_files ADD COLUMN checked INTEGER NOT NULL DEFAULT 0")


MIGRATIONS: list[tuple[int, str, Migration]] = [
    (1, "initial", m001_initial),
    (2, "follow_files", m002_follow_files),
    (3, "deliveries", m003_deliveries),
    (4, "acks", m004_acks),
    (5, "detector_state", m005_detector_state),
    (6, "responses", m006_responses),
    (7, "decisions", m007_decisions),
    (8, "address_books", m008_address_books),
    (9, "follow_checked", m009_follow_checked),
]
"""(version, name, function), in order."""


class NewerSchema(Exception):
    """The database holds migrations this version does not know: a newer kerio-watch
    wrote it (an upgrade rolled back); writing to it could break what that one keeps."""

    def __init__(self, version: int) -> None:
        self.version = version
        super().__init__(f"schema {version}, this version knows up to {MIGRATIONS[-1][0]}")


def apply_migrations(db: sqlite3.Connection) -> list[int]:
    """Bring the schema up to date; returns the versions applied now.

    Raises:
        NewerSchema: a newer kerio-watch wrote the database (nothing is changed).
    """
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)"
    )
    have = {row[0] for row in db.execute("SELECT version FROM schema_migrations")}
    if have and max(have) > MIGRATIONS[-1][0]:
        raise NewerSchema(max(have))
    if all(version in have for version, _, _ in MIGRATIONS):
        return []
    applied = []
    for version, name, migrate in MIGRATIONS:
        # One transaction per migration (BEGIN IMMEDIATE also serialises two processes
        # opening a new database at once: the second sees the first one's work).
        db.execute("BEGIN IMMEDIATE")
        try:
            done = db.execute(
                "SELECT 1 FROM schema_migrations WHERE version = ?", (version,)
            ).fetchone()
            if done is None:
                migrate(db)
                db.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, datetime('now'))",
                    (version, name),
                )
                applied.append(version)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    return applied


def schema_version(db: sqlite3.Connection) -> int:
    """The highest applied migration."""
    row = db.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)
