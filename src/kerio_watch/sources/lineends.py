"""Where a line of a log file ends: at ``\\n``, or at a run of :data:`NUL_RUN` or more NUL
bytes (with a ``\\n`` right after it, if there is one).

A power cut leaves a block of NUL bytes where the file system had not yet written the
last lines, often from the middle of a line; the server then writes on after the block.
With ``\\n`` alone as a line end, the first line written after the block was glued to
the cut fragment and lost as one unparsed line: one line per power cut (and every line
up to the next ``\\n`` when the block was longer than a line is read). The fragment is
still unparsed and kept for ``--show-unparsed``, as before.

The same rule is in every reader: ``scan``'s (:func:`careful_lines`, behind
:func:`kerio_watch.sources.logfile.bounded_lines`), ``follow``'s
(:func:`split_runs`, in :mod:`kerio_watch.sources.tail`) and the native engine's
(``native/src/frame.rs``). Fewer NUL bytes in a row are dropped from the line, as
before (UTF-16 text holds single NUL bytes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

NUL_RUN = 8
"""NUL bytes in a row that end a line."""
RUN = re.compile(rb"\x00{%d,}" % NUL_RUN)
"""A run of NUL bytes that ends a line."""
_NULS = re.compile(rb"\x00*")
CHUNK = 1 << 16
"""Bytes read at a time by :func:`careful_lines`."""


def careful_lines(buf: bytes, read: Callable[[int], bytes], limit: int) -> Iterator[bytes]:
    """The lines of a file from ``buf`` (the bytes read so far, from a line's start) and
    then ``read``, ended by ``\\n`` or a NUL run; each cut to its first ``limit`` bytes
    (the rest is read and dropped, never held: a file of NUL bytes is no line at all).

    A line ended by ``\\n`` keeps it; one ended by a NUL run does not.
    """
    pos = 0
    eof = False
    skipping = False  # inside the NUL run that ended a line: skip it and a "\n" after it
    dropping = False  # past the first ``limit`` bytes of a line: drop up to its end
    while True:
        if skipping:
            nuls = _NULS.match(buf, pos)  # always a match (of b"" at least)
            pos = nuls.end() if nuls else pos
            if pos < len(buf) or eof:
                skipping = False
                pos += buf.startswith(b"\n", pos)
                continue
        else:
            nl = buf.find(b"\n", pos)
            run = RUN.search(buf, pos, nl if nl >= 0 else len(buf))
            if run is not None or nl >= 0 or (eof and pos < len(buf)):
                end = run.start() if run is not None else nl + 1 if nl >= 0 else len(buf)
                if not dropping:
                    yield buf[pos:end] if end - pos <= limit else buf[pos : pos + limit]
                dropping, skipping = False, run is not None
                pos = run.end() if run is not None else end
                continue
            if eof:
                return
            if len(buf) - pos > limit and not dropping:
                yield buf[pos : pos + limit]
                dropping = True
            if dropping:  # keep only a NUL run too short yet to end the line
                pos = len(buf.rstrip(b"\x00"))
        chunk = read(CHUNK)
        buf = buf[pos:] + chunk
        pos = 0
        eof = not chunk


def split_runs(data: bytes) -> tuple[list[tuple[bytes, int]], int]:
    """The lines of ``data`` that its NUL runs end, each with its end offset in
    ``data`` (after the run, and a ``\n`` right after it), and the offset where the
    rest starts. A run at the very end of ``data`` (what is written so far) ends the
    line before it; NUL bytes written after that start an empty line."""
    pieces = []
    start = 0
    for run in RUN.finditer(data):
        end = run.end() + data.startswith(b"\n", run.end())
        pieces.append((data[start : run.start()], end))
        start = end
    return pieces, start


def line_end(data: bytes) -> int:
    """Where the first line in ``data`` ends (after its ``\\n``, or after its NUL run
    and a ``\\n`` right after it); -1: not in ``data``."""
    nl = data.find(b"\n")
    run = RUN.search(data, 0, nl if nl >= 0 else len(data))
    if run is not None:
        return run.end() + data.startswith(b"\n", run.end())
    return nl + 1 if nl >= 0 else -1


def ended_by_runs(line: bytes, pos: int) -> Iterator[tuple[bytes, int]]:
    """The lines of ``line`` (with its ``\\n``, at offset ``pos``) split at NUL runs
    (:mod:`kerio_watch.sources.lineends`): (bytes, end offset)."""
    pieces, rest = split_runs(line)
    for piece, end in pieces:
        yield piece, pos + end
    if rest < len(line):
        yield line[rest:], pos + len(line)
