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
- lines wait at most :attr:`CrossLogHold.wait` seconds of wall time (the longest a log
  is expected to trail another); then every line readable is handed over, and once the
  follower has caught up with every file the wait starts again for the lines that come
  later.

Held lines stay in their files, unread as far as the checkpoint goes: a restart reads
them again (exactly once holds). The wall clock only schedules the wait; the order
itself is that of log time, as ``scan``'s.

>>> hold = CrossLogHold(wait=30.0, clock=lambda: 0.0)
>>> hold.shown("audit", 100)
>>> hold.blocked("mail", 95, present=set()), hold.blocked("mail", 101, present=set())
(False, True)
>>> hold.blocked("mail", 101, present={"audit"}), hold.blocked("mail", 100 + QUIET + 1, set())
(False, False)
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
        self._since: float | None = None
        """When a line was first held since the follower last caught up."""

    def shown(self, log: str, key: int) -> None:
        """A line of ``log`` with merge time ``key`` was read."""
        if key > self._shown.get(log, key - 1):
            self._shown[log] = key

    def blocked(self, log: str, key: int, present: Collection[str]) -> bool:
        """Whether the line of ``log`` at ``key`` (the earliest readable line of every
        log in ``present``) waits for another log; a wait starts when it first does."""
        if self.wait <= 0:
            return False
        behind = [
            other
            for other, latest in self._shown.items()
            if latest < key <= latest + QUIET and other != log and other not in present
        ]
        if not behind:
            return False
        now = self.clock()
        if self._since is None:
            self._since = now
        return now - self._since < self.wait

    def drained(self) -> None:
        """Every readable line of every log was handed over: later lines wait afresh."""
        self._since = None

    @property
    def holding(self) -> bool:
        """Whether lines wait (or waited, and are not all handed over yet)."""
        return self._since is not None
