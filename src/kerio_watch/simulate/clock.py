"""Site-local time for the simulator: UTC epoch seconds in, Kerio ``[DD/Mon/YYYY HH:MM:SS] `` out.

Everything inside the simulator is an integer UTC epoch second. Only the line prefix (and the
``Delivered:`` field of operations.log) is local time, computed from cached zone offsets so that
formatting a line costs a few dictionary look-ups.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
DAY = 86400
_OFFSET_SLOT = 900  # zone transitions fall on quarter hours in UTC

_HMS: list[str] = []


def hms_table() -> list[str]:
    """``"HH:MM:SS] "`` for every second of a day (built once)."""
    if not _HMS:
        _HMS.extend(
            f"{h:02d}:{m:02d}:{s:02d}] " for h in range(24) for m in range(60) for s in range(60)
        )
    return _HMS


def naive_day(d: date) -> int:
    """Local midnight of ``d`` as 'naive' seconds (local wall clock counted like UTC)."""
    return (d.toordinal() - EPOCH_ORDINAL) * DAY


class SiteClock:
    """Converts between UTC epoch seconds and the site's wall clock."""

    def __init__(self, tz_name: str) -> None:
        self.tz = ZoneInfo(tz_name)
        self.offsets: dict[int, int] = {}  # t // 900 -> UTC offset in seconds
        self.day_prefix: dict[int, str] = {}  # local day number -> "[DD/Mon/YYYY "
        self.hms = hms_table()
        self._day_offset: dict[int, int | None] = {}

    def offset(self, t: int) -> int:
        """UTC offset in seconds at epoch second ``t``."""
        slot = t // _OFFSET_SLOT
        off = self.offsets.get(slot)
        if off is None:
            delta = datetime.fromtimestamp(slot * _OFFSET_SLOT, UTC).astimezone(self.tz).utcoffset()
            off = int(delta.total_seconds()) if delta is not None else 0
            self.offsets[slot] = off
        return off

    def prefix_for_day(self, day: int) -> str:
        """``"[DD/Mon/YYYY "`` for local day number ``day`` (days since 1970-01-01)."""
        prefix = self.day_prefix.get(day)
        if prefix is None:
            d = date.fromordinal(day + EPOCH_ORDINAL)
            prefix = f"[{d.day:02d}/{MONTHS[d.month - 1]}/{d.year} "
            self.day_prefix[day] = prefix
        return prefix

    def stamp(self, t: int) -> str:
        """The ``[DD/Mon/YYYY HH:MM:SS] `` prefix of a line written at ``t``."""
        local = t + self.offset(t)
        day = local // DAY
        return self.prefix_for_day(day) + self.hms[local - day * DAY]

    def wall(self, t: int) -> str:
        """``DD/Mon/YYYY HH:MM:SS`` (no brackets), as in operations.log ``Delivered:``."""
        return self.stamp(t)[1:21]

    def day_offset(self, day: int) -> int | None:
        """The offset valid for the whole local day, or None on a day with a zone change."""
        if day in self._day_offset:
            return self._day_offset[day]
        d = date.fromordinal(day + EPOCH_ORDINAL)
        first = datetime(d.year, d.month, d.day, tzinfo=self.tz).utcoffset()
        last = datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=self.tz).utcoffset()
        off = int(first.total_seconds()) if first is not None and first == last else None
        self._day_offset[day] = off
        return off

    def local_to_utc(self, naive: int) -> int:
        """Epoch second of local wall time ``naive`` (a missing hour maps forward, PEP 495)."""
        off = self.day_offset(naive // DAY)
        if off is not None:
            return naive - off
        wall = datetime(1970, 1, 1) + timedelta(seconds=naive)
        return int(wall.replace(tzinfo=self.tz).timestamp())

    @staticmethod
    def utc(t: int) -> datetime:
        """Aware UTC datetime of epoch second ``t``."""
        return datetime.fromtimestamp(t, UTC)

    def local_text(self, t: int) -> str:
        """``YYYY-MM-DD HH:MM`` local, for human descriptions."""
        local = datetime.fromtimestamp(t, UTC).astimezone(self.tz)
        return local.strftime("%Y-%m-%d %H:%M")


class Day:
    """One simulated local calendar day."""

    __slots__ = ("base", "clock", "date", "end", "index", "naive", "off", "start", "weekday")

    def __init__(self, clock: SiteClock, index: int, d: date) -> None:
        self.clock = clock
        self.index = index
        self.date = d
        self.weekday = d.weekday()
        self.naive = naive_day(d)
        self.off = clock.day_offset(self.naive // DAY)
        #: ``base + seconds`` is the epoch of a local time on this day, unless the offset
        #: changes during the day (then None: use :meth:`at`).
        self.base = self.naive - self.off if self.off is not None else None
        self.start = clock.local_to_utc(self.naive)
        self.end = clock.local_to_utc(self.naive + DAY)

    def at(self, seconds: float) -> int:
        """Epoch second of local time ``seconds`` after this day's midnight."""
        sec = int(seconds)
        if self.off is not None and 0 <= sec < DAY:
            return self.naive + sec - self.off
        return self.clock.local_to_utc(self.naive + sec)

    @property
    def workday(self) -> bool:
        return self.weekday < 5
