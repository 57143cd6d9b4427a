"""The narrow store interface every backend implements (SQLite now, PostgreSQL later)."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from kerio_watch.alerts.model import Alert
from kerio_watch.alerts.queue import Delivery
from kerio_watch.detect.profile import Profile
from kerio_watch.incidents.decision import Decision
from kerio_watch.incidents.engine import Incident
from kerio_watch.store.query import IncidentQuery


@dataclass(frozen=True, slots=True)
class FileCheckpoint:
    """Where ``follow`` is in one log file.

    The identity is ``(dev, ino, first_hash)``: the inode and the SHA-256 of the file's
    first complete line (fail2ban's rule), so a reused inode or a rewritten file is not
    mistaken for the one read before. ``offset`` is the byte after the last line handed
    to the pipeline; ``gone`` marks a file that was rotated away or deleted (kept for a
    while so a compressed or copied twin of it is not read twice).
    """

    dev: int
    ino: int
    first_hash: str
    path: str
    log: str | None
    offset: int
    lineno: int
    size: int
    compressed: bool = False
    gone: bool = False
    updated: int = 0
    """Wall-clock epoch seconds when this was recorded (for display and pruning only)."""
    first_ts: int | None = None
    """Log time (local seconds) of the first line, to tell an old copy from a new file."""


class Store(Protocol):
    """What the pipeline, the CLI and the dashboard need from the state database."""

    path: Path

    def transaction(self) -> AbstractContextManager[None]:
        """Group writes into one atomic transaction."""
        ...

    def close(self) -> None:
        """Release the database."""
        ...

    def get_meta(self, key: str) -> str | None:
        """A metadata value."""
        ...

    def set_meta(self, key: str, value: str) -> None:
        """Set a metadata value."""
        ...

    def schema_version(self) -> int:
        """The applied schema version."""
        ...

    def load_profile(self, account: str) -> Profile | None:
        """One account's profile."""
        ...

    def save_profiles(self, profiles: Iterable[Profile]) -> None:
        """Insert or replace profiles."""
        ...

    def accounts(self) -> list[str]:
        """Every account with a profile."""
        ...

    def next_incident_id(self) -> int:
        """The highest incident id so far."""
        ...

    def save_incidents(self, incidents: Iterable[Incident]) -> None:
        """Insert or replace incidents."""
        ...

    def open_incidents(self) -> list[Incident]:
        """Incidents still open."""
        ...

    def incidents(
        self,
        status: str | None = None,
        since: int | None = None,
        until: int | None = None,
        key: str | None = None,
        min_severity: int = 0,
        limit: int = 1000,
    ) -> list[Incident]:
        """Incidents, newest first."""
        ...

    def incident(self, incident_id: int) -> Incident | None:
        """One incident."""
        ...

    def incident_page(self, query: IncidentQuery) -> list[Incident]:
        """One page of incidents, filtered and sorted."""
        ...

    def count_incidents(self, query: IncidentQuery) -> int:
        """How many incidents the query's filters match."""
        ...

    def save_alerts(self, alerts: Iterable[tuple[Alert, bool]]) -> None:
        """Record alerts and whether each was reported."""
        ...

    def alerts(self, since: int | None = None, limit: int = 1000) -> list[Alert]:
        """Alerts, newest first."""
        ...

    def watermarks(self) -> dict[str, tuple[int, int]]:
        """log -> (last UTC second processed, lines at that second)."""
        ...

    def save_watermarks(self, marks: dict[str, tuple[int, int]]) -> None:
        """Store watermarks."""
        ...

    def add_activity(self, rows: dict[tuple[int, str, str, str], int]) -> None:
        """Add hourly activity counts."""
        ...

    def prune_activity(self, before: int) -> int:
        """Delete activity of hours before log time ``before``; returns how many rows."""
        ...

    def activity(
        self,
        since: int | None = None,
        until: int | None = None,
        account: str | None = None,
        kinds: Iterable[str] | None = None,
    ) -> list[tuple[int, str, str, str, int]]:
        """Hourly activity rows."""
        ...

    def activity_span(self) -> tuple[int, int] | None:
        """(first, last) hour start with any activity, or None when there is none."""
        ...

    def hourly_totals(
        self, since: int, until: int, kinds: Iterable[str]
    ) -> list[tuple[int, str, int]]:
        """(hour_ts, kind, count summed over accounts and keys), oldest first."""
        ...

    def account_totals(
        self, since: int, until: int, kinds: Iterable[str]
    ) -> list[tuple[str, str, int]]:
        """(account, kind, count summed over hours and keys)."""
        ...

    def activity_containing(
        self, text: str, kinds: Iterable[str], limit: int = 500
    ) -> list[tuple[int, str, str, str, int]]:
        """Activity rows whose key contains ``text`` (case-insensitive), newest first."""
        ...

    def incidents_containing(self, text: str, limit: int = 100) -> list[Incident]:
        """Incidents whose stored data (evidence, facts, IPs) contains ``text``, newest first."""
        ...

    def load_ip_state(self, since: int) -> dict[str, dict[str, Any]]:
        """Per-IP detector state."""
        ...

    def save_ip_state(self, states: dict[str, dict[str, Any]]) -> None:
        """Save per-IP detector state."""
        ...

    def prune_ip_state(self, before: int) -> int:
        """Delete the state of addresses last seen before log time ``before``."""
        ...

    def load_detector_state(self, name: str) -> dict[str, Any] | None:
        """The state a detector (or tracker) saved under ``name``, None if none."""
        ...

    def save_detector_state(self, name: str, data: dict[str, Any]) -> None:
        """Save a detector's state (JSON-serialisable; ``now``: its log time)."""
        ...

    def follow_checkpoints(self) -> list[FileCheckpoint]:
        """Every file position ``follow`` recorded."""
        ...

    def replace_follow_checkpoints(self, checkpoints: Iterable[FileCheckpoint]) -> None:
        """Replace the recorded file positions (inside the caller's transaction)."""
        ...

    def add_delivery(self, delivery: Delivery) -> int:
        """Queue a delivery; returns its id."""
        ...

    def update_delivery(self, delivery: Delivery) -> None:
        """Write back a delivery's mutable fields (by id)."""
        ...

    def delivery(self, delivery_id: int) -> Delivery | None:
        """One delivery."""
        ...

    def deliveries(
        self,
        sink: str | None = None,
        status: str | Iterable[str] | None = None,
        kind: str | None = None,
        incident_id: int | None = None,
        due_before: float | None = None,
        sent_since: float | None = None,
        order: str = "id",
        limit: int = 10000,
    ) -> list[Delivery]:
        """Deliveries, filtered; ``order`` is id, priority, sent (newest) or tried (newest)."""
        ...

    def delivery_counts(self) -> dict[str, dict[str, int]]:
        """sink -> status -> number of deliveries."""
        ...

    def prune_deliveries(self, before: float) -> int:
        """Delete finished deliveries created before ``before``; returns how many."""
        ...

    def add_decision(self, decision: Decision) -> int:
        """Record a decision in the history; returns its id."""
        ...

    def mark_undone(self, decision_id: int, undo_id: int) -> None:
        """Note that a decision was undone."""
        ...

    def decisions(self, incident_id: int | None = None, limit: int = 1000) -> list[Decision]:
        """Decisions about one incident (or all), oldest first."""
        ...

    def record_ack(self, incident_id: int, decision: str) -> None:
        """Queue an administrator's decision for running pipelines to apply."""
        ...

    def last_ack_seq(self) -> int:
        """The newest acknowledgement's sequence number."""
        ...

    def acks_after(self, seq: int) -> list[tuple[int, int, str]]:
        """Acknowledgements newer than ``seq``."""
        ...
