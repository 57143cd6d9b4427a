"""Hourly activity aggregates: what reports, timelines and the dashboard show.

The store keeps counts per (hour, account, kind, key), never one row per message, so
it grows with accounts and hours. Kinds and their keys:

=============  =========================================  ==========================
kind           key                                        counted
=============  =========================================  ==========================
``send``       ``<service>|<host>|<from>``                messages an account sent
``rcpt``       ``<recipient domain>``                     recipients it sent to
``login``      ``<protocol>|<ip>|<user agent>``           successful logins
``fail``       ``<protocol>|<source>|<reason>``           failed logins (account or "")
``bounce``     ``dsn`` / ``failed`` / ``delayed``         bounces and failed deliveries
``inbound``    ``""``                                     inbound messages (account "")
``blocked``    ``<source>``                               AntiHammering blocks
=============  =========================================  ==========================
"""

from __future__ import annotations

from typing import Protocol

from kerio_watch.store.base import ActivityStore

Key = tuple[int, str, str, str]


class Recorder(Protocol):
    """What the pipeline and the enricher need of a recorder: this module's
    :class:`ActivityRecorder`, or the native engine's ``kerio_watch._native.Activity``
    (the same sums in the Rust core, ``docs/native.md``)."""

    def add(self, ts: int, account: str, kind: str, key: str, n: int = 1) -> None:
        """Count ``n`` at the hour of ``ts``."""

    @property
    def full(self) -> bool:
        """Time to write a batch."""

    def write(self, store: ActivityStore) -> None:
        """Add the counts to the store (inside the caller's transaction) and reset."""


class ActivityRecorder:
    """Accumulates hourly counts in memory and writes them in batches."""

    def __init__(self, limit: int = 50_000) -> None:
        self.rows: dict[Key, int] = {}
        self.limit = limit

    def add(self, ts: int, account: str, kind: str, key: str, n: int = 1) -> None:
        """Count ``n`` at the hour of ``ts``."""
        k = (ts // 3600, account, kind, key)
        rows = self.rows
        rows[k] = rows.get(k, 0) + n

    @property
    def full(self) -> bool:
        """Time to write a batch."""
        return len(self.rows) >= self.limit

    def write(self, store: ActivityStore) -> None:
        """Add the counts to the store (inside the caller's transaction) and reset."""
        if self.rows:
            store.add_activity(self.rows)
            self.rows = {}
