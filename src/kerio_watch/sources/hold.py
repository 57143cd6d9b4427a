"""Holding a log's lines until the other logs have caught up with them (``follow``).

``scan`` merges whole files by time. ``follow`` can only merge what is on disk at each
poll, and Kerio does not write its logs together: one log's lines (``audit.log`` with a
webmail login, say) can reach the disk seconds after another log's later lines (the
sends the login explains). Merged as they come, the sends would be judged before the
login that ``scan`` puts before them.

So a line is handed over only once every other log that is being written has caught
up with its time ``t``, and waits otherwise, bounded. Another log has caught up when:

- it has shown a line at or after ``t`` (the cross-log watermark); or
- this poll looked at the files after ``t`` plus the log's writing lag plus a margin
  (:meth:`Lags.due`): had it written anything up to ``t``, that would be on disk by
  then, if it writes as late as it has lately. The lag is learned from the lines this
  run saw arrive (the poll's clock minus the line's log time, the largest of the last
  hour; a file's last line arrived at its modification time, so a log that wrote
  before the start is known by its last line), so it also absorbs the log's zone or
  clock offset. The margin grows with how much the lag varied, assumed large until
  :data:`LEARNED` polls found the log's lines arriving. A log that writes promptly but
  has nothing to say then stops costing the whole wait, while a log written late (a
  minute behind) is still waited for; or
- its last line is more than :data:`QUIET` seconds of log time older than ``t``
  (a log with nothing to say, at night; ``config.log``), and those seconds have passed
  on the clock by its lag (another log's stamps read at once, a day of a backlog, are
  not a silence): not waited for; or
- none of its lines were seen by this run: not waited for either.

A line waits at most :attr:`CrossLogHold.wait` seconds of wall time (the longest a
log is expected to trail another) from the first poll that found it in its file.

Held lines stay in their files, unread as far as the checkpoint goes: a restart reads
them again (exactly once holds). The wall clock only schedules the wait; the order
itself is that of log time, as ``scan``'s.

>>> clock = [0.0]
>>> hold = CrossLogHold(wait=30.0, clock=lambda: clock[0])
>>> hold.readable([], clock[0])
>>> hold.shown("audit", 100)
>>> hold.blocked("mail", 95, set(), 0.0), hold.blocked("mail", 101, set(), 0.0)
(False, True)
>>> hold.blocked("mail", 101, {"audit"}, 0.0), hold.blocked("mail", 100 + QUIET + 1, set(), 0.0)
(False, False)
>>> hold.blocked("mail", 101, set(), -30.0)  # found 30 s ago: waited long enough
False
>>> for look in range(LEARNED):  # audit.log's lines arrived 0.5 s after their time
...     hold.lags.add("audit", 0.5, look)
>>> hold.lags.due("audit", 101)  # its lines up to 101 are on disk by then (+ MARGIN)
103.5
>>> hold.readable([], 103.5)  # a look at the files then: audit.log has nothing at 101
>>> hold.blocked("mail", 101, set(), 103.5)
False
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence

QUIET = 600
"""Seconds of log time after its last line from which a log is not waited for."""
MARGIN = 2.0
"""Seconds a log is waited for beyond its learned lag (besides :data:`SPREAD`)."""
SPREAD = 0.5
"""And this share of how much its lag varied (a log written in bursts varies more)."""
LAG_WINDOW = 3600.0
"""Clock seconds a lag seen counts (the last :data:`LAG_KEEP` minutes with an
arrival count however old)."""
LAG_KEEP = 8
LEARNED = 5
"""Looks that found lines of a log (within the window) before its variation is trusted."""
UNSURE = 10.0
"""Seconds a log's lag is assumed to vary by until then."""
BUCKET = 60.0
"""Clock seconds whose lags are kept as one (their extremes)."""


