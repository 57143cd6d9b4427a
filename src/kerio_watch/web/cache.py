"""Reports reused until the state database changes.

The home page shows the last 7 days' report, and building it reads every hourly
activity row of the period: 0.8 s on a 300-account site with two months of history
(``benchmarks/dashboard.py``), on every page load. The dashboard keeps the reports it
built in memory and serves them again until the database changes.

A change is any commit by any process: a follower's checkpoint or heartbeat, a
``scan``, an acknowledgement. In WAL mode SQLite appends every commit to the ``-wal``
file and copies it into the main file at checkpoints, so the size and modification time
of one of the two files change with every commit; they are the cache key, read with
two ``stat`` calls per request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from kerio_watch.store.sqlite import db_stat

T = TypeVar("T")


class ReportCache:
    """Up to ``size`` values keyed by (database version, what was asked)."""

    def __init__(self, db_path: Path, size: int = 8) -> None:
        self.db_path = db_path
        self.size = size
        self.items: OrderedDict[tuple[object, ...], object] = OrderedDict()
        self.lock = threading.Lock()
        self.builds = 0
        """How many values were built (the rest were reused)."""

    def version(self) -> tuple[int, ...]:
        """Sizes and modification times of the database and its WAL (0 when absent)."""
        return db_stat(self.db_path)

    def get(self, key: tuple[object, ...], build: Callable[[], T]) -> T:
        """The value for ``key`` at the current database version, built when needed."""
        full = (self.version(), *key)
        with self.lock:
            if full in self.items:
                self.items.move_to_end(full)
                return self.items[full]  # type: ignore[return-value]
        value = build()
        with self.lock:
            self.builds += 1
            self.items[full] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value
