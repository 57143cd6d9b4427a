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

from kerio_watch.timerange import aware

_QUARTER_HOUR = 900
ZONE_CHECKS = 100
"""Queue-IDs a configured zone is compared with (one a minute of log time at most)."""
_MAX_OFFSET = 14 * 3600
ALWAYS = -(2**62)
"""The start of the first offset in a history (before any change)."""

History = list[tuple[int, int]]
"""(UTC instant from which it applies, the UTC offset east in seconds), oldest first;
the first instant is :data:`ALWAYS`."""


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
        self._wall_cache: dict[int, int] = {}
        self.stored = False
        """Seeded from the offsets an earlier scan recorded (no Queue-ID seen yet)."""
        self.resumed: int | None = None
        """The newest time (UTC) an earlier run processed: a run that starts inside the
        repeated hour, after its first pass was processed, is in its second pass."""
        self.recorded = False
        """Zone: the one the state database recorded from an earlier scan's
        configuration (this run has none naming one)."""
        self.zone_checked = 0
        """Configured zone: Queue-IDs compared with it (the first :data:`ZONE_CHECKS`)."""
        self.zone_off: dict[int, int] = {}
        """Configured zone: offset east the Queue-IDs that disagree with it say -> count."""

    @classmethod
    def from_history(cls, history: History) -> Timebase:
        """Inferred mode, seeded with the offsets an earlier scan inferred: until this
        run sees a Queue-ID, each line takes the offset in force at its time."""
        tb = cls(None, -history[-1][1])
        tb._changes_at = [at for at, _ in history]
        tb._changes_delta = [-offset for _, offset in history]
        tb.stored = True
        return tb

    def history(self) -> History:
        """The offsets in force over time (inferred mode), oldest first."""
        out: History = []
        for at, delta in zip(self._changes_at, self._changes_delta, strict=True):
            if not out or out[-1][1] != -delta:
                out.append((at, -delta))
        return out

    # -- inferred mode ---------------------------------------------------------------
    def observe_queue_id(self, queue_id: str, local_ts: int) -> None:
        """Learn the offset from a Recv line's Queue-ID (inferred mode); with a
        configured zone, compare the first ones with it (see :meth:`doubt`)."""
        if not self.inferred:
            if self.zone_checked < ZONE_CHECKS:
                self._check_zone(queue_id, local_ts)
            return
        delta = offset_from_queue_id(queue_id, local_ts)
        if delta is None:
            return
        self.stored = False  # live evidence replaces the stored offsets from here on
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

    def _check_zone(self, queue_id: str, local_ts: int) -> None:
        delta = offset_from_queue_id(queue_id, local_ts)
        if delta is None:
            return
        self.zone_checked += 1
        hour = local_ts // 3600
        pair = self._hour_cache.get(hour) or self._offsets_for_hour(hour)
        if -delta not in pair:
            self.zone_off[-delta] = self.zone_off.get(-delta, 0) + 1

    def doubt(self) -> str | None:
        """Why the configured zone looks wrong for these logs: most Queue-IDs (UTC, as
        Kerio writes them) put the server at another offset. None when they agree, or
        when there is no zone or too few Queue-IDs to tell."""
        off = sum(self.zone_off.values())
        if self.zone is None or self.zone_checked < 3 or off * 2 <= self.zone_checked:
            return None
        said = max(self.zone_off, key=lambda k: self.zone_off[k])
        if self.recorded:
            named = (
                f"the time zone {self.zone.key} the state database recorded from an earlier scan"
            )
            fix = "set the server's zone in [site] timezone"
        else:
            named = f"[site] timezone {self.zone.key}"
            fix = "set the server's zone, or remove [site] timezone to infer it from Queue-IDs"
        return (
            f"{named} disagrees with the logs: {off:,} of {self.zone_checked:,} Queue-IDs "
            f"put the server at UTC{_format_offset(said)}, so the times read from them are "
            f"off; {fix}"
        )

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
            if self.stored:
                return self._stored_utc(local_ts)
            return local_ts + self.delta
        hour = local_ts // 3600
        pair = self._hour_cache.get(hour)
        if pair is None:
            pair = self._offsets_for_hour(hour)
        first, second = pair
        if first == second:
            return local_ts - first
        # Ambiguous hour: watch for the clock going back (from what an earlier run
        # processed, for the first line of the hour this run reads).
        seen = self._max_in_hour.get(hour)
        back = (
            local_ts < seen - 600
            if seen is not None
            else self._second_pass_processed(local_ts - first, local_ts - second)
        )
        if back:
            self._fold_hours.add(hour)
        if seen is None or local_ts > seen:
            self._max_in_hour[hour] = local_ts
        return local_ts - (second if hour in self._fold_hours else first)

    def _second_pass_processed(self, early: int, late: int) -> bool:
        """Whether an earlier run's newest time is past the first pass of a repeated
        hour's local time (``early``, ``late``: its two UTC instants), but not more
        than an hour after its second (a scan of older logs is not in the hour)."""
        resumed = self.resumed
        return resumed is not None and early + 600 < resumed <= late + 3600

    def _stored_utc(self, local_ts: int) -> int:
        """Local -> UTC with the stored offsets: the latest change in force at that time."""
        for at, delta in zip(
            reversed(self._changes_at), reversed(self._changes_delta), strict=True
        ):
            if local_ts + delta >= at:
                return local_ts + delta
        return local_ts + self._changes_delta[0]

    def shift_between(self, first: int, last: int) -> int | None:
        """``UTC - local`` if :meth:`to_utc` maps every local time in ``[first, last]`` by
        that one constant (and changes no state doing so); None when it does not (a
        daylight-saving change or an ambiguous hour in between, or a span over a day)."""
        if self.zone is None:
            if not self.stored:
                return self.delta
            lo = self._stored_utc(first) - first
            hi = self._stored_utc(last) - last
            if lo != hi or any(first + lo < at <= last + hi for at in self._changes_at):
                return None
            return lo
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
            off = aware(utc_ts, self.zone).utcoffset()
            return int(off.total_seconds()) if off else 0
        i = bisect.bisect_right(self._changes_at, utc_ts) - 1
        return -self._changes_delta[max(i, 0)]

    def wall(self, utc_ts: int) -> int:
        """A UTC instant as the server's local wall-clock seconds (the inverse of
        :meth:`to_utc`, up to the repeated hour); cached per hour."""
        hour = utc_ts // 3600
        off = self._wall_cache.get(hour)
        if off is None:
            off = self.offset_at(hour * 3600)
            if len(self._wall_cache) > 100_000:
                self._wall_cache.clear()
            self._wall_cache[hour] = off
        return utc_ts + off

    def localize(self, utc_ts: int) -> dt.datetime:
        """A UTC epoch as an aware datetime in the server's offset."""
        if self.zone is not None:
            return aware(utc_ts, self.zone)
        tz = dt.timezone(dt.timedelta(seconds=self.offset_at(utc_ts)))
        return aware(utc_ts, tz)

    def offsets(self) -> list[int]:
        """The UTC offsets (seconds east) seen so far in inferred mode, in time order."""
        out: list[int] = []
        for delta in self._changes_delta:
            if not out or out[-1] != -delta:
                out.append(-delta)
        return out

    def describe(self) -> str:
        """One sentence for the user: where the time zone came from."""
        if self.zone is not None and self.recorded:
            return (
                f"time zone {self.zone.key} (recorded in the state database from an earlier "
                "scan's [site] timezone; no configuration names one now)"
            )
        if self.zone is not None:
            return f"time zone {self.zone.key} (from the configuration)"
        if not self.had_hint:
            return (
                "time zone unknown (no Queue-IDs in the logs): times are taken as UTC; "
                "set [site] timezone"
            )
        offsets = sorted({-d for d in self._changes_delta})
        shown = ", ".join(_format_offset(o) for o in offsets)
        if self.stored:
            return (
                f"UTC offset {shown} stored in the state database (inferred from Queue-IDs "
                "by an earlier scan; these logs have none)"
            )
        return f"UTC offset {shown} inferred from {self.seen_queue_ids:,} Queue-IDs"


def _format_offset(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def merge_history(old: History, new: History, since: int) -> History:
    """The offsets known before ``since`` (UTC) from ``old``, then those of ``new``.

    >>> merge_history([(ALWAYS, 3600), (100, 7200)], [(ALWAYS, 7200), (500, 3600)], 300)
    [(-4611686018427387904, 3600), (100, 7200), (500, 3600)]
    """
    kept = [(at, off) for at, off in old if at < since]
    for at, offset in new:
        start = since if at == ALWAYS else at
        if kept and kept[-1][1] == offset:
            continue
        kept.append((ALWAYS if not kept else start, offset))
    return kept
