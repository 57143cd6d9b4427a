"""Copies among the files of one scan: a log given twice is read once.

An administrator gathers logs by hand: ``mail.log`` beside ``mail.log.bak`` (a copy made
before an upgrade), the log folder and a copy of one of its files fetched elsewhere, a
rotated file and its gzip-compressed copy, the log folder and the syslog server's file
the same log is forwarded to. The device and inode tell only the same file named twice;
a copy has its own. Read as two files, its lines counted twice: in a site's scan the
failed logins of every account doubled (account_failures opened incidents on five
accounts that had none) and the mail volume doubled.

A file is a copy of another when its lines are the other's first lines: the same
messages at the same times, in the same order (the whole of it, or its start: a copy
made earlier, before the original grew or was rotated, or one whose last line was cut
while the server was writing it). Its lines are all in the other, so it is not read
(:attr:`LogFile.copy_of` names where they are read) and the scan's summary says so.

Lines are compared as the readers frame them, so a copy saved with CRLF line ends, a
byte order mark, compressed, or carried in a syslog envelope is a copy too. A time in
UTC (RFC 5424 with its offset) and one on the server's clock are the same moment when
they are a zone's offset apart (whole quarter hours, at most 14); the zone is not known
here. Files are compared only when their first messages are equal.

The files of a log's own name and its rotated generations (``mail.log``, ``mail.log.1``,
``mail.log.2.gz``, as the server writes them: :attr:`LogFile.own_name`) are the
originals: one is never taken for a copy of a file otherwise named. A file otherwise
named (``mail.log.win``, a syslog server's file of the log) whose first line is an
original's first line, or that is in a syslog envelope, is checked line by line against
the originals, as a file of every log is: a copy kept up across its log's rotation
(``mail.log.1`` its start, ``mail.log`` its end) holds only their lines and is not read;
its lines they lack are read from it, once. (``mail.log.1`` was taken for a copy of the
longer ``mail.log.win``, and ``mail.log`` read too: its lines twice.)

A syslog server's file of every log (its records naming no single log) is checked line
by line: a line is the other files' when it is the next unread line of one of them
(their lines merged as the relay received them), or is found further on in a file of
its log (the log whose parser knows it), the lines passed over being earlier: a relay
started after the server, or one that lost records on the way (UDP), holds only lines
the folder has, and is a copy. Its lines the other files do not hold (the folder copied
before the relay's file ended, a log only the relay has) are read from it, and only
those (:attr:`LogFile.only_lines`): as ``follow`` does (:mod:`kerio_watch.sources.echo`),
no line is lost and none counts twice.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Generator, Iterable, Iterator, Mapping
from itertools import zip_longest
from typing import NamedTuple, Protocol, TypeVar

from kerio_watch.formats import build_parsers
from kerio_watch.formats.base import Parser
from kerio_watch.formats.envelope import StampParser, split_syslog
from kerio_watch.sources import firewall
from kerio_watch.sources.logfile import LogFile, bounded_lines, decode_line, open_binary

__all__ = [
    "Line",
    "frame",
    "later",
    "mark_copies",
    "own_lines",
    "own_name",
    "same_line",
    "same_time",
    "sniff",
]

WIDEST_OFFSET = 14 * 3600
"""Seconds between UTC and the farthest zone's clock (UTC+14)."""
ZONE_STEP = 15 * 60
"""Every zone's offset is a whole number of quarter hours."""


_ROTATED = re.compile(r"([a-z]+)\.log(?:[.-]\d+)*(?:\.gz)?")
"""A log's own name and its rotated generations: ``mail.log``, ``mail.log.1``,
``mail.log.2.gz``, ``mail.log-20260302``."""


def own_name(name: str, log: str | None, hints: Mapping[str, str]) -> bool:
    """Whether a file ``name``d so is named as ``log`` or a rotated generation of it
    (``hints``: the log a name's stem gives; a log known by its lines, such as Kerio
    Control's ``filter.log``, by any stem no other log has)."""
    named = _ROTATED.fullmatch(name.lower())
    return named is not None and log is not None and hints.get(named[1], log) == log


class Line(NamedTuple):
    """A line's time (None: none) and message."""

    ts: int | None
    utc: bool
    message: str


_END = Line(None, True, "\x00")
"""A file's end (no line is empty)."""


