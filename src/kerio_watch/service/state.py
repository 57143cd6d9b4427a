"""The follower's options, totals, lock and status metadata (see :mod:`kerio_watch.service`)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from kerio_watch.pipeline import RunStats
from kerio_watch.sources.follow import FollowOptions
from kerio_watch.store.base import FOLLOW_META
from kerio_watch.store.lock import WriterLock, lock_holder

META_PREFIX = FOLLOW_META
"""Metadata keys the service writes (read by ``kerio-watch status``)."""


@dataclass
class ServiceOptions:
    """How the service runs (defaults suit a Kerio server)."""

    poll: float = 0.5
    """Seconds between looks at the logs when idle."""
    save_every: float = 1.0
    """At most this long between saves while lines arrive."""
    save_lines: int = 20_000
    """Save after this many lines even sooner (backfill, bursts)."""
    heartbeat: float = 10.0
    """Seconds between heartbeats written while idle (``status`` shows them)."""
    deliver_every: float = 5.0
    """Seconds between looks at the delivery queue when no alert is new (retries)."""
    progress_every: float = 60.0
    """Seconds between progress lines in the service log."""
    retry_max: float = 60.0
    """Longest pause between attempts to write after a failure."""
    give_up_after: float = 600.0
    """Seconds of failing writes after which the service exits (status 7) so that its
    supervisor restarts it (a damaged database: after :data:`DAMAGE_TRIES` attempts)."""
    follow: FollowOptions = field(default_factory=FollowOptions)


@dataclass
class Totals:
    """What the follower has processed, over every run on this database."""

    lines: int = 0
    """Lines read (each once: blank lines excepted)."""
    events: Counter[str] = field(default_factory=Counter)
    unparsed: int = 0
    already_seen: int = 0
    """Lines a ``scan`` of the same database had processed before the first start."""
    alerts: int = 0
    implausible: int = 0
    """Lines set aside for an implausible time (:mod:`kerio_watch.pipeline.timeguard`)."""

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps(
            {
                "lines": self.lines,
                "events": dict(sorted(self.events.items())),
                "unparsed": self.unparsed,
                "already_seen": self.already_seen,
                "alerts": self.alerts,
                "implausible": self.implausible,
            },
            separators=(",", ":"),
        )

    @classmethod
    def now(cls, lines: int, unparsed: int, stats: RunStats) -> Totals:
        """The counts of one run as they stand: the follower's ``lines`` read and
        ``unparsed`` lines without a time, and the pipeline's ``stats``."""
        return cls(
            lines,
            Counter(stats.events),
            stats.unparsed + unparsed,
            stats.already_seen,
            stats.alerts,
            stats.implausible,
        )

    def add(self, now: Totals, marks: Totals) -> None:
        """Add what a run counted since ``marks`` (an earlier :meth:`now` of it)."""
        self.lines += now.lines - marks.lines
        self.events.update(now.events - marks.events)
        self.unparsed += now.unparsed - marks.unparsed
        self.already_seen += now.already_seen - marks.already_seen
        self.alerts += now.alerts - marks.alerts
        self.implausible += now.implausible - marks.implausible

    @classmethod
    def from_json(cls, text: str | None) -> Totals:
        """Inverse of :meth:`to_json` (empty totals for None or damage)."""
        try:
            data = json.loads(text) if text else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        events = data.get("events")
        return cls(
            lines=int(data.get("lines", 0)),
            events=Counter(events if isinstance(events, dict) else {}),
            unparsed=int(data.get("unparsed", 0)),
            already_seen=int(data.get("already_seen", 0)),
            alerts=int(data.get("alerts", 0)),
            implausible=int(data.get("implausible", 0)),
        )


class FollowLock(WriterLock):
    """One follower per state database (the writer's lock: :mod:`kerio_watch.store.lock`).

    The kernel drops the lock when the process dies (even by ``kill -9``), so ``status``
    can tell a running follower from a stale heartbeat.
    """

    def __init__(self, db_path: Path) -> None:
        super().__init__(db_path, "follow")


def follower_running(db_path: Path) -> tuple[bool | None, int | None]:
    """(running?, pid) of a follower from the lock file (None: cannot tell)."""
    held, pid, role = lock_holder(db_path)
    if held and role != "follow":
        return False, None
    return held, pid
