"""Where a scan is in each file, so that an interrupted scan run again continues exactly.

Watermarks (:mod:`.marks`) tell a re-scan which lines an earlier scan processed by the
time written in each log. That is not exact at a checkpoint in the middle of a scan:
a line written a moment out of order after the checkpoint, dated before the newest
line of its log before it, would be taken as processed; and the lines before it would
be judged again by the time guard against a later reference (a glitch it had set aside
as dated a day ahead could fit the later reference and be processed). So a checkpoint
also saves, per file, how many of its first lines are done (processed, counted, or set
aside), and the watermarks' state as this scan holds it. The same scan run again
(same paths) passes those lines over unread (:attr:`LogFile.start`) and continues
with that state: it judges the rest exactly as the interrupted scan would have.

The lines done in a file are those before the first line read and not yet processed:
the one being processed at the checkpoint, those the merge of several logs holds
(:func:`kerio_watch.sources.order.pending`; the time guard holds none at a
checkpoint). A file is identified by its log and its first line, so a file renamed by
rotation, or compressed, is still found.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from itertools import islice
from typing import Any

from kerio_watch.pipeline.marks import Watermarks
from kerio_watch.sources.files import LogFile, Record
from kerio_watch.sources.logfile import bounded_lines, open_binary
from kerio_watch.sources.order import before, pending

FINGERPRINT_BYTES = 4096
"""Bytes of a file's first line that identify it."""


class Positions:
    """The files of one scan and what the merge holds (:attr:`held`)."""

    def __init__(self, paths: Sequence[str], files: Sequence[LogFile]) -> None:
        self.paths = list(paths)
        self.files = [f for f in files if f.copy_of is None]
        self.held: list[Any] = []
        """Given to the merge (:func:`~kerio_watch.sources.order.merge_by_time`)."""
        self.prevs: dict[str, int] = {}
        """By log, the merge time of the last line the interrupted scan took from it
        before the first it had not processed (the merge orders the next ones from it)."""
        self._ids: dict[int, str] = {}
        self.known: dict[str, Any] = {}
        """Where the scans of this database left each file (:mod:`.grown`)."""
        self.grown = 0
        """Lines an earlier (finished) scan had done in files that grew or did not
        change, passed over unread (:func:`.grown.go_on`)."""

    def done(self, current: Record | None) -> list[tuple[LogFile, int]]:
        """Each file with lines done, and how many of its first lines are; ``current``:
        the record being processed (not done)."""
        first: dict[int, int] = {}
        for rec in [*pending(self.held), *([current] if current is not None else [])]:
            key = id(rec.source)
            if rec.lineno <= first.get(key, rec.lineno):
                first[key] = rec.lineno
        out = []
        for f in self.files:
            # a file not opened yet: the lines passed over are done
            lines = first[id(f)] - 1 if id(f) in first else max(f.read_to, f.start)
            if lines > 0:
                out.append((f, lines))
        return out

    def save(self, current: Record | None, marks: Watermarks) -> dict[str, Any]:
        """The JSON-ready state a continued scan takes back (:func:`apply`)."""
        return {
            "paths": self.paths,
            "files": {self.identity(f): lines for f, lines in self.done(current)},
            "prevs": {
                rec.source.log or "": key for rec, key in before(self.held) if key is not None
            },
            "marks": {k: list(v) for k, v in marks.marks.items()},
            "last": marks.last,
            "seen_at_mark": marks.seen_at_mark,
            "set_back": sorted(marks.set_back),
            "continued": sorted(self.identity(f) for f in self.files if f.continued),
        }

    def apply(self, state: dict[str, Any], marks: Watermarks) -> int:
        """Continue the interrupted scan ``state`` describes if it read the same paths:
        set each file's :attr:`~LogFile.start` and the watermarks' state. How many
        lines are passed over (0: not the same scan, nothing changed)."""
        if state.get("paths") != self.paths:
            return 0
        done = {str(k): int(v) for k, v in state["files"].items()}
        self.prevs = {str(k): int(v) for k, v in state["prevs"].items()}
        marks.marks = {str(k): (int(v[0]), int(v[1])) for k, v in state["marks"].items()}
        marks.last = {str(k): [int(v[0]), int(v[1])] for k, v in state["last"].items()}
        marks.seen_at_mark = {str(k): int(v) for k, v in state["seen_at_mark"].items()}
        marks.set_back = {str(k) for k in state["set_back"]}
        continued = {str(k) for k in state.get("continued", [])}
        total = 0
        for f in self.files:
            f.start = done.get(self.identity(f), 0)
            f.continued = self.identity(f) in continued
            total += f.start
        return total

    def identity(self, f: LogFile) -> str:
        """The file's identity: its log and a digest of its first line."""
        key = id(f)
        found = self._ids.get(key)
        if found is None:
            head = b""
            try:
                with open_binary(f) as handle:
                    head = next(islice(bounded_lines(handle), 1), b"")[:FINGERPRINT_BYTES]
            except (OSError, EOFError):
                pass
            digest = hashlib.sha256(head).hexdigest()[:32]
            found = self._ids[key] = f"{f.log or ''}:{digest}"
        return found