def mark_copies(files: list[LogFile]) -> None:
    """Set :attr:`LogFile.copy_of` on each file whose lines another file of its log starts
    with (of identical files, the first on-disk, then plain, one given is read), and on a
    file of several logs whose lines are those of other files merged."""
    _mark_twins(files)
    for f in files:
        if f.log is not None and f.copy_of is None and not _original(f):
            originals = [g for g in files if g is not f and g.log == f.log and _original(g)
                         and g.copy_of is None]  # fmt: skip
            if originals and (f.syslog or _starts_alike(f, originals)):
                _check(f, originals)
    for f in files:
        if f.log is None and f.copy_of is None:
            _check(f, [g for g in files if g is not f])


def _original(f: LogFile) -> bool:
    """A file of its log's own name or a rotated generation, as the server writes it
    (a syslog server's file named so is a copy of the log when the log is given too)."""
    return f.own_name and not f.syslog


def _starts_alike(f: LogFile, originals: list[LogFile]) -> bool:
    """Whether ``f``'s first line is the first line of one of ``originals`` (a copy of
    the log, as follow tells one: :func:`kerio_watch.sources.echo.copy_of`)."""
    first = _first(f)
    return first is not None and any(
        (head := _first(g)) is not None and same_line(head, first) for g in originals
    )


def _check(f: LogFile, files: list[LogFile]) -> None:
    """Check ``f`` line by line against ``files``: a copy when they hold all its lines,
    else the lines they lack are read from it (:attr:`LogFile.only_lines`)."""
    used, own = _merged_from(f, files)
    if used and not own:
        f.copy_of = ", ".join(used)
    elif used:
        f.only_lines = frozenset(own)


def _mark_twins(files: list[LogFile]) -> None:
    groups: dict[str, list[LogFile]] = {}
    for f in files:
        first = _first(f)
        if first is not None:
            groups.setdefault(first.message, []).append(f)
    for group in groups.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda f: (f.syslog, f.compressed))  # stable: then in the order given
        for f in reversed(group):  # of identical files, the later ones are the copies
            for other in group:
                if other is f or other.copy_of is not None or not _same_log(f, other):
                    continue
                if _original(f) and not _original(other):
                    continue  # the copy is checked line by line against the originals
                if _starts(other, f):
                    f.copy_of = other.path
                    break


class _Numbered(Protocol):
    @property
    def lineno(self) -> int: ...


_R = TypeVar("_R", bound=_Numbered)


def own_lines(records: Iterable[_R], f: LogFile) -> Iterator[_R]:
    """The records of ``f`` to read: of a file with :attr:`LogFile.only_lines`, those
    lines (the other files hold the rest: read there, counted in
    :attr:`LogFile.passed_over`). Every file's records come through here: a file
    read whole gets its own iterator back, with no layer on the hot path."""
    if f.only_lines is None:
        return iter(records)
    return _only(records, f, f.only_lines)


def _only(records: Iterable[_R], f: LogFile, only: frozenset[int]) -> Iterator[_R]:
    for record in records:
        if record.lineno in only:
            yield record
        else:
            f.passed_over += 1


def _merged_from(f: LogFile, files: list[LogFile]) -> tuple[list[str], list[int]]:
    """The files whose lines, merged, are lines of ``f`` (a syslog server's file of
    every log), each line the next unread one of a file, or a later one of a file of its
    log (a relay started after the server, one that lost a record); and the numbers of
    ``f``'s lines found in none (read from ``f``). Nothing found: ([], [])."""
    others = [g for g in files if g.copy_of is None]
    streams = [_Ahead(_lines(g)) for g in others]
    used: set[int] = set()
    own: list[int] = []
    mine = _numbered(f)
    try:
        for lineno, line in mine:
            found = next((i for i, s in enumerate(streams) if s.take_next(line)), None)
            if found is None:
                log = f.log or sniff(line.message)
                found = next((i for i, g in enumerate(others) if g.log == log and
                              streams[i].take_further(line)), None)  # fmt: skip
            if found is None:
                own.append(lineno)
            else:
                used.add(found)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile):
        return [], []
    finally:
        mine.close()
        for stream in streams:
            stream.lines.close()
    return [others[i].path for i in sorted(used)], own


