"""A small journal beside the state database: what must survive the database's loss.

``<db>.journal`` holds one JSON object per line, appended after the transaction it
describes has committed (not synced to disk: a power cut may lose its last lines, a
``kill -9`` loses nothing written):

- ``{"t": "alert", "fp": ..., "id": ..., "upto": ...}``: an alert was recorded, and
  queued for the sinks if it was reported. ``fp`` is its :func:`fingerprint` (account,
  rule and log time: the same in a rebuild from the same lines, whatever the incident
  numbers), ``upto`` the newest log time processed at that commit.
- ``{"t": "mark", "upto": ...}``: how far processing got (every few minutes, and at the
  end of a run).
- ``{"t": "ack", "key": ..., "opened": ..., "decision": ..., "updated": ...}``: an
  administrator's decision on an incident (found again in a rebuild by its account and
  opening time; ``updated``, the log time of its last signal then, tells a rebuilt
  incident that took in later activity from the one that was decided).
- ``{"t": "run", "role": ..., "paths": [...]}``: which logs a ``scan`` or ``follow`` read.
- ``{"t": "rebuild"}``: ``db recover`` started a new database.

An empty database whose journal shows it held data was deleted, truncated or lost its
write-ahead log: it is refused as damaged (:func:`Journal.held_data`) rather than
silently started afresh, which would process every log again and re-send its alerts.

``kerio-watch db recover`` reads it (with what it can salvage from the damaged file) so
that a rebuild never re-sends an alert the sinks already had. The journal is never read
while running, and a failure to write it is logged, not fatal: the database stays the
source of truth. It grows by one line per alert, acknowledgement and run, and a line
every few minutes (about 15 KB a day).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kerio_watch.values.alert import Alert

logger = logging.getLogger(__name__)

MARK_EVERY = 600.0
"""Seconds (monotonic) between progress marks while running."""


def fingerprint(user: str | None, rule: str, ts: int) -> str:
    """An alert's identity across rebuilds: account, rule and log time."""
    return f"{user or ''}|{rule}|{ts}"


def journal_path(db_path: Path) -> Path:
    """Where the journal of a database lives."""
    return db_path.with_name(db_path.name + ".journal")


class Journal:
    """Appends to (and reads) one database's journal; see the module documentation."""

    def __init__(self, db_path: Path) -> None:
        self.path = journal_path(db_path)
        self._marked = 0.0

    @classmethod
    def beside(cls, db_path: Path | str) -> Journal | None:
        """The journal of a database file (None for an in-memory database)."""
        return None if str(db_path) == ":memory:" else cls(Path(db_path))

    def alerts(self, alerts: Iterable[Alert], upto: int) -> None:
        """Alerts whose commit just succeeded."""
        self._append(
            {"t": "alert", "fp": fingerprint(a.user, a.rule, a.ts), "id": a.id, "upto": upto}
            for a in alerts
        )

    def mark(self, upto: int, force: bool = False) -> None:
        """How far processing got (at most every :data:`MARK_EVERY` s unless ``force``)."""
        now = time.monotonic()
        if upto and (force or now - self._marked >= MARK_EVERY):
            self._marked = now
            self._append([{"t": "mark", "upto": upto}])

    def ack(self, key: str, opened: int, decision: str, updated: int) -> None:
        """An acknowledgement that just committed (``updated``: the incident's last
        signal)."""
        record = {"t": "ack", "key": key, "opened": opened, "decision": decision}
        self._append([{**record, "updated": updated}])

    def run(self, role: str, paths: list[str]) -> None:
        """A run over these log paths began."""
        self._append([{"t": "run", "role": role, "paths": paths}])

    def rebuilding(self) -> None:
        """``db recover`` starts a new database from the logs."""
        self._append([{"t": "rebuild"}])

    def held_data(self) -> bool:
        """Whether the journal shows that its database held data (since the last
        rebuild): an empty database beside it was then lost, not new."""
        held = False
        for record in self.read():
            kind = record.get("t")
            if kind == "rebuild":
                held = False
            elif kind in ("alert", "mark", "ack"):
                held = True
        return held

    def _append(self, records: Iterable[dict[str, Any]]) -> None:
        text = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records)
        if not text:
            return
        try:
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            logger.warning("cannot write the journal %s: %s", self.path, exc)

    def read(self) -> list[dict[str, Any]]:
        """Every readable record (a torn or damaged line is skipped)."""
        try:
            lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []
        out: list[dict[str, Any]] = []
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                out.append(record)
        return out
