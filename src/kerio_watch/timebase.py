"""The server's time zone: turning Kerio's local wall times into UTC and back.

Kerio writes local time with no offset. The zone comes from ``[site] timezone`` or is
inferred from Queue-IDs, whose first half is the receive time as a hex UTC epoch
(``shared/docs/kerio-log-formats.md`` §3.6): ``epoch - local`` is the offset, and
following it line by line tracks daylight-saving changes as they happen in the log.

With a configured zone, the repeated hour at the end of daylight saving is resolved by
watching the clock go back: the first pass through the hour is the earlier instant
(``fold=0``) and, once local time jumps back by more than ten minutes inside the
ambiguous hour, the rest of it is the later one (``fold=1``). A missing hour (clocks go
forward) cannot occur in a correct log and is mapped forward, as ``zoneinfo`` does.
"""

from __future__ import annotations

import bisect
import datetime as dt
from zoneinfo import ZoneInfo

_QUARTER_HOUR = 900
_MAX_OFFSET = 14 * 3600


def offset_from_queue_id(queue_id: str, local_ts: int) -> int | None:
    """``UTC - local`` in seconds, rounded to a quarter hour, from one Queue-ID.

    >>> offset_from_queue_id("51d42a8d-000017d2", 1372844621)  # 03/Jul/2013 09:43:41
    14400
    """
    head = queue_id[:8]
    if len(head) != 8 or queue_id[8:9] != "-":
        return None
    try:
        epoch = int(head, 16)
    except ValueError:
        return None
    delta = epoch - local_ts
    rounded = round(delta / _QUARTER_HOUR) * _QUARTER_HOUR
    if abs(rounded) > _MAX_OFFSET or abs(delta - rounded) > 300:
        return None
    return rounded


class Timebase:
    """Converts local wall-clock epoch seconds to UTC and tells the offset in force.

    Args:
        zone: the configured IANA zone, or None to infer from Queue-IDs.
        initial_delta: ``UTC - local`` to assume before the first Queue-ID (inferred
            mode), usually from a pre-scan of the mail log.
    """

    def __init__(self, zone: ZoneInfo | None = None, initial_delta: int | None = None) -> None:
        self.zone = zone
        self.inferred = zone is None
        self.delta = initial_delta if initial_delta is not None else 0
        self.seen_queue_ids = 0
        self.had_hint = initial_delta is not None
        self._candidate: int | None = None
        # Change points (utc_from, delta) for offset_at() in inferred mode.
        self._changes_at: list[int] = [-(2**62)]
        self._changes_delta: list[int] = [self.delta]
        self._hour_cache: dict[int, tuple[int, int]] = {}
        self._fold_hours: set[int] = set()
        self._max_in_hour: dict[int, int] = {}

    # -- inferred mode ---------------------------------------------------------------
    def observe_queue_id(self, queue_id: str, local_ts: int) -> None:
        """Learn the offset from a Recv line's Queue-ID (inferred mode only)."""
        if not self.inferred:
            return
        delta = offset_from_queue_id(queue_id, local_ts)
        if delta is None:
            return
        self.seen_queue_ids += 1
        if not self.had_hint:
            self.had_hint = True
            self._set_delta(delta, local_ts, first=True)
            return
        if delta == self.delta:
            self._candidate = None
            return
        # Require two agreeing Queue-IDs before switching (one odd line is noise).
        if self._candidate == delta:
            self._set_delta(delta, local_ts)
            self._candidate = None
        else:
            self._candidate = delta

    def _set_delta(self, delta: int, local_ts: int, first: bool = False) -> None:
        self.delta = delta
        if first:
            self._changes_delta[0] = delta
            return
        self._changes_at.append(local_ts + delta)
        self._changes_delta.append(delta)

    # -- conversion -----------------------------------------------------------------
    def to_utc(self, local_ts: int) -> int:
        """Local wall-clock seconds -> UTC epoch seconds."""
        if self.zone is None:
            return local_ts + self.delta
        hour = local_ts // 3600
        pair = self._hour_cache.get(hour)
        if pair is None:
            pair = self._offsets_for_hour(hour)
        first, second = pair
        if first == second:
            return local_ts - first
        # Ambiguous hour: watch for the clock going back.
        seen = self._max_in_hour.get(hour)
        if seen is not None and local_ts < seen - 600:
            self._fold_hours.add(hour)
        if seen is None or local_ts > seen:
            self._max_in_hour[hour] = local_ts
        return local_ts - (second if hour in self._fold_hours else first)

    def shift_between(self, first: int, last: int) -> int | None:
        """``UTC - local`` if :meth:`to_utc` maps every local time in ``[first, last]`` by
        that one constant (and changes no state doing so); None when it does not (a
        daylight-saving change or an ambiguous hour in between, or a span over a day)."""
        if self.zone is None:
            return self.delta
        if last - first > 86400:
            return None
        offset: int | None = None
        for hour in range(first // 3600, last // 3600 + 1):
            pair = self._hour_cache.get(hour)
            if pair is None:
                pair = self._offsets_for_hour(hour)
            if pair[0] != pair[1] or (offset is not None and pair[0] != offset):
                return None
            offset = pair[0]
        return None if offset is None else -offset

    def _offsets_for_hour(self, hour: int) -> tuple[int, int]:
        zone = self.zone
        if zone is None:
            return (0, 0)
        naive = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=hour * 3600 + 1800)
        first = naive.replace(tzinfo=zone, fold=0).utcoffset()
        second = naive.replace(tzinfo=zone, fold=1).utcoffset()
        pair = (
            int(first.total_seconds()) if first else 0,
            int(second.total_seconds()) if second else 0,
        )
        if len(self._hour_cache) > 100_000:
            self._hour_cache.clear()
        self._hour_cache[hour] = pair
        return pair

    def offset_at(self, utc_ts: int) -> int:
        """The server's UTC offset (seconds east) in force at a UTC instant."""
        if self.zone is not None:
            off = dt.datetime.fromtimestamp(utc_ts, self.zone).utcoffset()
            return int(off.total_seconds()) if off else 0
        i = bisect.bisect_right(self._changes_at, utc_ts) - 1
        return -self._changes_delta[max(i, 0)]

    def localize(self, utc_ts: int) -> dt.datetime:
        """A UTC epoch as an aware datetime in the server's offset."""
        if self.zone is not None:
            return dt.datetime.fromtimestamp(utc_ts, self.zone)
        tz = dt.timezone(dt.timedelta(seconds=self.offset_at(utc_ts)))
        return dt.datetime.fromtimestamp(utc_ts, tz)

    def offsets(self) -> list[int]:
        """The UTC offsets (seconds east) seen so far in inferred mode, in time order."""
        out: list[int] = []
        for delta in self._changes_delta:
            if not out or out[-1] != -delta:
                out.append(-delta)
        return out

    def describe(self) -> str:
        """One sentence for the user: where the time zone came from."""
        if self.zone is not None:
            return f"time zone {self.zone.key} (from the configuration)"
        if not self.had_hint:
            return (
                "time zone unknown (no Queue-IDs in the logs): times are taken as UTC; "
                "set [site] timezone"
            )
        offsets = sorted({-d for d in self._changes_delta})
        shown = ", ".join(_format_offset(o) for o in offsets)
        return f"UTC offset {shown} inferred from {self.seen_queue_ids} Queue-IDs"


def _format_offset(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