class _Ahead:
    """A file's lines, read ahead while a line is searched for (kept when it is not
    found: a line found nowhere passes over none of them). Of those, the first
    :attr:`early` are surely earlier than :attr:`early_for`, the last line searched
    for, and the first :attr:`bound` not later than it: for a line no earlier, neither
    is looked at again (each line of a file of other times searched the lines within
    a zone's offset of it: 22 million comparisons for 41,606 lines of a month's site)."""

    def __init__(self, lines: Generator[Line, None, None]) -> None:
        self.lines = lines
        self.ahead: list[Line] = []
        self.messages: list[str] = []
        self.early = self.bound = 0
        self.early_for: Line | None = None

    def _at(self, i: int) -> Line:
        while len(self.ahead) <= i:
            line = next(self.lines, _END)
            self.ahead.append(line)
            self.messages.append(line.message)
        return self.ahead[i]

    def _take(self, count: int) -> None:
        del self.ahead[:count], self.messages[:count]
        self.early, self.bound = max(0, self.early - count), max(0, self.bound - count)

    def take_next(self, line: Line) -> bool:
        """Whether ``line`` is the next unread line (then it is read)."""
        if same_line(self._at(0), line):
            self._take(1)
            return True
        return False

    def take_further(self, line: Line) -> bool:
        """Whether ``line`` comes further on (its lines before it, not later than it,
        passed over: then they and it are read); else nothing is read."""
        last = self.early_for
        if not (last is not None and line.ts is not None and last.ts is not None
                and last.utc == line.utc and last.ts <= line.ts):  # fmt: skip
            self.early = self.bound = 0
        self.early_for = line
        while (head := self._at(self.bound)) is not _END and not later(head, line):
            self.bound += 1
        while self.early < self.bound and later(line, self.ahead[self.early]):
            self.early += 1
        i = self.early
        while i < self.bound:
            try:
                i = self.messages.index(line.message, i, self.bound)
            except ValueError:
                return False
            if same_time(self.ahead[i], line):
                self._take(i + 1)
                return True
            i += 1
        return False


_PARSERS: dict[str, Parser] = {}


def sniff(message: str) -> str | None:
    """The log whose parser knows a message of a file of every log (None: none)."""
    if not _PARSERS:
        _PARSERS.update(build_parsers())
    return next((name for name, p in _PARSERS.items() if p.sniff(message)), None)


def later(one: Line, other: Line) -> bool:
    """Whether ``one`` is surely later than ``other`` (a time in UTC and one on the
    server's clock: by more than the widest zone offset)."""
    if one.ts is None or other.ts is None:
        return False
    margin = 0 if one.utc == other.utc else WIDEST_OFFSET
    return one.ts > other.ts + margin


def _same_log(one: LogFile, other: LogFile) -> bool:
    """Files of one log (a file that names none has each line sniffed: any log)."""
    return one.log == other.log or one.log is None or other.log is None


def _lines(f: LogFile) -> Generator[Line, None, None]:
    """The non-empty lines of ``f``, decoded and framed as the readers do."""
    for _, line in _numbered(f):
        yield line


def _numbered(f: LogFile) -> Generator[tuple[int, Line], None, None]:
    """The non-empty lines of ``f`` with their numbers (as the readers count them)."""
    scratch = LogFile(f.path, None)
    stamp = StampParser()
    newest = firewall.newest_time(f.path) if f.syslog and f.data is None else None
    with open_binary(f) as handle:
        for lineno, data in enumerate(bounded_lines(handle), 1):
            text = decode_line(data, scratch)
            if text:
                yield lineno, frame(text, f, stamp, newest)


def frame(text: str, f: LogFile, stamp: StampParser, newest: int | None = None) -> Line:
    """A non-empty line of ``f`` as the readers frame it: its time (``newest``: the
    latest time an RFC 3164 line of the file can have, or later ones are of last year)
    and its message."""
    framed = split_syslog(text, f.year) if f.syslog else stamp.split(text)
    if framed is None:
        framed = stamp.split(text) if f.syslog else split_syslog(text, f.year)
    if framed is None:
        return Line(None, False, text)
    if newest is not None and framed.ts > newest:  # an RFC 3164 line of last year
        framed = firewall.last_year(framed, text)
    return Line(framed.ts, framed.utc, framed.message)


def _first(f: LogFile) -> Line | None:
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


def _is_start(lines: Iterator[Line], copied: Iterator[Line]) -> bool:
    cut = False
    for line, mine in zip_longest(lines, copied):
        if mine is None:
            return True
        if cut or line is None or not same_time(line, mine):
            return False  # a cut line before the copy's last, the copy longer, a new time
        if line.message != mine.message:
            if not line.message.startswith(mine.message):
                return False
            cut = True
    return True


def same_line(one: Line, other: Line) -> bool:
    """The same line in two files: the same message at the same moment."""
    return one.message == other.message and same_time(one, other)


def same_time(one: Line, other: Line) -> bool:
    if one.ts is None or other.ts is None:
        return one.ts == other.ts
    if one.utc == other.utc:
        return one.ts == other.ts
    apart = abs(one.ts - other.ts)  # a zone's offset: whole quarter hours, at most 14 hours
    return apart <= WIDEST_OFFSET and apart % ZONE_STEP == 0
