"""Watermarks: which lines an earlier run processed, by the time written in the log.

A re-scan of the same logs must not count a line twice. Each log keeps its latest
second processed and how many of its lines were at that second; a line before its
log's watermark was processed, one at it is counted against that number, one after it
is new. ``Sent:`` lines have their own watermark (:data:`SENT_MARK`).

A server clock set back (by an administrator, by more than :data:`SET_BACK`) writes lines
dated before lines already in the file, after them. Judged by time alone, a re-scan took
every one of them for processed until the log's time passed the watermark again (set
back two hours: two hours of lines skipped, silently). So once a log's lines have
reached its watermark in this run, a line far behind the newest (the clock set back) is
past what the earlier run read: from there on the lines are judged by the back mark
(:func:`back_key`), how far an earlier run read after such a jump, and are new beyond it.
The back mark is kept until the log's time passes the watermark again.
"""

from __future__ import annotations

from kerio_watch.events import Event, MessageDelivery

SENT_MARK = "mail/sent"
"""The watermark of ``Sent:`` lines (parsed, or dropped by mail.log's pre-filter).
They are kept out of the ``mail`` watermark, whose count at its last second is of the
other mail.log lines; on a re-scan this one keeps the Sent lines of messages still
tracked from the last run from being processed twice, and the dropped ones from being
counted as new."""

SET_BACK = 300
"""Seconds a line of a log must be behind the newest one before it for the clock to
count as set back (lines of one log are a few seconds out of order at most)."""


def mark_of(event: Event) -> str:
    """The watermark an event counts under: its log's, or :data:`SENT_MARK` for a
    delivery (``Pipeline._admit`` has it inline, once per line)."""
    return SENT_MARK if event.__class__ is MessageDelivery else event.log


Marks = dict[str, tuple[int, int]]
"""log -> (latest UTC second processed, lines at that second)."""


BACK = "@back"


def back_key(log: str) -> str:
    """The key of ``log``'s back mark: (latest second processed, lines at it) of the
    lines after its clock was set back, while they are behind its watermark ((0, 0):
    none)."""
    return log + BACK


class Watermarks:
    """The watermarks an earlier run left (``marks``) and this run's progress."""

    def __init__(self, marks: Marks) -> None:
        self.marks = marks
        self.seen_at_mark: dict[str, int] = {}
        self.last: dict[str, list[int]] = {}
        """log -> [latest UTC second processed, lines at that second]."""
        self.set_back: set[str] = set()
        """The logs whose clock was set back in this run (their lines had reached their
        watermark, then one came far behind): judged by their back marks from there on."""

    def already_seen(self, log: str, ts: int) -> bool:
        """Whether an earlier run processed this line (by log time); notes it as processed."""
        last = self.last.get(log)
        mark = self.marks.get(log)
        if last is None:
            self.last[log] = [ts, 1]
        elif ts >= last[0]:
            _advance(last, ts)
        elif ts < last[0] - SET_BACK and (mark is None or last[0] >= mark[0]):
            # the clock set back after the watermark (or in a run without one: its back
            # mark is saved, so that a later run reading the lines again, a scan
            # continued after a checkpoint, skips those after the jump it processed)
            self.set_back.add(log)
        if log not in self.set_back:
            return mark is not None and self._seen_at(log, ts)
        key = back_key(log)
        back = self.last.get(key)
        if back is None:
            self.last[key] = [ts, 1]
        elif ts >= back[0]:
            _advance(back, ts)
        return mark is not None and ts <= mark[0] and self._seen_at(key, ts)

    def note(self, log: str, ts: int) -> None:
        """Note a line as processed without asking whether an earlier run did: a line
        read on from where an earlier scan left its file (:mod:`.grown`). The first
        such line of a log goes on from the earlier run's watermark (and back mark), as
        if this run had read up to it: a later clock set back is told as one run tells
        it, so a later scan that judges these lines by time finds them processed."""
        self.go_on(log)
        self.already_seen(log, ts)

    def go_on(self, log: str) -> None:
        """Before the first line of ``log`` :meth:`note` notes: this run goes on from the
        earlier run's watermark (and back mark). Once done, does nothing."""
        if log not in self.last:
            mark = self.marks.get(log)
            if mark is not None:
                self.last[log] = list(mark)
            back = self.marks.get(back_key(log))
            if back is not None and back[0]:
                self.set_back.add(log)
                self.last.setdefault(back_key(log), list(back))

    def noted_at_once(self, log: str, first: int, last: int, at_last: int) -> bool:
        """Note lines of ``log`` at once (:meth:`add_run`) if that is exactly what one
        :meth:`note` per line does: its clock is not set back (in this run, or before
        it), the lines are after the earlier run's watermark, and none is more than
        :data:`SET_BACK` behind a line before it (``first``, ``last``: their lowest and
        highest times; ``at_last`` of them at ``last``). False: nothing noted."""
        self.go_on(log)
        return self.seen_at_once(log, first, last, at_last)

    def seen_at_once(self, log: str, first: int, last: int, at_last: int) -> bool:
        """Note lines of ``log`` at once (:meth:`add_run`) if that is exactly what one
        :meth:`already_seen` per line does (each False): as :meth:`noted_at_once`.
        A clock set back by more than :data:`SET_BACK` among the lines, or before them,
        is noted line by line (it starts, or moves, the log's back mark)."""
        seen = self.last.get(log)
        newest = last if seen is None else max(seen[0], last)
        if log in self.set_back or self.reaches(log, first) or first < newest - SET_BACK:
            return False
        self.add_run(log, last, at_last)
        return True

    def _seen_at(self, key: str, ts: int) -> bool:
        """Whether the earlier run's mark ``key`` is past ``ts`` (or at it, with lines
        at it not yet counted)."""
        mark = self.marks.get(key)
        if mark is None or ts > mark[0]:
            return False
        if ts < mark[0]:
            return True
        seen = self.seen_at_mark.get(key, 0) + 1
        self.seen_at_mark[key] = seen
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
        """The watermarks to save: the earlier run's, moved up by this one's progress;
        a back mark is dropped ((0, 0)) once its log's watermark moved on."""
        merged = dict(self.marks)
        for log, (ts, count) in self.last.items():
            old = merged.get(log)
            if old is None or ts > old[0] or (ts == old[0] and count > old[1]):
                merged[log] = (ts, count)
        for key in [k for k in merged if k.endswith(BACK)]:
            log = key.removesuffix(BACK)
            if log in self.set_back:  # dropped once the lines after the jump hold the mark
                done = merged[key][0] >= merged[log][0]
            else:  # the mark moved on: the lines after the jump passed it
                done = _second(merged.get(log)) != _second(self.marks.get(log))
            if done:
                merged[key] = (0, 0)
        return merged


def _second(mark: tuple[int, int] | None) -> int | None:
    return None if mark is None else mark[0]


def _advance(last: list[int], ts: int) -> None:
    """Note a line at ``ts``, at or after ``last`` ([second, lines at it])."""
    if ts == last[0]:
        last[1] += 1
    else:
        last[0], last[1] = ts, 1
