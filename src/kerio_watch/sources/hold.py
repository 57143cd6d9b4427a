"""Holding a log's lines until the other logs have caught up with them (``follow``).

``scan`` merges whole files by time. ``follow`` can only merge what is on disk at each
poll, and Kerio does not write its logs together: one log's lines (``audit.log`` with a
webmail login, say) can reach the disk seconds after another log's later lines (the
sends the login explains). Merged as they come, the sends would be judged before the
login that ``scan`` puts before them.

So a line is handed over only once every other log that is being written has shown a
line at or after its time (the cross-log watermark), and waits otherwise, bounded:

- a log whose last line is more than :data:`QUIET` seconds of log time older than the
  line is quiet (a log with nothing to say, at night; ``config.log``): not waited for;
- a log none of whose lines were seen by this run is not waited for either;
- a line waits at most :attr:`CrossLogHold.wait` seconds of wall time (the longest a
  log is expected to trail another) from the first poll that found it in its file.

Held lines stay in their files, unread as far as the checkpoint goes: a restart reads
them again (exactly once holds). The wall clock only schedules the wait; the order
itself is that of log time, as ``scan``'s.

>>> hold = CrossLogHold(wait=30.0, clock=lambda: 0.0)
>>> hold.shown("audit", 100)
>>> hold.blocked("mail", 95, set(), 0.0), hold.blocked("mail", 101, set(), 0.0)
(False, True)
>>> hold.blocked("mail", 101, {"audit"}, 0.0), hold.blocked("mail", 100 + QUIET + 1, set(), 0.0)
(False, False)
>>> hold.blocked("mail", 101, set(), -30.0)  # found 30 s ago: waited long enough
False
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection

QUIET = 600
"""Seconds of log time after its last line from which a log is not waited for."""


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
        self._shown: dict[str, int] = {}
        """The latest merge time read from each log by this run."""
        self._sizes: dict[object, list[tuple[int, float]]] = {}
        """Per readable file: (its size, when a poll first found it that large)."""

    def readable(self, files: list[tuple[object, int, int]]) -> None:
        """The files with lines to read at this poll: (file, checkpoint, size) each."""
        now = self.clock()
        sizes = {}
        for f, offset, size in files:
            seen = [e for e in self._sizes.get(f, []) if e[0] > offset]
            if not seen or seen[-1][0] < size:
                seen.append((size, now))
            sizes[f] = seen
        self._sizes = sizes

    def found(self, f: object, end: int) -> float:
        """When a poll first found the line of ``f`` that ends at byte ``end``."""
        for size, at in self._sizes.get(f, []):
            if size >= end:
                return at
        return self.clock()

    def shown(self, log: str, key: int) -> None:
        """A line of ``log`` with merge time ``key`` was read."""
        if key > self._shown.get(log, key - 1):
            self._shown[log] = key

    def blocked(self, log: str, key: int, present: Collection[str], found: float) -> bool:
        """Whether the line of ``log`` at ``key``, the earliest readable line of every log
        in ``present``, first found at ``found`` (clock seconds), waits for another log."""
        if self.wait <= 0 or self.clock() - found >= self.wait:
            return False
        return any(
            latest < key <= latest + QUIET and other != log and other not in present
            for other, latest in self._shown.items()
        )