class Lags:
    """How late each log's lines reach the disk: when a line was on disk (by the clock)
    minus the line's own log time, at most, over the last hour (and at least the last
    few minutes that had arrivals, for a log that writes rarely).

    The clock is monotonic and log time is the server's local time, so a lag holds an
    offset (the log's zone, the clocks' origins) as well as the delay: only its
    differences mean anything, and it is only ever compared with the same log's lines.
    A line found by a look that an earlier look of this run had not was on disk by that
    look and by the file's modification time then, whichever came first: an upper
    bound, so polling never makes the lag look smaller than it was. The other lines a
    run's first look finds may have been written any time before and tell nothing;
    only each file's last line does (it was written at the file's modification time).
    """

    def __init__(self) -> None:
        self._seen: dict[str, list[list[float]]] = {}
        """log -> [clock of its first arrival, largest lag, smallest lag, looks] per
        bucket, oldest first."""
        self._range: dict[str, tuple[float, float, float]] = {}
        """log -> (largest lag, smallest lag, looks) over its buckets."""
        self._last: dict[str, float] = {}
        """log -> the latest look whose arrivals were counted."""

    def add(self, log: str, lag: float, at: float) -> None:
        """A line of ``log`` arrived ``lag`` seconds after its time, found by the look
        at clock time ``at`` (lines read again, after a wait, count once)."""
        buckets = self._seen.setdefault(log, [])
        last = buckets[-1] if buckets else None
        if last is not None and last[0] > at - BUCKET:
            last[1], last[2] = max(last[1], lag), min(last[2], lag)
        else:
            last = [at, lag, lag, 0.0]
            buckets.append(last)
        hi, lo, looks = self._range.get(log, (lag, lag, 0.0))
        if self._last.get(log, at - 1) < at:  # the first line this look found
            self._last[log] = at
            last[3] += 1
            looks += 1
        self._range[log] = (max(hi, lag), min(lo, lag), looks)

    def forget(self, now: float) -> None:
        """Drop lags older than :data:`LAG_WINDOW` (keeping the last :data:`LAG_KEEP`)."""
        for log, buckets in self._seen.items():
            old = 0
            while len(buckets) - old > LAG_KEEP and buckets[old][0] < now - LAG_WINDOW:
                old += 1
            if old:
                del buckets[:old]
                self._range[log] = (
                    max(b[1] for b in buckets),
                    min(b[2] for b in buckets),
                    sum(b[3] for b in buckets),
                )

    def latest(self, log: str, key: int) -> float | None:
        """The clock time by which ``log``'s line at ``key`` is on disk at its largest lag,
        without a margin (None: its lines were never seen arriving)."""
        got = self._range.get(log)
        return None if got is None else key + got[0]

    def due(self, log: str, key: int) -> float | None:
        """The clock time by which ``log``'s lines up to log time ``key`` are on disk: its
        largest lag plus :data:`MARGIN` and :data:`SPREAD` of how much its lag varied, at
        least :data:`UNSURE` while it was seen arriving fewer than :data:`LEARNED` times
        (a log that writes rarely, ``config.log``; after a start, one known only by its
        last line). None: its lines were never seen arriving."""
        got = self._range.get(log)
        if got is None:
            return None
        hi, lo, looks = got
        spread = hi - lo if looks >= LEARNED else max(hi - lo, UNSURE)
        return key + hi + MARGIN + SPREAD * spread


