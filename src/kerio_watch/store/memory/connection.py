"""The in-memory store's tables and transactions (plain Python structures, no SQLite).

Rows are kept the way the SQLite store keeps them (values as JSON text), so that what
comes back is a fresh object, never the one saved, as from a database.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Row = dict[str, Any]


def dumps(data: Any) -> str:
    """Compact JSON, as the SQLite store keeps it."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def order_by(rows: list[Row], terms: Sequence[tuple[str, bool]]) -> list[Row]:
    """``rows`` sorted like SQL ``ORDER BY`` (``terms``: column, descending): NULL sorts
    below every value, ties keep their order."""
    out = list(rows)
    for name, desc in reversed(terms):

        def key(row: Row, name: str = name) -> tuple[int, Any]:
            return (0, 0) if row[name] is None else (1, row[name])

        out.sort(key=key, reverse=desc)
    return out


def parse_order(text: str) -> list[tuple[str, bool]]:
    """``"severity DESC, id"`` -> ``[("severity", True), ("id", False)]``."""
    terms = []
    for term in text.split(","):
        name, *direction = term.split()
        terms.append((name, direction == ["DESC"]))
    return terms


def next_id(rows: dict[int, Any]) -> int:
    """The id SQLite gives a new row of an ``INTEGER PRIMARY KEY`` table."""
    return max(rows, default=0) + 1


@dataclass
class Tables:
    """Every table, keyed by its primary key (insertion order kept)."""

    meta: dict[str, str] = field(default_factory=dict)
    profiles: dict[str, str] = field(default_factory=dict)
    incidents: dict[int, Row] = field(default_factory=dict)
    alerts: dict[str, Row] = field(default_factory=dict)
    decisions: dict[int, Row] = field(default_factory=dict)
    acks: dict[int, tuple[int, str]] = field(default_factory=dict)
    ack_seq: int = 0
    deliveries: dict[int, Row] = field(default_factory=dict)
    activity: dict[tuple[int, str, str, str], int] = field(default_factory=dict)
    ip_state: dict[str, tuple[str, int]] = field(default_factory=dict)
    detector_state: dict[str, str] = field(default_factory=dict)
    watermarks: dict[str, tuple[int, int]] = field(default_factory=dict)
    follow_files: dict[tuple[int, int, str], tuple[Any, ...]] = field(default_factory=dict)


class MemoryConnection:
    """The tables of one in-memory store, and its transactions (all or nothing: a
    failed transaction leaves the tables as they were before it)."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        self.path = Path(path)
        self.tables = Tables()
        self._in_tx = False

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one transaction (nested calls join the outer one)."""
        if self._in_tx:
            yield
            return
        before = copy.deepcopy(self.tables)
        self._in_tx = True
        try:
            yield
        except BaseException:
            self.tables = before
            raise
        finally:
            self._in_tx = False

    def close(self) -> None:
        """Nothing to release."""
