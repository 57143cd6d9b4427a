"""The server's clock set back: the pipeline tells the detectors, once per jump.

An administrator correcting the server's clock by an hour makes every later line dated
before lines already processed. Windows that forget from their oldest end then keep
the lines before the jump, dated after the new clock, counted until the log's time
passes them again (set back two hours, a steady sender's usual mail was counted "23
messages in 1 minute"). A window cannot tell a jump from lines that reach detection out
of order (a log read late, lines of several logs merged): forgetting there would drop
counts. The pipeline can: a line more than :data:`~.marks.SET_BACK` behind the newest
line *of its own log* (one writer, a few seconds out of order at most) and behind the
newest line of any log since the last jump is the clock set back. Then every detector's
``clock_set_back(old, new)`` is called once (:meth:`.Detection.clock_set_back`): it
forgets what is dated after ``new``, the future of the new clock: the first line after
the jump, and SET_BACK more (lines that far out of order are no jump; a log read late,
its lines from before the jump, tells it again when the next line is behind them).

The newest time since the last jump and each log's newest are saved with every
checkpoint, so a run that starts with the first line after the jump tells it as one
run does.

Detector state is saved as of :meth:`SetBack.horizon`: the newest time since the last
jump, or the line of a log read late that is furthest behind it (hours behind, no jump):
the windows of its lines, saved as of the newest time, were more than their span old and
dropped, so a restart forgot them (the log read late is :attr:`SetBack.late` until one
of its lines comes within SET_BACK of the clock; saved too).
"""

from __future__ import annotations

from collections.abc import Callable

from kerio_watch.detect.state import RESTORE_ERRORS, STATE_VERSION, load_state, restore_failed
from kerio_watch.pipeline.marks import BACK, SET_BACK, Watermarks
from kerio_watch.store.base import Store

NAME = "setback"
"""Its row in the saved detector state."""
LATE = 86400
"""A log more than this behind the clock holds no save back (a log not written for a day)."""


class SetBack:
    """Watches the log clock for a jump back (see the module documentation).

    Args:
        marks: this run's watermarks, whose ``last`` holds each log's newest line.
        tell: called with the newest time before the jump and the horizon of the new
            clock (the first line after it, and SET_BACK more).
        store: where the last run saved its clock (see :meth:`load`).
    """

    __slots__ = ("before", "clock", "late", "logs", "marks", "tell", "told")

    def __init__(self, marks: Watermarks, tell: Callable[[int, int], None], store: Store) -> None:
        self.marks = marks
        self.tell = tell
        self.clock = 0
        """The newest log time processed since the clock was last set back."""
        self.before = 0
        """The newest log time before the clock was last set back (0: never): what an
        open incident saw dated up to it came before the lines since, whatever their
        date (:meth:`.IncidentEngine.hijacked_from`)."""
        self.logs: dict[str, int] = {}
        """Each log's newest time as the last run saved it (for a log's first lines in
        this run; forgotten once a jump was told)."""
        self.told = 0
        """Jumps told in this run."""
        self.late: dict[str, int] = {}
        """Each log read late (its last line more than SET_BACK behind :attr:`clock`, no
        jump): that line's time."""
        self.load(store)

    def behind(self, log: str, ts: int) -> None:
        """A line of ``log`` at ``ts``, more than SET_BACK behind :attr:`clock`: tells the
        detectors when its own log's clock went back too."""
        last = self.marks.last.get(log)
        newest = max(last[0] if last else 0, self.logs.get(log, 0))
        if ts >= newest - SET_BACK:
            self.late[log] = ts  # another log's lines, read late: not a jump
            return
        old, self.clock = self.clock, ts
        self.before = old
        self.logs.clear()
        self.told += 1
        self.tell(old, ts + SET_BACK)

    def horizon(self) -> int:
        """The log time detector state is saved as of: :attr:`clock`, or the line of a
        log read late furthest behind it (at most :data:`LATE` behind; one read late
        before the clock was set back may be ahead of it)."""
        clock = self.clock
        return min([clock, *(t for t in self.late.values() if t >= clock - LATE)])

    def dump(self) -> dict[str, object]:
        """The saved form: the clock, each log's newest time and the logs read late."""
        logs = dict(self.logs)
        for log, (ts, _) in self.marks.last.items():
            if not log.endswith(BACK):
                logs[log] = max(ts, logs.get(log, 0))
        return {
            "v": STATE_VERSION,
            "clock": self.clock,
            "before": self.before,
            "logs": logs,
            "late": self.late,
        }

    def save(self, store: Store) -> None:
        """Save :meth:`dump` (inside a checkpoint's transaction)."""
        if self.clock:
            store.save_detector_state(NAME, self.dump())

    def load(self, store: Store) -> None:
        """Take back what the last run saved (nothing: start from no clock)."""
        try:
            data = load_state(store, NAME)
            if data is not None:
                self.clock = int(data["clock"])
                self.before = int(data.get("before", 0))
                self.logs = {str(k): int(v) for k, v in data["logs"].items()}
                self.late = {str(k): int(v) for k, v in data.get("late", {}).items()}
        except RESTORE_ERRORS as exc:
            restore_failed(NAME, exc)
