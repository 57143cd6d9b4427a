"""Copies among the files of one scan: a log given twice is read once.

An administrator gathers logs by hand: ``mail.log`` beside ``mail.log.bak`` (a copy made
before an upgrade), the log folder and a copy of one of its files fetched elsewhere, a
rotated file and its gzip-compressed copy. The device and inode tell only the same file
named twice; a copy has its own. Read as two files, its lines counted twice: in a site's
scan the failed logins of every account doubled (account_failures opened incidents on
four accounts that had none) and the mail volume doubled.

A file is a copy of another of the same log when its lines are the other's first lines
(the whole of it, or its start: a copy made earlier, before the original grew or was
rotated, or one whose last line was cut while the server was writing it). Its lines are
all in the other, so it is not read (:attr:`LogFile.copy_of` names where they are read)
and the scan's summary says so. Files are compared only when their first lines are
equal; then line by line, decoded as the readers decode them (a copy saved with CRLF
line ends, a byte order mark or compressed is a copy too).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from itertools import zip_longest

from kerio_watch.sources.logfile import LogFile, bounded_lines, decode_line, open_binary

__all__ = ["mark_copies"]


def mark_copies(files: list[LogFile]) -> None:
    """Set :attr:`LogFile.copy_of` on each file whose lines another file of its log starts
    with. Of identical files, the first plain one given is read."""
    groups: dict[tuple[str | None, str], list[LogFile]] = {}
    for f in files:
        first = _first_line(f)
        if first is not None:
            groups.setdefault((f.log, first), []).append(f)
    for group in groups.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda f: f.compressed)  # stable: then in the order given
        for f in reversed(group):  # of identical files, the later ones are the copies
            for other in group:
                if other is not f and other.copy_of is None and _starts(other, f):
                    f.copy_of = other.path
                    break


def _lines(f: LogFile) -> Iterator[str]:
    """The non-empty lines of ``f``, decoded as the readers decode them."""
    scratch = LogFile(f.path, None)
    with open_binary(f) as handle:
        for data in bounded_lines(handle):
            text = decode_line(data, scratch)
            if text:
                yield text


def _first_line(f: LogFile) -> str | None:
    try:
        return next(_lines(f), None)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile):
        return None


def _starts(longer: LogFile, copy: LogFile) -> bool:
    """Whether every line of ``copy`` is the line of ``longer`` at the same place (its
    last line may be the start of that line: cut while it was written)."""
    try:
        return _is_start(_lines(longer), _lines(copy))
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile):
        return False


def _is_start(lines: Iterator[str], copied: Iterator[str]) -> bool:
    cut = False
    for line, mine in zip_longest(lines, copied):
        if mine is None:
            return True
        if cut or line is None:
            return False  # a cut line before the copy's last, or the copy is longer
        if line != mine:
            if not line.startswith(mine):
                return False
            cut = True
    return True
