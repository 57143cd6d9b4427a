"""The pipeline's side of a format's pre-parse filter: it counts the lines dropped.

mail.log's filter (:func:`kerio_watch.formats.mail.untracked_deliveries`) drops the
``Sent:`` lines of messages no account sent before they are parsed. Each dropped line
is still counted as a ``message_delivery`` (and against the ``Sent:`` watermark) here,
exactly as if it had been parsed; the native reader counts whole runs of them at once
(:meth:`Prefilter.count_dropped_deliveries`). A line whose time is not near the time
guard's reference is not dropped: it is parsed and judged like any other line
(:mod:`kerio_watch.pipeline.timeguard`), which may confirm it.
"""

from __future__ import annotations

from collections.abc import Container

from kerio_watch.formats.mail import untracked_deliveries
from kerio_watch.pipeline.marks import SENT_MARK, Watermarks
from kerio_watch.pipeline.runstats import RunStats
from kerio_watch.pipeline.timeguard import TimeGuard
from kerio_watch.sources.files import SkipLine
from kerio_watch.timebase import Timebase


class Prefilter:
    """Counts the lines the formats' pre-filters drop.

    Args:
        tracked: the Queue-IDs of the messages the message join holds.
    """

    def __init__(
        self,
        tracked: Container[str],
        timebase: Timebase,
        guard: TimeGuard,
        stats: RunStats,
        marks: Watermarks,
    ) -> None:
        self.timebase = timebase
        self.guard = guard
        self.stats = stats
        self.marks = marks
        self.skip_line: SkipLine = untracked_deliveries(tracked, self.count_untracked)
        """(on-disk line, local time) -> None to process the line; else the event kind to
        count it as, or ``""`` when an earlier run already processed it (a re-scan)."""
        self.skip_continued: SkipLine = untracked_deliveries(tracked, self.count_continued)
        """:attr:`skip_line` of a file read on from where an earlier scan left it: its
        lines are new (:mod:`kerio_watch.pipeline.grown`)."""

    def count_untracked(self, local_ts: int) -> str | None:
        """Count one ``Sent:`` line of a message no account sent; what the filter
        returns for it: None when its time is not near the guard's reference (or there
        is none yet), for it to be parsed and judged like any other line."""
        utc = self.timebase.to_utc(local_ts)
        if not self.guard.near(utc):
            return None
        stats = self.stats
        stats.skipped += 1
        if self.marks.already_seen(SENT_MARK, utc):
            stats.already_seen += 1
            return ""
        stats.events["message_delivery"] += 1
        return "message_delivery"

    def count_continued(self, local_ts: int) -> str | None:
        """:meth:`count_untracked` of a line read on from where an earlier scan left its
        file: new, counted and noted in the watermark, never skipped."""
        utc = self.timebase.to_utc(local_ts)
        if not self.guard.near(utc):
            return None
        stats = self.stats
        stats.skipped += 1
        self.marks.note(SENT_MARK, utc)
        stats.events["message_delivery"] += 1
        return "message_delivery"

    def count_dropped_continued(self, n: int, first: int, last: int, at_last: int) -> bool:
        """:meth:`count_dropped_deliveries` of lines read on from where an earlier scan
        left their file: exactly what ``n`` calls of :meth:`count_continued` do, if all
        are near the guard's reference and the watermark notes them at once
        (:meth:`Watermarks.noted_at_once`); False (nothing counted) otherwise."""
        guard = self.guard
        if not (guard.near(first) and guard.near(last)):
            return False
        if not self.marks.noted_at_once(SENT_MARK, first, last, at_last):
            return False
        stats = self.stats
        stats.skipped += n
        stats.events["message_delivery"] += n
        return True

    def count_dropped_deliveries(self, n: int, first: int, last: int, at_last: int) -> bool:
        """Count ``n`` dropped ``Sent:`` lines at once (the native reader), if exact.

        ``first`` and ``last`` are their lowest and highest UTC times, ``at_last`` how
        many are at ``last``. Exactly what ``n`` calls of :meth:`count_untracked` do
        when all are near the guard's reference (counting moves no reference, so all
        stay near), none is at or before the watermark and the clock was not set back
        (:meth:`Watermarks.seen_at_once`; the run was counted at once across a clock set
        back more than 5 minutes, which then never started the back mark); False
        (nothing counted) otherwise.
        """
        guard = self.guard
        if not (guard.near(first) and guard.near(last)):
            return False  # line by line: those not near are parsed
        if not self.marks.seen_at_once(SENT_MARK, first, last, at_last):
            return False  # at or before the watermark, or the clock set back
        stats = self.stats
        stats.skipped += n
        stats.events["message_delivery"] += n
        return True
