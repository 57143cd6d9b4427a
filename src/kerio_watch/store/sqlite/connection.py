"""The SQLite state store's connection: opening, migrating, transactions, write helpers.

WAL journal so the dashboard can read while ``follow`` writes; writes are batched in
the caller's transaction (:meth:`SQLiteConnection.transaction`). Every table module of
this package (one per aggregate) works over this one connection; no SQL leaves the
package.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from kerio_watch.errors import StoreError, StoreMissing
from kerio_watch.store.diagnose import (
    NEWER_HINT,
    DatabaseUnusable,
    disk_full,
    ensure_not_emptied,
    is_damage,
    is_readonly,
    once_held_data,
    unusable,
)
from kerio_watch.store.migrations import NewerSchema, apply_migrations, schema_version


def default_db_path() -> Path:
    """``$KERIO_WATCH_DB``, else ``$XDG_DATA_HOME/kerio-watch/state.db``."""
    env = os.environ.get("KERIO_WATCH_DB")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "kerio-watch" / "state.db"


def readonly_uri(path: Path) -> str:
    """The URI that opens the database at ``path`` read-only. Quoted: a ``#``, ``?`` or
    ``%`` in a plain ``file:`` URI cut the path (``state#1.db`` opened, and created,
    ``state`` read-write) or changed it."""
    return path.absolute().as_uri() + "?mode=ro"


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


def dumps(data: Any) -> str:
    """Compact JSON, as every table stores it."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


class SQLiteConnection:
    """One SQLite file, opened (and migrated unless read-only); the base of every table.

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
                uri = readonly_uri(self.path)
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
        except NewerSchema as exc:
            self.db.close()
            raise DatabaseUnusable(f"{self.path}: {NEWER_HINT} ({exc})") from None
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
        return disk_full(self.path, exc) or StoreError(f"{self.path}: cannot write: {exc}")

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
