"""The server's local time for reports: office hours, hour-of-week and the times shown.

The store keeps UTC. The zone comes from ``[site] timezone`` (this command's config, else
the one the last scan ran with); without it, from the UTC offsets the last scan inferred
from Queue-IDs; without those, UTC, and the report says so.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from kerio_watch.config import Config
from kerio_watch.store import timezone
from kerio_watch.store.base import Store
from kerio_watch.timebase import Timebase
from kerio_watch.timerange import aware

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class ServerTime:
    """Converts stored UTC seconds to the mail server's wall clock.

    Args:
        zone: the configured zone, if any.
        offset: seconds east of UTC when no zone is configured.
        note: one sentence saying where the time zone came from.
        office: configured office hours (weekdays, start minute, end minute), if any.
    """

    zone: ZoneInfo | None
    offset: int
    note: str
    office: tuple[frozenset[int], int, int] | None = None
    office_text: str | None = None
    changes: tuple[tuple[int, int], ...] = ()
    """Inferred offsets with the instants they changed at (a daylight-saving change)."""

    @classmethod
    def for_store(cls, config: Config, store: Store) -> ServerTime:
        """The zone from the configuration, else from the last scan, else UTC."""
        office = config.site.office
        text = config.site.office_hours
        # The zone a scan was configured with, when this command has no config.
        zone = config.site.zone() or timezone.recorded_zone(store)
        if zone is not None:
            return cls(zone, 0, f"times in {zone.key}", office, text)
        changes = timezone.history(store)
        if changes:
            shown = "/".join(dict.fromkeys(_format_offset(o) for _, o in changes))
            note = f"times at UTC{shown} (inferred from Queue-IDs)"
            if len(changes) > 1:
                note += "; set [site] timezone to name the zone"
            return cls(None, changes[-1][1], note, office, text, tuple(changes))
        return cls(None, 0, "times in UTC (time zone unknown: set [site] timezone)", office, text)

    def offset_at(self, ts: int) -> int:
        """The UTC offset (seconds east) in force at ``ts`` when no zone is known."""
        if len(self.changes) < 2:
            return self.offset
        i = bisect.bisect_right([at for at, _ in self.changes], ts) - 1
        return self.changes[max(i, 0)][1]

    def local(self, ts: int) -> dt.datetime:
        """An aware datetime on the server's clock."""
        if self.zone is not None:
            return aware(ts, self.zone)
        return aware(ts, dt.timezone(dt.timedelta(seconds=self.offset_at(ts))))

    def utc_offset(self, ts: int) -> int:
        """The server's UTC offset (seconds east) at ``ts``."""
        offset = self.local(ts).utcoffset()
        return 0 if offset is None else int(offset.total_seconds())

    def timebase(self) -> Timebase:
        """A :class:`Timebase` that reads ``--since`` values on this clock."""
        if self.zone is not None:
            return Timebase(self.zone)
        if len(self.changes) > 1:
            return Timebase.from_history(list(self.changes))
        return Timebase(None, -self.offset)

    def shift_days(self, ts: int, days: int) -> int:
        """The same wall-clock time ``days`` calendar days later (earlier if negative):
        a week before Monday 00:00 is Monday 00:00, across a daylight-saving change too.
        """
        naive = self.local(ts).replace(tzinfo=None) + dt.timedelta(days=days)
        if self.zone is not None:
            return int(naive.replace(tzinfo=self.zone).timestamp())
        guess = int(naive.replace(tzinfo=dt.UTC).timestamp())
        offset = self.local(guess).utcoffset() or dt.timedelta()
        utc = guess - int(offset.total_seconds())
        again = self.local(utc).utcoffset() or dt.timedelta()
        return guess - int(again.total_seconds())

    def how(self, ts: int) -> int:
        """Hour of week, 0 = Monday 00:00 local."""
        local = self.local(ts)
        return local.weekday() * 24 + local.hour

    def fmt(self, ts: int, seconds: bool = False) -> str:
        """``2026-03-23 14:05`` on the server's clock."""
        return self.local(ts).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")

    def fmt_hour(self, ts: int) -> str:
        """``Mon 2026-03-23 14:00`` for an hour bucket."""
        local = self.local(ts)
        return f"{DAY_NAMES[local.weekday()]} {local.strftime('%Y-%m-%d %H:00')}"

    def iso(self, ts: int) -> str:
        """ISO 8601 with the server's offset (for JSON)."""
        return self.local(ts).isoformat()

    def in_office_hours(self, ts: int) -> bool | None:
        """Inside the configured office hours (None when none are configured)."""
        if self.office is None:
            return None
        days, start, end = self.office
        local = self.local(ts)
        minute = local.hour * 60 + local.minute
        return local.weekday() in days and start <= minute < end


def _format_offset(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def describe_how(how: int) -> str:
    """``Tue 03:00`` for an hour of week."""
    return f"{DAY_NAMES[how // 24]} {how % 24:02d}:00"


def describe_active_hours(how: list[int], share: float = 0.02) -> str:
    """When an account usually sends, from its hour-of-week counts.

    >>> describe_active_hours([0] * 8 + [5] * 10 + [0] * 150)
    'Mon 08:00-18:00'
    """
    total = sum(how)
    if not total:
        return "no mail learned yet"
    days = [d for d in range(7) if sum(how[d * 24 : d * 24 + 24]) >= share * total]
    by_hour = [sum(how[d * 24 + h] for d in range(7)) for h in range(24)]
    hours = [h for h in range(24) if by_hour[h] >= share * total]
    if not days or not hours:
        return "no regular hours"
    return f"{_ranges(days, DAY_NAMES, '-', ', ')} {_hour_ranges(hours)}"


def _ranges(values: list[int], names: tuple[str, ...], dash: str, sep: str) -> str:
    runs: list[list[int]] = []
    for v in values:
        if runs and v == runs[-1][-1] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return sep.join(
        names[r[0]] if len(r) == 1 else f"{names[r[0]]}{dash}{names[r[-1]]}" for r in runs
    )


def _hour_ranges(hours: list[int]) -> str:
    runs: list[list[int]] = []
    for h in hours:
        if runs and h == runs[-1][-1] + 1:
            runs[-1].append(h)
        else:
            runs.append([h])
    return ", ".join(f"{r[0]:02d}:00-{r[-1] + 1:02d}:00" for r in runs)
