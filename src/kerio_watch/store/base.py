"""The store interface every backend implements (SQLite now, PostgreSQL later).

One small protocol per aggregate (profiles, incidents, alerts, decisions, the delivery
queue, activity, detector state, read positions, metadata); :class:`Store` is their
composition over one connection and its transactions."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from kerio_watch.store.query import IncidentQuery
from kerio_watch.values.alert import Alert
from kerio_watch.values.checkpoint import FileCheckpoint
from kerio_watch.values.decision import Decision
from kerio_watch.values.delivery import Delivery
from kerio_watch.values.incident import Incident
from kerio_watch.values.profile import Profile


class StoreConnection(Protocol):
    """The connection every aggregate shares: its path, transactions, closing."""

    path: Path

    def transaction(self) -> AbstractContextManager[None]:
        """Group writes into one atomic transaction."""
        ...

    def close(self) -> None:
        """Release the database."""
        ...


FOLLOW_META = "follow."
"""The prefix of the metadata keys the follower (:mod:`kerio_watch.service`) writes
(``kerio-watch status`` reads them; a ``scan`` reads and writes the hand-over's two).
Defined here, beside the store, so that ``scan`` has it without importing the
follower's modules."""


class MetaStore(Protocol):
    """Metadata values and the schema version."""

    def get_meta(self, key: str) -> str | None:
        """A metadata value."""
        ...

    def set_meta(self, key: str, value: str) -> None:
        """Set a metadata value."""
        ...

    def schema_version(self) -> int:
        """The applied schema version."""
        ...


class ProfileStore(Protocol):
    """The learned profile of each account."""

    def load_profile(self, account: str) -> Profile | None:
        """One account's profile."""
        ...

    def save_profiles(self, profiles: Iterable[Profile]) -> None:
        """Insert or replace profiles."""
        ...

    def accounts(self) -> list[str]:
        """Every account with a profile."""
        ...


class IncidentStore(Protocol):
    """Incidents: saved, looked up, listed a page at a time, searched."""

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

    def incidents_containing(self, text: str, limit: int = 100) -> list[Incident]:
        """Incidents whose stored data (evidence, facts, IPs) contains ``text``, newest first."""
        ...


class AlertStore(Protocol):
    """The alerts recorded (and whether each was reported)."""

    def save_alerts(self, alerts: Iterable[tuple[Alert, bool]]) -> None:
        """Record alerts and whether each was reported."""
        ...

    def alerts(self, since: int | None = None, limit: int = 1000) -> list[Alert]:
        """Alerts, newest first."""
        ...


class DecisionStore(Protocol):
    """The decision history, and acknowledgements queued for running pipelines."""

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


class DeliveryStore(Protocol):
    """The alert delivery queue."""

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


class ActivityStore(Protocol):
    """Hourly activity counts per (hour, account, kind, key)."""

    def add_activity(self, rows: dict[tuple[int, str, str, str], int]) -> None:
        """Add hourly activity counts."""
        ...

    def add_activity_rows(self, rows: Iterable[tuple[int, str, str, str, int]]) -> None:
        """Add hourly activity counts given as (hour, account, kind, key, count) rows
        (the native engine's recorder hands them over so, without a dict)."""
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


class DetectorStateStore(Protocol):
    """What detectors keep across runs: per-IP state and named state."""

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


class CheckpointStore(Protocol):
    """How far each log was read: watermarks and ``follow``'s file positions."""

    def watermarks(self) -> dict[str, tuple[int, int]]:
        """log -> (last UTC second processed, lines at that second)."""
        ...

    def save_watermarks(self, marks: dict[str, tuple[int, int]]) -> None:
        """Store watermarks."""
        ...

    def follow_checkpoints(self) -> list[FileCheckpoint]:
        """Every file position ``follow`` recorded."""
        ...

    def replace_follow_checkpoints(self, checkpoints: Iterable[FileCheckpoint]) -> None:
        """Replace the recorded file positions (inside the caller's transaction)."""
        ...


class Store(
    StoreConnection,
    MetaStore,
    ProfileStore,
    IncidentStore,
    AlertStore,
    DecisionStore,
    DeliveryStore,
    ActivityStore,
    DetectorStateStore,
    CheckpointStore,
    Protocol,
):
    """What the pipeline, the CLI and the dashboard need from the state database: every
    aggregate's protocol over one connection. A caller that needs one aggregate types
    against its small protocol (which any :class:`Store` satisfies)."""
