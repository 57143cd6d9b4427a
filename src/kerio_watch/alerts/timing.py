"""Durations and clock times as written in the configuration, and the retry schedule.

One parser for every duration in the configuration (``cooldown = "15m"``,
``timeout = "10s"``): see :func:`parse_duration`.
"""

from __future__ import annotations

import datetime as dt

from kerio_watch.settings.durations import format_duration, parse_clock, parse_duration
from kerio_watch.timerange import utc

__all__ = [
    "BACKOFF",
    "GIVE_UP_AFTER",
    "backoff",
    "format_duration",
    "last_slot",
    "local_time",
    "parse_clock",
    "parse_duration",
]

BACKOFF: tuple[int, ...] = (5, 30, 120, 600, 3600)
"""Seconds to wait after the 1st, 2nd, 3rd... failed attempt; the last step repeats."""

GIVE_UP_AFTER = 24 * 3600
"""A delivery still failing this long after it was queued is marked failed."""


def backoff(attempts: int) -> int:
    """Seconds before the next try after ``attempts`` failed attempts (1 or more).

    >>> [backoff(n) for n in range(1, 8)]
    [5, 30, 120, 600, 3600, 3600, 3600]
    """
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def local_time(ts: float, zone: dt.tzinfo | None) -> dt.datetime:
    """Epoch seconds -> an aware datetime in ``zone`` (None: this machine's local time)."""
    return utc(ts).astimezone(zone)


def last_slot(now: float, at: dt.time, zone: dt.tzinfo | None) -> float:
    """The latest instant at or before ``now`` when the local clock read ``at``.

    ``zone`` None means this machine's local time.

    >>> import datetime as dt
    >>> now = dt.datetime(2026, 3, 24, 7, 30, tzinfo=dt.UTC).timestamp()
    >>> dt.datetime.fromtimestamp(last_slot(now, dt.time(8, 0), dt.UTC), dt.UTC).isoformat()
    '2026-03-23T08:00:00+00:00'
    """
    # Naive local time when no zone is given: .timestamp() then applies this machine's
    # DST rules to the slot itself, not the offset in force at ``now``.
    local = dt.datetime.fromtimestamp(now, zone) if zone else dt.datetime.fromtimestamp(now)
    candidate = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if candidate > local:
        candidate -= dt.timedelta(days=1)
    return candidate.timestamp()
