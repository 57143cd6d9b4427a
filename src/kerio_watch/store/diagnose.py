"""Why the state database cannot be used, in words a person can act on.

SQLite says "unable to open database file", "attempt to write a readonly database" or
"database disk image is malformed". Each becomes a :class:`DatabaseUnusable` (exit
status 7) that names the path, says why (a directory or file not writable for this
user, a damaged file) and what to do.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import sqlite3
from pathlib import Path

from kerio_watch.errors import StoreError
from kerio_watch.exitcodes import ExitStatus
from kerio_watch.store.journal import Journal, journal_path

RECOVER_HINT = (
    "run `kerio-watch db check` for details; `kerio-watch db recover` keeps a copy of the "
    "damaged file and rebuilds the state from the logs without re-sending alerts"
)
NEWER_HINT = (
    "written by a newer kerio-watch: install that version again (pip install -U "
    "kerio-watch); this one does not write to it, and `kerio-watch db recover` would "
    "rebuild it without what the newer version keeps"
)


class DatabaseUnusable(StoreError):
    """The state database cannot be created, opened or written."""

    exit_status = ExitStatus.DB_UNUSABLE


class DatabaseDamaged(DatabaseUnusable):
    """The state database file is damaged (truncated, overwritten, corrupt)."""


_DAMAGE = (
    "malformed",
    "not a database",
    "disk image",
    "corrupt",
    "database schema",
    "no such table",
    "holds no tables",
)


class DiskFull(StoreError):
    """The disk holding the state database is full. The follower waits and retries
    (:mod:`kerio_watch.service.loop`); any other command stops, exit status 7."""

    exit_status = ExitStatus.DB_UNUSABLE


def disk_full(path: Path, error: BaseException) -> DiskFull | None:
    """The error to raise for a write SQLite refused because the disk is full (None:
    another cause)."""
    if getattr(error, "sqlite_errorcode", None) != sqlite3.SQLITE_FULL:
        return None
    try:
        free = f"{shutil.disk_usage(path.absolute().parent).free / 1e6:,.1f} MB free"
    except OSError:
        free = "free space unknown"
    return DiskFull(
        f"{path}: cannot write the state database: the disk is full ({free}); free some "
        "space, or put the database elsewhere with --db (or KERIO_WATCH_DB)"
    )


def is_damage(error: BaseException | str) -> bool:
    """Whether an SQLite error means the file itself is damaged."""
    text = str(error).lower()
    return any(word in text for word in _DAMAGE)


def is_readonly(error: BaseException | str) -> bool:
    """Whether an SQLite (or OS) error means the file or directory cannot be written."""
    text = str(error).lower()
    return any(
        word in text
        for word in (
            "readonly",
            "read-only",
            "unable to open",
            "permission denied",
            "operation not permitted",
        )
    )


def once_held_data(path: Path) -> bool:
    """Whether the file's SQLite header says the database once had more than its first
    page (a database that now shows no tables was then truncated, not new)."""
    try:
        with path.open("rb") as handle:
            header = handle.read(32)
    except OSError:
        return False
    return len(header) == 32 and int.from_bytes(header[28:32], "big") > 1


def ensure_not_emptied(db: sqlite3.Connection, path: Path, grown: bool) -> None:
    """A database that shows no tables must be new, not emptied.

    Emptied: its header says it once held more than one page (:func:`once_held_data`),
    or the journal beside it shows it held data (its write-ahead log was lost).

    Raises:
        sqlite3.DatabaseError: it was emptied (truncated, deleted, its WAL lost).
    """
    if db.execute("SELECT 1 FROM sqlite_master").fetchone() is not None:
        return
    if grown:
        raise sqlite3.DatabaseError("the file holds no tables (truncated?)")
    journal = journal_path(path)
    if journal.exists() and Journal(path).held_data():
        raise sqlite3.DatabaseError(
            f"the file holds no tables, but the journal {journal} shows it held data "
            "(deleted, truncated, or its write-ahead log lost; to start afresh instead, "
            "delete the journal too)"
        )


def _user() -> str:
    with contextlib.suppress(Exception):
        return f"{getpass.getuser()} (uid {os.getuid()})"
    return "this user"


def access_problem(path: Path) -> str | None:
    """What keeps this user from creating and writing ``path``, None if nothing does.

    SQLite writes the database, its write-ahead log ``-wal`` and ``-shm`` files next to
    it, so the directory must be writable too.
    """
    folder = path.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a directory"
    if not folder.exists() and not os.access(existing, os.W_OK | os.X_OK):
        return f"the directory {existing} is not writable for {_user()}, so {folder} cannot be made"
    if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
        return (
            f"the directory {folder} is not writable for {_user()} (SQLite writes the "
            f"database and its {path.name}-wal and {path.name}-shm files there)"
        )
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if file.exists() and not os.access(file, os.R_OK | os.W_OK):
            return f"the file {file} is not readable and writable for {_user()}"
    return None


def unusable(path: Path, error: BaseException | str) -> DatabaseUnusable:
    """One clear error for a database that cannot be used (``error``: what SQLite said)."""
    text = " ".join(str(error).split())
    if is_damage(error):
        what = " (or not a kerio-watch database)" if "not a database" in text else ""
        return DatabaseDamaged(
            f"{path}: the state database is damaged{what} ({text}): {RECOVER_HINT}"
        )
    problem = access_problem(path) if is_readonly(error) else None
    if problem is not None:
        return DatabaseUnusable(
            f"{path}: cannot write the state database: {problem}. Give that user write "
            "access, or put the database elsewhere with --db (or KERIO_WATCH_DB)"
        )
    if is_readonly(error):
        return DatabaseUnusable(
            f"{path}: cannot write the state database ({text}): is the file system "
            "mounted read-only? Put the database elsewhere with --db (or KERIO_WATCH_DB)"
        )
    return DatabaseUnusable(f"{path}: cannot use the state database: {text}")
