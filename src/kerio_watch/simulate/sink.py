"""Buffered, time-ordered writers for the simulated log files.

Generators append ``(epoch, text)`` pairs in any order within a window of about a day (hot
paths bind ``sink.lines.append`` directly). ``flush_before`` sorts the pending lines by time
(stable, so lines of the same second keep the order they were added in), stamps them with the
site-local ``[DD/Mon/YYYY HH:MM:SS] `` prefix in bulk, one local day at a time, and writes them.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from operator import itemgetter
from pathlib import Path
from typing import TextIO

from kerio_watch.simulate.clock import DAY, SiteClock

_BY_TIME = itemgetter(0)
_WRITE_BUFFER = 1 << 20
_END = 1 << 62
_BLOCK = 2048

Line = tuple[int, str]


class LogSink:
    """One log file. ``text`` always ends in a newline and carries no time prefix."""

    def __init__(self, name: str, path: Path, clock: SiteClock, limit: int | None = None) -> None:
        self.name = name
        self.path = path
        self.count = 0
        self.limit = limit
        self.full = False  # the line limit was reached; nothing more is written
        self.last_t: int | None = None  # epoch of the last line written
        self.lines: list[Line] = []  # pending, unordered
        self.rewrite: Callable[[int, str], str] | None = None  # applied as lines are written
        self._clock = clock
        self._fh: TextIO | None = path.open(
            "w", encoding="utf-8", newline="\n", buffering=_WRITE_BUFFER
        )

    def add(self, t: int, text: str) -> None:
        self.lines.append((t, text))

    def flush_before(self, cut: int, until: int | None = None) -> None:
        """Write pending lines earlier than epoch ``cut``; drop those later than ``until``."""
        lines = self.lines
        if not lines:
            return
        lines.sort(key=_BY_TIME)
        i = bisect_left(lines, (cut,))
        if i == 0:
            return
        chunk = lines[:i]
        del lines[:i]
        if self.full:
            return
        if until is not None and chunk[-1][0] > until:
            chunk = chunk[: bisect_left(chunk, (until + 1,))]
        if self.limit is not None and self.count + len(chunk) >= self.limit:
            chunk = chunk[: self.limit - self.count]
            self.full = True
        if chunk and self.rewrite is not None:
            rewrite = self.rewrite
            chunk = [(t, rewrite(t, text)) for t, text in chunk]
        if chunk and self._fh is not None:
            self._write(self._fh, chunk)
            self.count += len(chunk)
            self.last_t = chunk[-1][0]

    def _write(self, fh: TextIO, chunk: list[Line]) -> None:
        """Stamp and write ``chunk`` (sorted), one local day (constant UTC offset) at a time.

        Lines are joined in blocks: one emoji in a subject makes a joined string four bytes
        per character, so small blocks keep most of the output compact and fast to encode.
        """
        clock = self._clock
        hms = clock.hms
        j, n = 0, len(chunk)
        while j < n:
            t0 = chunk[j][0]
            day = (t0 + clock.offset(t0)) // DAY
            k = max(j + 1, bisect_left(chunk, (clock.local_to_utc((day + 1) * DAY),), j))
            off = clock.day_offset(day)
            prefix = clock.prefix_for_day(day)
            for b in range(j, k, _BLOCK):
                part = chunk[b : min(k, b + _BLOCK)]
                if off is not None:
                    base = day * DAY - off
                    stamps = [prefix + hms[t - base] for t, _ in part]
                else:  # the day the zone changes its offset
                    stamps = [clock.stamp(t) for t, _ in part]
                flat = stamps + stamps
                flat[0::2] = stamps
                flat[1::2] = [text for _, text in part]
                fh.write("".join(flat))
            j = k

    def close(self, until: int | None = None) -> None:
        """Write whatever is left (up to ``until``) and close the file."""
        self.flush_before(_END, until)
        self.close_file()

    def close_file(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


class NullSink(LogSink):
    """A log that is not written (``only_mail``): lines are accepted and dropped."""

    def __init__(self, name: str, clock: SiteClock) -> None:
        self.name = name
        self.path = Path()
        self.count = 0
        self.limit = None
        self.full = False
        self.last_t = None
        self.lines = []
        self.rewrite = None
        self._clock = clock
        self._fh = None

    def flush_before(self, cut: int, until: int | None = None) -> None:
        self.lines.clear()
