"""An in-memory store: the same protocols as the SQLite store over plain Python
structures, for unit tests where a database is incidental (and the contract tests that
hold both backends to the same behaviour). Nothing is kept when it is closed; the
containment journal (:mod:`kerio_watch.store.sqlite.responses`) needs the SQLite store."""

from __future__ import annotations

from kerio_watch.store.memory.activity import ActivityMemory
from kerio_watch.store.memory.connection import MemoryConnection
from kerio_watch.store.memory.deliveries import DeliveryMemory
from kerio_watch.store.memory.incidents import DecisionMemory, IncidentMemory
from kerio_watch.store.memory.records import (
    AlertMemory,
    CheckpointMemory,
    DetectorStateMemory,
    MetaMemory,
    ProfileMemory,
)


class MemoryStore(
    MetaMemory,
    ProfileMemory,
    IncidentMemory,
    AlertMemory,
    DecisionMemory,
    DeliveryMemory,
    ActivityMemory,
    DetectorStateMemory,
    CheckpointMemory,
    MemoryConnection,
):
    """Every aggregate over one set of in-memory tables (see :class:`MemoryConnection`)."""


__all__ = ["MemoryStore"]
