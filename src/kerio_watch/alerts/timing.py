"""Durations and clock times as written in the configuration, and the retry schedule.

One parser for every duration in the configuration (``cooldown = "15m"``,
``timeout = "10s"``): see :func:`parse_duration`.
"""

from __future__ import annotations

import datetime as dt
import re

from kerio_watch.timerange import utc

BACKOFF: tuple[int, ...] = (5, 30, 120, 600, 3600)
"""Seconds to wait after the 1st, 2nd, 3rd... failed attempt; the last step repeats."""

GIVE_UP_AFTER = 24 * 3600
"""A delivery still failing this long after it was queued is marked failed."""

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")


def parse_duration(value: str | int | float) -> float:
    """``"15m"`` -> 900.0. Accepts seconds as a number, or ``1h30m``-style strings.

    >>> parse_duration("1h30m"), parse_duration("90s"), parse_duration(2.5), parse_duration("0")
    (5400.0, 90.0, 2.5, 0.0)

    Raises:
        ValueError: not a duration, or negative.
    """
    if isinstance(value, bool):
        raise ValueError(f'expected a duration like "90s", "15m" or "1h", got {value!r}')
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"expected a duration of 0 or more, got {value!r}")
        return float(value)
    text = value.strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    if not text or not re.fullmatch(rf"(?:{_PART.pattern})+", text):
        raise ValueError(f'expected a duration like "90s", "15m", "1h" or "1h30m", got {value!r}')
    return float(sum(float(n) * _UNITS[u] for n, u in _PART.findall(text)))


def format_duration(seconds: float) -> str:
    """900 -> ``"15m"``; the inverse of :func:`parse_duration` for display.

    >>> format_duration(900), format_duration(5400), format_duration(2.5), format_duration(0)
    ('15m', '1h30m', '2.5s', '0s')
    """
    if seconds != int(seconds):
        return f"{seconds:g}s"
    rest = int(seconds)
    if rest == 0:
        return "0s"
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            out += f"{rest // size}{unit}"
            rest %= size
    return out


def parse_clock(value: str) -> dt.time:
    """``"08:00"`` -> ``time(8, 0)``.

    Raises:
        ValueError: not HH:MM.
    """
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", value)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ValueError(f'expected a time of day like "08:00", got {value!r}')
    return dt.time(int(m.group(1)), int(m.group(2)))


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
