"""The SQLite state store (the default backend): one module per aggregate, over one
connection (:mod:`.connection`) and its transactions.

A second backend implements the same small protocols of :mod:`kerio_watch.store.base`,
one module per aggregate, and composes them the way :class:`SQLiteStore` does.
"""

from __future__ import annotations

from kerio_watch.store.sqlite.activity import ActivityTable
from kerio_watch.store.sqlite.alerts import AlertTable
from kerio_watch.store.sqlite.checkpoints import CheckpointTable
from kerio_watch.store.sqlite.connection import (
    SQLiteConnection,
    db_files,
    db_stat,
    default_db_path,
)
from kerio_watch.store.sqlite.decisions import DecisionTable
from kerio_watch.store.sqlite.deliveries import DeliveryTable
from kerio_watch.store.sqlite.detector_state import DetectorStateTable
from kerio_watch.store.sqlite.incidents import IncidentTable
from kerio_watch.store.sqlite.meta import MetaTable
from kerio_watch.store.sqlite.profiles import ProfileTable


class SQLiteStore(
    MetaTable,
    ProfileTable,
    IncidentTable,
    AlertTable,
    DecisionTable,
    DeliveryTable,
    ActivityTable,
    DetectorStateTable,
    CheckpointTable,
    SQLiteConnection,
):
    """State in one SQLite file: every table over one connection (see
    :class:`~kerio_watch.store.sqlite.connection.SQLiteConnection`).

    Raises:
        StoreError: the file cannot be created, opened or is not a kerio-watch database.
    """


__all__ = ["SQLiteStore", "db_files", "db_stat", "default_db_path"]
