"""The ``ip_state`` and ``detector_state`` tables: what detectors keep across runs."""

from __future__ import annotations

import json
from typing import Any

from kerio_watch.store.sqlite.connection import SQLiteConnection, dumps


class DetectorStateTable(SQLiteConnection):
    """Detector state (:class:`~kerio_watch.store.base.DetectorStateStore`)."""

    # -- IP state -----------------------------------------------------------------------
    def load_ip_state(self, since: int) -> dict[str, dict[str, Any]]:
        """IP -> state saved by detectors, updated at or after ``since``."""
        rows = self.db.execute("SELECT ip, data FROM ip_state WHERE updated >= ?", (since,))
        return {ip: json.loads(data) for ip, data in rows}

    def save_ip_state(self, states: dict[str, dict[str, Any]]) -> None:
        """Save IP state (each dict needs an ``updated`` key)."""
        self._write_many(
            "INSERT OR REPLACE INTO ip_state VALUES (?, ?, ?)",
            ((ip, dumps(s), int(s.get("updated", 0))) for ip, s in states.items()),
        )

    def prune_ip_state(self, before: int) -> int:
        """Delete the state of addresses last seen before log time ``before``."""
        return self._delete("DELETE FROM ip_state WHERE updated < ?", (before,))

    # -- detector state -----------------------------------------------------------------
    def load_detector_state(self, name: str) -> dict[str, Any] | None:
        """The state a detector (or tracker) saved under ``name``, None if none."""
        row = self.db.execute("SELECT data FROM detector_state WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        try:
            data = json.loads(row[0])
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def save_detector_state(self, name: str, data: dict[str, Any]) -> None:
        """Save a detector's state (JSON-serialisable; ``now``: its log time)."""
        self._write(
            "INSERT OR REPLACE INTO detector_state VALUES (?, ?, ?)",
            (name, dumps(data), int(data.get("now", 0) or 0)),
        )
