"""Both store backends, for the contract tests: the SQLite store on a real file and the
in-memory store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kerio_watch.severity import Severity
from kerio_watch.store.base import Store
from kerio_watch.store.memory import MemoryStore
from kerio_watch.store.sqlite import SQLiteStore
from kerio_watch.values.alert import Alert
from kerio_watch.values.incident import Incident
from kerio_watch.values.signal import Signal


@pytest.fixture(params=["sqlite", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A new, empty store of each backend."""
    backend: Store = (
        SQLiteStore(tmp_path / "state.db") if request.param == "sqlite" else MemoryStore()
    )
    yield backend
    backend.close()


def incident(
    id: int, key: str, opened: int, score: int = 30, status: str = "open", ip: str = ""
) -> Incident:
    """An incident with one signal (its score decides the severity of an IP incident)."""
    inc = Incident(id, key, opened, opened, status=status)
    inc.add(Signal("kerio.test.rule", key, opened, score, f"test signal {id}", ip or None))
    return inc


def alert(id: str, ts: int, incident_id: int = 1, user: str | None = "a@example.com") -> Alert:
    """A plain alert."""
    return Alert(
        id, incident_id, ts, "2026-01-01T00:00:00+00:00", user, "kerio.test.rule",
        Severity.HIGH, 70, "summary", "203.0.113.7", ("line",), ("reason",),
        ("kerio.test.rule",), "opened",
    )  # fmt: skip
