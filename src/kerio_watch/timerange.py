"""Epoch seconds as datetimes, for any value a log or a database may hold.

Log content is attacker-controlled and clocks glitch: a line may say year 9999, and an
hour bucket or a report period a few hours after it is past what :mod:`datetime` can
represent. Every conversion of a stored time for display goes through :func:`aware`,
which clamps to the representable range (a day inside it, so any UTC offset fits)
instead of raising ``OverflowError``.

>>> aware(10**12, dt.UTC).isoformat()
'9999-12-30T00:00:00+00:00'
>>> aware(-(10**12), dt.UTC).year
1
"""

from __future__ import annotations

import datetime as dt

MIN_TS = int(dt.datetime(1, 1, 2, tzinfo=dt.UTC).timestamp())
"""The earliest epoch second shown as itself (0001-01-02 UTC)."""
MAX_TS = int(dt.datetime(9999, 12, 30, tzinfo=dt.UTC).timestamp())
"""The latest epoch second shown as itself (9999-12-30 UTC)."""


def clamp(ts: float) -> int:
    """``ts`` limited to [:data:`MIN_TS`, :data:`MAX_TS`]."""
    return int(min(max(ts, MIN_TS), MAX_TS))


def aware(ts: float, zone: dt.tzinfo) -> dt.datetime:
    """An aware datetime in ``zone`` for epoch seconds ``ts`` (clamped; never raises)."""
    return dt.datetime.fromtimestamp(clamp(ts), zone)


def utc(ts: float) -> dt.datetime:
    """:func:`aware` in UTC."""
    return aware(ts, dt.UTC)
