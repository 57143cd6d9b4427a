"""A later scan of logs that grew goes on where an earlier scan left each file.

Watermarks (:mod:`.marks`) tell a later scan what an earlier one processed by the time
written in each log. A clock set back by less than :data:`~.marks.SET_BACK` is not
told from lines written out of order, so the lines after such a jump dated at or before
the watermark were skipped. So every save of a scan also records, per file it read,
where it left it (:data:`KNOWN`): the number of its lines done, the byte where they end,
and a digest of the :data:`TAIL` bytes before that byte, keyed by the file's identity
(its log and its first line, as :mod:`.resume` names it: a file renamed or compressed
by rotation keeps it).

A later scan (of any paths) continues a file by position when it is provably the same
file grown: the same identity, and the bytes before that position (decompressed) are
the same and end in a line end (a file truncated, rewritten, or replaced by one with
the same first line differs there, or is shorter). Its lines from there on are new
(:attr:`LogFile.continued`): processed without asking the watermarks, which they still
move (:meth:`Watermarks.note`). A compressed file whose bytes have not changed since a
scan read it to its end is not opened. Every other file (new, replaced, truncated, one
whose last line was cut when it was read) is judged by the watermarks as before, and
``follow`` (which keeps its own positions) clears the record on its first save, so a
scan after it goes by the watermarks.

The lines done in a file are those :mod:`.resume` counts: at the end of a scan every
line read (the merge holds none; the time guard has judged the lines it held, processed
or set aside); at a checkpoint, a file read only in part is dropped from the record (its
position is known in lines only), and the watermarks say what was done of it.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kerio_watch.pipeline.marks import Marks, back_key
from kerio_watch.sources.logfile import LogFile, open_binary

if TYPE_CHECKING:
    from kerio_watch.pipeline.resume import Positions
    from kerio_watch.sources.files import Record
    from kerio_watch.store.base import Store

KNOWN = "scan.files"
"""Metadata: where the scans of this database left each file, as JSON (identity ->
[lines, end, tail digest, raw bytes' size and digest (compressed files), log time])."""
TAIL = 4096
"""Bytes before a file's position whose digest proves it the same file grown."""
KEEP = 2000
"""Files remembered (the most recently read)."""

Left = list[Any]
"""[lines done, the byte they end at, tail digest ("": none), raw ("": none), log time]."""


def load(store: Store) -> dict[str, Left]:
    """The record the last save of a scan left (empty: none, or damaged)."""
    try:
        data = json.loads(store.get_meta(KNOWN) or "{}")
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if _valid(v)}


def _valid(left: object) -> bool:
    """Whether a record's entry has its form (:data:`Left`): a damaged one is left out."""
    if not isinstance(left, list) or len(left) != 5:
        return False
    numbers, texts = (left[0], left[1], left[4]), (left[2], left[3])
    return all(type(x) is int for x in numbers) and all(isinstance(x, str) for x in texts)


def eligible(f: LogFile) -> bool:
    """Whether a file's position can be recorded: a file on disk read line by line (not
    standard input, a copy, or a file read only in part as other files hold its lines)."""
    return f.copy_of is None and f.data is None and f.only_lines is None


def go_on(positions: Positions) -> int:
    """Continue each file the record (:attr:`Positions.known`) proves the same file
    grown; how many lines that passes over. A file that fails the proof is dropped from
    the record."""
    known = positions.known
    total = 0
    taken: set[str] = set()  # one file goes on from a position, another of its start not
    for f in positions.files:
        if not eligible(f):
            continue
        key = positions.identity(f)
        left = known.get(key)
        if left is None or key in taken:
            continue
        lines, end, tail, raw = left[:4]
        taken.add(key)
        if f.compressed and raw and raw == _raw(f.path):
            f.whole = True
        elif not tail or _tail(f, end) != tail:
            del known[key]
            continue
        f.start, f.offset, f.continued = lines, end, True
        total += lines
    return total


def merge_from(positions: Positions, marks: Marks, wall: Callable[[int], int]) -> None:
    """For each log a file of which goes on from a position: where the merge of the
    logs goes on from (:attr:`Positions.prevs`), the time of the last line the earlier
    scan processed of it (its watermark, or its back mark after its clock was set back),
    on the server's clock (``wall``). The merge orders a line that jumps more than an
    hour ahead of the line before by the next lines of its log: without the line before,
    a far-future glitch as the first new line of a log held the whole log back behind
    every other one, and detection saw its lines after theirs (7 of a site's 25 alerts
    went). Logs an interrupted scan continued already have theirs."""
    for f in positions.files:
        log = f.log
        if not f.continued or not log or log in positions.prevs:
            continue
        mark, back = marks.get(log), marks.get(back_key(log))
        last = back if back is not None and back[0] else mark
        if last is not None:
            positions.prevs[log] = wall(last[0])


def left_json(positions: Positions, current: Record | None, now: int) -> str:
    """:data:`KNOWN` as this save leaves it (``current``: the record being processed,
    not done; ``now``: the log time)."""
    known = positions.known
    done = dict(positions.done(current))
    for f in positions.files:
        if f.data is not None:  # standard input: never recorded (nor opened again here)
            continue
        key = positions.identity(f)
        if not eligible(f):
            known.pop(key, None)  # read otherwise this time: not where it was left
            continue
        lines = done.get(f, 0)
        if f.end is not None and lines == f.read_to:
            entry = _entry(f, lines, f.end, known.get(key), now)
            if entry is not None:
                known[key] = entry
                continue
        if lines > f.start or (lines and not f.continued):
            known.pop(key, None)  # done beyond the record, and not where it is known
    if len(known) > KEEP:
        for key in sorted(known, key=lambda k: known[k][4])[: len(known) - KEEP]:
            del known[key]
    return json.dumps(known, sort_keys=True)


def _entry(f: LogFile, lines: int, end: int, before: Left | None, now: int) -> Left | None:
    """What to record of a file read to its end (None: its last line has no line end)."""
    if before is not None and int(before[0]) == lines and int(before[1]) == end:
        return [lines, end, before[2], before[3] or _raw_of(f), now]  # as it was
    tail = "" if f.compressed else _tail(f, end)
    if tail is None:
        return None
    return [lines, end, tail, _raw_of(f), now]


def _raw_of(f: LogFile) -> str:
    return (_raw(f.path) or "") if f.compressed else ""


def _tail(f: LogFile, end: int) -> str | None:
    """The digest of the :data:`TAIL` bytes (decompressed) before ``end``, if they are
    there and end in a line end."""
    start = max(0, end - TAIL)
    try:
        with open_binary(f) as handle:
            handle.seek(start)
            data = handle.read(end - start)
    except (OSError, EOFError, ValueError, zlib.error):
        return None
    if len(data) != end - start or not data.endswith(b"\n"):
        return None
    return hashlib.sha256(data).hexdigest()[:32]


def _raw(path: str) -> str | None:
    """A compressed file's size and the digest of its last :data:`TAIL` bytes (which
    hold gzip's check of the whole content)."""
    try:
        with Path(path).open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            handle.seek(max(0, size - TAIL))
            return f"{size}:{hashlib.sha256(handle.read()).hexdigest()[:32]}"
    except OSError:
        return None