class CrossLogHold:
    """What each log has shown and how long each has had lines held (one follower).

    Args:
        wait: longest wall-clock seconds a log's lines wait for the others (0: no wait,
            lines of one poll are merged as they are).
        clock: monotonic seconds (scheduling only).
    """

    def __init__(self, wait: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.wait = wait
        self.clock = clock
        self.lags = Lags()
        """Each log's writing lag, learned from the lines this run saw arrive."""
        self._shown: dict[str, int] = {}
        """The latest merge time read from each log by this run."""
        self._sizes: dict[object, list[tuple[int, float, bool, float | None]]] = {}
        """Per readable file: (its size, when a poll first found it that large, whether
        an earlier poll had looked: the lines up to that size arrived after it, when its
        last line was written: its modification time)."""
        self._looked: float | None = None
        """When the current poll took the files' sizes (None: no poll yet)."""
        self._arrived: dict[str, list[float]] = {}
        """log -> [when a look found them, when they were written by, earliest time,
        latest time] of the lines read from it."""

    def readable(
        self, files: Sequence[tuple[object, int, int, float | None]], looked: float
    ) -> None:
        """The files with lines to read at this poll: (file, checkpoint, size, when its
        last line was written or None) each, the sizes taken from clock time ``looked``."""
        timed = self._looked is not None
        sizes = {}
        for f, offset, size, last in files:
            seen = [e for e in self._sizes.get(f, []) if e[0] > offset]
            if not seen or seen[-1][0] < size:
                seen.append((size, looked, timed, last))
            sizes[f] = seen
        self._sizes = sizes
        self._looked = looked
        self.lags.forget(looked)

    def found(self, f: object, end: int) -> float:
        """When a poll first found the line of ``f`` that ends at byte ``end``."""
        for size, at, _, _ in self._sizes.get(f, []):
            if size >= end:
                return at
        return self.clock()

    def shown(self, log: str, key: int, f: object = None, end: int = 0) -> None:
        """A line of ``log`` with merge time ``key`` was read (from ``f``, ending at byte
        ``end``: when it arrived is learned)."""
        if key > self._shown.get(log, key - 1):
            self._shown[log] = key
        for size, at, timed, last in self._sizes.get(f, ()):
            if size >= end:
                if end == size and last is not None:  # the line written at the mtime
                    self.lags.add(log, min(last, at) - key, at)
                elif timed:  # kept as the extremes of each look, for speed
                    seen = self._arrived.get(log)
                    if seen is None or seen[0] != at:
                        self._learn()
                        # Written after the last look, by the file's mtime at this one.
                        self._arrived[log] = [at, at if last is None else min(last, at), key, key]
                    elif key < seen[2]:
                        seen[2] = key
                    elif key > seen[3]:
                        seen[3] = key
                return

    def _learn(self) -> None:
        """Hand the arrivals read so far to :attr:`lags`."""
        for log, (at, by, first, last) in self._arrived.items():
            self.lags.add(log, by - first, at)
            self.lags.add(log, by - last, at)
        self._arrived.clear()

    def blocked(self, log: str, key: int, present: Collection[str], found: float) -> bool:
        """Whether the line of ``log`` at ``key``, the earliest readable line of every log
        in ``present``, first found at ``found`` (clock seconds), waits for another log."""
        if self.wait <= 0 or self.clock() - found >= self.wait:
            return False
        return any(
            latest < key
            and other != log
            and other not in present
            and (key <= latest + QUIET or not self._quiet(other, latest))
            and not self._written_up_to(other, key)
            for other, latest in self._shown.items()
        )

    def _quiet(self, log: str, latest: int) -> bool:
        """Whether ``log``, whose last line is at ``latest``, was seen quiet for
        :data:`QUIET` seconds: this poll looked after its line at ``latest + QUIET``
        would have been on disk, by its lag (ten minutes of another log's stamps read at
        once, a day replayed or a backlog, are not ten minutes of silence). A log whose
        lines were never seen arriving is judged by log time alone."""
        if self._arrived:
            self._learn()
        by = self.lags.latest(log, latest + QUIET)
        return by is None or (self._looked is not None and self._looked >= by)

    def _written_up_to(self, log: str, key: int) -> bool:
        """Whether this poll looked late enough for ``log``'s lines up to ``key`` to be
        on disk, by its lag."""
        if self._arrived:
            self._learn()
        due = self.lags.due(log, key)
        return due is not None and self._looked is not None and self._looked >= due
