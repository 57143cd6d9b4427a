"""A long ``scan`` keeps its work: checkpoints as it goes, and a stop at a safe point.

A scan used to save once, at its end: Ctrl-C, SIGTERM, ``kill -9`` or a power cut near
the end of a year of logs kept nothing. Now the pipeline saves a checkpoint every
:attr:`Autosave.seconds` of wall-clock time, in the one transaction of a save (state,
incidents, alerts, the delivery queue, watermarks), and a stop asked for by a signal
saves one at the next safe point and ends the run (:class:`Stopped`).

A checkpoint is taken only between two log seconds (when the next event is of a later
second than the last one processed): the alerts of the last second have gone out, the
time guard holds no line (a held line holds every line after it, so nothing was
admitted), and no time-driven work is half done. What it saves is what a scan of the
same logs up to that second would have saved, less the final save's extra work (the
time guard's end-of-input judgement and the last minute's tick), so a run that goes on
after it, or a later scan that continues it, judges the next lines as one run does.
The lines not yet processed (those the merge of the logs has read ahead, those the
time guard holds) are in no watermark: a scan run again reads them again. The wall
clock only says *when* to save; what is saved depends on log time alone.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from kerio_watch.errors import Interrupted

DEFAULT_SECONDS = 60.0
"""Seconds between checkpoints of ``scan`` (``--checkpoint-every``)."""
NOT_SAVED = "nothing of this scan was saved: run it again"
"""What a scan interrupted before its first checkpoint says."""
CHECK_EVERY = 256
"""Log seconds between looks at the clock (a look costs more than counting)."""
UNFINISHED = "scan.unfinished"
"""Metadata: how far an unfinished scan's last checkpoint reached, as JSON (``at``: its
log time, ``alerts``: the alerts recorded since that scan began), "" once a scan
finished: the next scan says it continues from there."""


@dataclass
class Autosave:
    """When a running scan saves a checkpoint.

    Args:
        seconds: wall-clock seconds between checkpoints (0: none, a stop still saves).
        seconds_of_log: for tests: a checkpoint at every log second this many log
            seconds after the last one (0: by the wall clock only).
    """

    seconds: float = DEFAULT_SECONDS
    seconds_of_log: int = 0
    stop: bool = False
    """Set by a signal handler: save at the next safe point, then stop."""
    checkpoints: int = 0
    """Checkpoints committed in this run."""
    at: str = ""
    """The log time of the last checkpoint committed (ISO 8601), or of the interrupted
    scan this one continues (:meth:`resume`)."""
    earlier: int = 0
    """Alerts the interrupted scans this one continues recorded."""
    alerts: int = 0
    """Alerts recorded up to the last checkpoint (the earlier scans' included)."""
    resumed: str = ""
    """The log time the interrupted scan this one continues had reached ("": none)."""
    passed: int = 0
    """Lines the interrupted scan had done, passed over unread."""
    _count: int = 0
    _last: float = field(default_factory=time.monotonic)
    _last_log: int = 0

    def due(self, now: int) -> bool:
        """Whether to save before the log second after ``now`` (called at every new
        log second: cheap)."""
        if self.stop:
            return True
        if self.seconds_of_log:
            if not self._last_log:
                self._last_log = now
            return now - self._last_log >= self.seconds_of_log
        self._count += 1
        if self._count < CHECK_EVERY or not self.seconds:
            return False
        self._count = 0
        return time.monotonic() - self._last >= self.seconds

    def saved(self, now: int, at: str, alerts: int) -> None:
        """A checkpoint at log time ``now`` (``at`` in ISO 8601) has committed, with
        ``alerts`` recorded by this run."""
        self.checkpoints += 1
        self.at = at
        self.alerts = self.earlier + alerts
        self._last = time.monotonic()
        self._last_log = now

    def kept(self) -> str:
        """What an interrupted scan kept, as one clause."""
        if not self.at:
            return NOT_SAVED
        return (
            f"saved up to {self.at} (log time), with the {self.alerts:,} alerts raised "
            "before it; run the same scan again to continue from there"
        )

    def record(self, at: str, alerts: int, resume: dict[str, Any] | None) -> str:
        """The :data:`UNFINISHED` value of a checkpoint at ``at`` (``alerts``: this run's;
        ``resume``: where it is, :mod:`kerio_watch.pipeline.resume`)."""
        return json.dumps({"at": at, "alerts": self.earlier + alerts, "resume": resume})

    def resume(self, value: str | None) -> dict[str, Any] | None:
        """Take :data:`UNFINISHED` as an earlier (interrupted) scan left it; its
        ``resume`` part."""
        try:
            data = json.loads(value) if value else None
            if isinstance(data, dict):
                self.resumed = self.at = str(data["at"])
                self.earlier = self.alerts = int(data["alerts"])
                resume = data.get("resume")
                return resume if isinstance(resume, dict) else None
        except (ValueError, KeyError, TypeError):
            pass
        return None


class Stopped(Interrupted):
    """A scan stopped by a signal after its checkpoint committed (``kept``: what it
    saved, as one clause)."""
