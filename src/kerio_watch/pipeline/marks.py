"""Watermarks: which lines an earlier run processed, by the time written in the log.

A re-scan of the same logs must not count a line twice. Each log keeps its latest
second processed and how many of its lines were at that second; a line before its
log's watermark was processed, one at it is counted against that number, one after it
is new. ``Sent:`` lines have their own watermark (:data:`SENT_MARK`).
"""

from __future__ import annotations

SENT_MARK = "mail/sent"
"""The watermark of ``Sent:`` lines (parsed, or dropped by mail.log's pre-filter).
They are kept out of the ``mail`` watermark, whose count at its last second is of the
other mail.log lines; on a re-scan this one keeps the Sent lines of messages still
tracked from the last run from being processed twice, and the dropped ones from being
counted as new."""

Marks = dict[str, tuple[int, int]]
"""log -> (latest UTC second processed, lines at that second)."""


class Watermarks:
    """The watermarks an earlier run left (``marks``) and this run's progress."""

    def __init__(self, marks: Marks) -> None:
        self.marks = marks
        self.seen_at_mark: dict[str, int] = {}
        self.last: dict[str, list[int]] = {}
        """log -> [latest UTC second processed, lines at that second]."""

    def already_seen(self, log: str, ts: int) -> bool:
        """Whether an earlier run processed this line (by log time); notes it as processed."""
        last = self.last.get(log)
        if last is None:
            self.last[log] = [ts, 1]
        elif ts == last[0]:
            last[1] += 1
        elif ts > last[0]:
            last[0], last[1] = ts, 1
        mark = self.marks.get(log)
        if mark is None or ts > mark[0]:
            return False
        if ts < mark[0]:
            return True
        seen = self.seen_at_mark.get(log, 0) + 1
        self.seen_at_mark[log] = seen
        return seen <= mark[1]

    def reaches(self, log: str, ts: int) -> bool:
        """Whether the earlier run's watermark of ``log`` is at or after ``ts``."""
        mark = self.marks.get(log)
        return mark is not None and ts <= mark[0]

    def add_run(self, log: str, last: int, at_last: int) -> None:
        """Note lines processed at once, the newest at ``last`` (``at_last`` of them),
        none at or before the earlier run's watermark."""
        seen = self.last.get(log)
        if seen is None or last > seen[0]:
            self.last[log] = [last, at_last]
        elif last == seen[0]:
            seen[1] += at_last

    def newest(self) -> int | None:
        """The latest second of the earlier run's watermarks."""
        return max((ts for ts, _ in self.marks.values()), default=None)

    def merged(self) -> Marks:
        """The watermarks to save: the earlier run's, moved up by this one's progress."""
        merged = dict(self.marks)
        for log, (ts, count) in self.last.items():
            old = merged.get(log)
            if old is None or ts > old[0]:
                merged[log] = (ts, count)
        return merged
