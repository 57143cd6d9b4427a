"""The in-memory store's small aggregates: metadata, profiles, alerts, detector state
and read positions."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from kerio_watch.store.memory.connection import MemoryConnection, dumps
from kerio_watch.store.migrations import MIGRATIONS
from kerio_watch.values.alert import Alert
from kerio_watch.values.checkpoint import FileCheckpoint
from kerio_watch.values.profile import Profile


class MetaMemory(MemoryConnection):
    """Metadata (:class:`~kerio_watch.store.base.MetaStore`)."""

    def get_meta(self, key: str) -> str | None:
        """A metadata value."""
        return self.tables.meta.get(key)

    def set_meta(self, key: str, value: str) -> None:
        """Set a metadata value."""
        self.tables.meta[key] = value

    def schema_version(self) -> int:
        """The schema a SQLite store would have (the newest migration)."""
        return max(version for version, _, _ in MIGRATIONS)


class ProfileMemory(MemoryConnection):
    """Profiles (:class:`~kerio_watch.store.base.ProfileStore`)."""

    def load_profile(self, account: str) -> Profile | None:
        """One account's profile."""
        data = self.tables.profiles.get(account)
        return None if data is None else Profile.from_dict(json.loads(data))

    def save_profiles(self, profiles: Iterable[Profile]) -> None:
        """Insert or replace profiles."""
        for p in profiles:
            self.tables.profiles[p.account] = dumps(p.to_dict())

    def accounts(self) -> list[str]:
        """Every account with a profile."""
        return sorted(self.tables.profiles)


class AlertMemory(MemoryConnection):
    """Alerts (:class:`~kerio_watch.store.base.AlertStore`)."""

    def save_alerts(self, alerts: Iterable[tuple[Alert, bool]]) -> None:
        """Record alerts (with whether they were reported)."""
        for a, reported in alerts:
            self.tables.alerts.pop(a.id, None)
            self.tables.alerts[a.id] = {
                "ts": a.ts,
                "reported": reported,
                "data": dumps(a.to_dict()),
            }

    def alerts(self, since: int | None = None, limit: int = 1000) -> list[Alert]:
        """Alerts, newest first."""
        rows = [r for r in self.tables.alerts.values() if since is None or r["ts"] >= since]
        rows.sort(key=lambda r: r["ts"], reverse=True)
        return [Alert.from_dict(json.loads(r["data"])) for r in rows[:limit]]


class DetectorStateMemory(MemoryConnection):
    """Detector state (:class:`~kerio_watch.store.base.DetectorStateStore`)."""

    def load_ip_state(self, since: int) -> dict[str, dict[str, Any]]:
        """IP -> state saved by detectors, updated at or after ``since``."""
        return {
            ip: json.loads(data)
            for ip, (data, updated) in self.tables.ip_state.items()
            if updated >= since
        }

    def save_ip_state(self, states: dict[str, dict[str, Any]]) -> None:
        """Save IP state (each dict needs an ``updated`` key)."""
        for ip, s in states.items():
            self.tables.ip_state[ip] = (dumps(s), int(s.get("updated", 0)))

    def prune_ip_state(self, before: int) -> int:
        """Delete the state of addresses last seen before log time ``before``."""
        old = [ip for ip, (_, updated) in self.tables.ip_state.items() if updated < before]
        for ip in old:
            del self.tables.ip_state[ip]
        return len(old)

    def load_detector_state(self, name: str) -> dict[str, Any] | None:
        """The state a detector (or tracker) saved under ``name``, None if none."""
        text = self.tables.detector_state.get(name)
        data = None if text is None else json.loads(text)
        return data if isinstance(data, dict) else None

    def save_detector_state(self, name: str, data: dict[str, Any]) -> None:
        """Save a detector's state (JSON-serialisable)."""
        self.tables.detector_state[name] = dumps(data)


class CheckpointMemory(MemoryConnection):
    """Read positions (:class:`~kerio_watch.store.base.CheckpointStore`)."""

    def watermarks(self) -> dict[str, tuple[int, int]]:
        """log -> (last processed UTC second, lines processed at that second)."""
        return dict(self.tables.watermarks)

    def save_watermarks(self, marks: dict[str, tuple[int, int]]) -> None:
        """Store watermarks."""
        self.tables.watermarks.update({log: (ts, n) for log, (ts, n) in marks.items()})

    def follow_checkpoints(self) -> list[FileCheckpoint]:
        """Every file position ``follow`` recorded."""
        return [FileCheckpoint(*row) for row in self.tables.follow_files.values()]

    def replace_follow_checkpoints(self, checkpoints: Iterable[FileCheckpoint]) -> None:
        """Replace the recorded file positions."""
        files = self.tables.follow_files
        files.clear()
        for c in checkpoints:
            key = (c.dev, c.ino, c.first_hash)
            files.pop(key, None)
            files[key] = (
                c.dev, c.ino, c.first_hash, c.path, c.log, c.offset, c.lineno, c.size,
                c.compressed, c.gone, c.updated, c.first_ts, c.checked,
            )  # fmt: skip
