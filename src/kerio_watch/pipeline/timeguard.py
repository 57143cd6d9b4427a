"""Which lines' times can be trusted: the gate between parsing and detection.

Detection runs on log time, and the newest log time moves the watermarks (what a later
run skips as already processed), the pruning horizon and report periods. One line dated
2099, from a clock glitch or a damaged line, would move all three for good. So the gate
keeps a reference, the time of the newest trusted line (of any log: lines are read
merged in time order), and a line dated more than ``future`` ahead of it or more than
``past`` behind it is *suspect*:

- a suspect line dated more than ``future`` after its file was last written (the file's
  modification time is the writer's own clock) cannot have been written yet: it is
  implausible at once;
- otherwise it waits, and so do the lines after it, in order. :data:`CONFIRM` waiting
  lines that agree on a new time (within ``future`` of each other) mean the clock
  really moved (the server was down for days, its clock was corrected): that time
  becomes the reference and the waiting lines are processed in their order. A line
  back near the reference means the waiting ones were a glitch: they are implausible.
- At a save, lines that waited a whole save interval ahead of the reference (but not
  after their file was written) are trusted: nothing contradicted them. ``scan`` does
  so at its end; other waiting lines (behind the reference, or from standard input)
  are then implausible. ``follow`` keeps them with its checkpoint and judges them with
  the next lines, so none is lost or processed twice across a restart.

The first lines of a new database have no reference: they wait until :data:`CONFIRM` of
them agree; those far from that time are then implausible (a damaged first line).

Implausible lines are counted, kept (with file, line number and reason: the first
:data:`LISTED` of a run for the scan summary, the last :data:`SAMPLES` for ``kerio-watch
status``), and never processed:
they reach no detector (a time that cannot be placed on the time line cannot be judged
against a baseline), no watermark, no activity, no incident.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kerio_watch.detect.state import RESTORE_ERRORS, load_state, restore_failed
from kerio_watch.events import Event
from kerio_watch.sources.files import LogFile, Record
from kerio_watch.store.base import Store

CONFIRM = 3
"""Waiting lines that agree on a new time make it the reference."""
SAMPLES = 20
"""Implausible lines kept over runs (saved) for ``kerio-watch status``."""
LISTED = 200
"""Implausible lines of one run kept for the scan summary (``--show-unparsed``)."""
KEPT_CHARS = 500
"""Characters kept of an implausible line (``…`` marks a cut)."""
MAX_WAITING = 1000
"""Lines that may wait for agreement (the oldest is set aside beyond)."""
_NEVER = 2**62

Item = tuple[Event, Record]


@dataclass(frozen=True, slots=True)
class Doubt:
    """An implausible line, kept for inspection."""

    path: str
    lineno: int
    ts: int
    reason: str
    raw: str

    def to_dict(self) -> dict[str, Any]:
        """The stored form."""
        return {
            "path": self.path,
            "lineno": self.lineno,
            "ts": self.ts,
            "reason": self.reason,
            "raw": self.raw,
        }


class TimeGuard:
    """The plausibility gate; see the module documentation.

    Args:
        future: seconds a line may be ahead of the reference (and of the time its file
            was last written).
        past: seconds a line may be behind the reference.
    """

    def __init__(self, future: int, past: int) -> None:
        self.future = future
        self.past = past
        self.ref: int | None = None
        """The newest trusted time (UTC)."""
        self.waiting: list[Item] = []
        """Lines waiting, in order, for the next ones to confirm or contradict them."""
        self._opened = 0
        """The save count when the first waiting line came."""
        self.saves = 0
        self.implausible = 0
        self.by_path: Counter[str] = Counter()
        self.samples: deque[Doubt] = deque(maxlen=SAMPLES)
        """The last implausible lines, over runs (saved)."""
        self.found: list[Doubt] = []
        """The first implausible lines of this run."""

    def fits(self, ts: int) -> bool:
        """The fast path: whether a line can be processed at once (its time noted)."""
        ref = self.ref
        if ref is None or self.waiting:
            return False
        if ts <= ref:
            return ts >= ref - self.past
        if ts > ref + self.future:
            return False
        self.ref = ts
        return True

    def near(self, ts: int) -> bool:
        """Whether ``ts`` is within the limits around the reference (False without one)."""
        ref = self.ref
        return ref is not None and ref - self.past <= ts <= ref + self.future

    def judge(self, event: Event, rec: Record) -> list[Item]:
        """A line :meth:`fits` refused: the lines to process now (none, it, or the
        waiting lines and it)."""
        ts = event.ts
        if self.near(ts):
            out = self._settle()
            self._advance(ts)
            out.append((event, rec))
            return out
        if self._ahead(ts) and not self._written_by(rec.source, ts):
            self._doubt([(event, rec)], "dated after its file was last written")
            return []
        if not self.waiting:
            self._opened = self.saves
        self.waiting.append((event, rec))
        agree = [e.ts for e, _ in self.waiting if abs(e.ts - ts) <= self.future]
        if len(agree) >= CONFIRM:
            return self._confirm(max(agree))
        if len(self.waiting) > MAX_WAITING:
            self._doubt([self.waiting.pop(0)])
        return []

    def _ahead(self, ts: int) -> bool:
        return self.ref is not None and ts > self.ref

    def _written_by(self, source: LogFile, ts: int) -> bool:
        """Whether a line at ``ts`` may be in ``source`` (its modification time is looked
        at again when needed: a followed file grows)."""
        written = source.written
        if written is None or ts <= int(written) + self.future:
            return True
        try:
            source.written = Path(source.path).stat().st_mtime
        except OSError:
            return False
        return ts <= int(source.written) + self.future

    def _advance(self, ts: int) -> None:
        if self.ref is None or ts > self.ref:
            self.ref = ts

    def _settle(self) -> list[Item]:
        """The reference is known: waiting lines near it are processed (in order), the
        others are implausible."""
        keep: list[Item] = []
        waiting, self.waiting = self.waiting, []
        for event, rec in waiting:
            if self.near(event.ts):
                self._advance(event.ts)
                keep.append((event, rec))
            else:
                self._doubt([(event, rec)])
        return keep

    def _confirm(self, ref: int) -> list[Item]:
        """Waiting lines agree on a new time: it is the new reference."""
        self.ref = ref
        return self._settle()

    def _doubt(self, items: Iterable[Item], reason: str | None = None) -> None:
        for event, rec in items:
            why = reason or self.why(event.ts)
            self.note(rec.source.path, rec.lineno, event.ts, why, rec.raw)

    def why(self, ts: int) -> str:
        """Why a line at ``ts`` is implausible."""
        if self._ahead(ts):
            return f"more than {self.future / 3600:g} hours ahead of the lines around it"
        return f"more than {self.past / 86400:g} days behind the lines around it"

    def note(self, path: str, lineno: int, ts: int, reason: str, raw: str) -> None:
        """Count an implausible line and keep it as a sample."""
        self.implausible += 1
        self.by_path[path] += 1
        kept = raw if len(raw) <= KEPT_CHARS else raw[: KEPT_CHARS - 1] + "…"
        doubt = Doubt(path, lineno, ts, reason, kept)
        self.samples.append(doubt)
        if len(self.found) < LISTED:
            self.found.append(doubt)

    # -- saves ------------------------------------------------------------------------
    def flush(self, final: bool) -> list[Item]:
        """At a save: the waiting lines to trust now (see the module documentation).

        ``final`` (the end of a scan): the lines that cannot be trusted are implausible.
        """
        waiting = self.waiting
        if not waiting:
            self.saves += 1
            return []
        out: list[Item] = []
        if self.ref is None:  # nothing to compare with
            out = self._confirm(_median([e.ts for e, _ in waiting]))
        elif final or self._opened < self.saves:
            ahead = [e.ts for e, r in waiting if self._ahead(e.ts) and r.source.written]
            if ahead:
                out = self._confirm(_median(ahead))
            elif final:
                self._doubt(waiting)
                self.waiting = []
        self.saves += 1
        return out

    def dump(self, keep_held: bool) -> dict[str, Any]:
        """The saved form (``keep_held``: with the waiting lines, for ``follow``)."""
        data: dict[str, Any] = {
            "ref": self.ref,
            "samples": [d.to_dict() for d in self.samples],
        }
        if keep_held:
            data["held"] = [_record_dict(rec) for _, rec in self.waiting]
        return data

    def load(self, store: Store, newest: int | None) -> list[Record]:
        """Take back what the last run saved (else start from ``newest``, the watermarks'
        newest time); the lines it held, to be judged again."""
        try:
            data = load_state(store, "timeguard")
            if data is not None:
                return self.restore(data)
        except RESTORE_ERRORS as exc:
            restore_failed("timeguard", exc)
        self.ref = newest
        return []

    def restore(self, data: dict[str, Any]) -> list[Record]:
        """Take back :meth:`dump`; the waiting lines, to be judged again.

        Raises:
            KeyError, TypeError, ValueError: the saved form is damaged.
        """
        self.ref = None if data["ref"] is None else int(data["ref"])
        for d in data.get("samples", []):
            self.samples.append(
                Doubt(str(d["path"]), int(d["lineno"]), int(d["ts"]), str(d["reason"]), d["raw"])
            )
        return [_record(d) for d in data.get("held", [])]


def _median(values: list[int]) -> int:
    return sorted(values)[len(values) // 2]


def _record_dict(rec: Record) -> dict[str, Any]:
    return {
        "ts": rec.ts,
        "utc": rec.utc,
        "log": rec.log,
        "message": rec.message,
        "raw": rec.raw,
        "path": rec.source.path,
        "file_log": rec.source.log,
        "written": rec.source.written,
        "lineno": rec.lineno,
    }


def _record(d: dict[str, Any]) -> Record:
    source = LogFile(str(d["path"]), d["file_log"], written=d.get("written"))
    return Record(
        int(d["ts"]), bool(d["utc"]), d["log"], str(d["message"]), str(d["raw"]), source,
        int(d["lineno"]),
    )  # fmt: skip
