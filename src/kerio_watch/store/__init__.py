"""The state store: profiles, incidents, alerts, watermarks, activity (SQLite by default).

:mod:`.base` says what a backend provides, one small protocol per aggregate; ``Store``
is their composition. Backends: :mod:`.sqlite` (one module per aggregate over one
connection) and :mod:`.memory` (plain Python structures, for unit tests). A new backend
(PostgreSQL) is one module per aggregate, composed the same way, and passes the contract
tests in ``tests/store/``.
"""

from __future__ import annotations

from pathlib import Path

from kerio_watch.store.base import Store
from kerio_watch.store.sqlite import SQLiteStore, default_db_path


def open_store(path: Path | str | None = None, readonly: bool = False) -> Store:
    """Open (creating and migrating unless ``readonly``) the state database."""
    return SQLiteStore(path if path is not None else default_db_path(), readonly=readonly)


__all__ = ["SQLiteStore", "Store", "default_db_path", "open_store"]
