"""Reading log files: discovery, sniffing, decoding and merging into time order.

A path may be a file, a Kerio log directory, or ``-`` for standard input. In a
directory, logs are found by name (``mail.log``) and by content, so rotated and
gzip-compressed files (whatever their names) are found too. Every line (ended by a
newline or 8 NUL bytes: ``lineends``) is read as bytes and decoded leniently (invalid
UTF-8 replaced and counted; a BOM, CR and NUL bytes dropped): no input stops a scan.
"""

from __future__ import annotations

import gzip
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import IO, Any, NamedTuple

from kerio_watch.errors import SourceError
from kerio_watch.events import Event, Unparsed
from kerio_watch.formats import sniff_log
from kerio_watch.formats.envelope import StampParser, split_syslog
from kerio_watch.sources import firewall
from kerio_watch.sources.copies import mark_copies, own_lines, own_name
from kerio_watch.sources.logfile import (
    LINE_BYTES,
    MAX_LINE,
    READ_HINT,
    UNPARSED_SAMPLES,
    LogFile,
    bounded_lines,
    check_readable,
    decode_line,
    open_binary,
    read_cr_only,
    spooled,
    why_skipped,
)
from kerio_watch.sources.order import merge_by_time

__all__ = [
    "LINE_BYTES",
    "MAX_LINE",
    "UNPARSED_SAMPLES",
    "LogFile",
    "Record",
    "bounded_lines",
    "check_readable",
    "decode_line",
    "discover",
    "is_stream",
    "merged_records",
    "open_binary",
    "read_records",
]

SNIFF_LINES = 50
_GZIP_MAGIC = b"\x1f\x8b"
_NAME_HINTS = {
    "mail": "mail",
    "security": "security",
    "audit": "audit",
    "operations": "operations",
    "spam": "spam",
    "warning": "warning",
    "warn": "warning",
    "config": "config",
    **firewall.NAME_HINTS,
}


class Record(NamedTuple):
    """One framed line from a source.

    ``ts`` is local wall-clock seconds unless ``utc``; ``log`` is the log name the line
    belongs to (None: sniff the message); ``source`` is the file it came from;
    ``event`` is the line already parsed (by the native reader), or None.
    """

    ts: int
    utc: bool
    log: str | None
    message: str
    raw: str
    source: LogFile
    lineno: int
    event: Event | None = None


def _head_lines(log_file: LogFile, count: int = SNIFF_LINES) -> list[str]:
    lines: list[str] = []
    try:
        with open_binary(log_file) as handle:
            for data in bounded_lines(handle):
                text = decode_line(data, LogFile(log_file.path, None))
                if text.strip():
                    lines.append(text)
                if len(lines) >= count:
                    break
    except (OSError, EOFError, gzip.BadGzipFile):
        return lines
    return lines


def _inspect(log_file: LogFile, name_hint: str | None) -> LogFile | None:
    """Decide whether a file is a Kerio log, which one, and in which envelope."""
    head, name_hint = firewall.refine_head(_head_lines(log_file), name_hint)
    if not head:
        log_file.log = name_hint
        return log_file if name_hint else None
    stamp = StampParser()
    framed = [stamp.split(line) for line in head]
    on_disk = [f for f in framed if f is not None]
    syslog = [s for s in (split_syslog(line, log_file.year) for line in head) if s is not None]
    # A file named like a Kerio log is read whatever its first lines hold; anything else
    # must look like one (most of its first lines framed).
    majority = (len(head) + 1) // 2
    if len(on_disk) >= majority or (name_hint and on_disk and len(on_disk) >= len(syslog)):
        log_file.first_ts = on_disk[0].ts
        sniffed = sniff_log([f.message for f in on_disk])
        log_file.log = name_hint or sniffed
        return log_file if log_file.log else None
    if len(syslog) >= majority or (name_hint and syslog):
        log_file.syslog = True
        log_file.first_ts = syslog[0].ts
        named = {s.log for s in syslog if s.log}
        if len(named) == 1 and not any(s.log is None for s in syslog):
            log_file.log = named.pop()
        else:
            log_file.log = name_hint  # mixed: each record names or is sniffed for its log
        if log_file.log is None and not named:
            log_file.log = firewall.firewall_log([s.message for s in syslog])
        return log_file
    if name_hint:
        log_file.log = name_hint
        return log_file
    return None


def _name_hint(path: Path) -> str | None:
    stem = path.name.lower().split(".", 1)[0].split("_", 1)[0].split("-", 1)[0]
    return _NAME_HINTS.get(stem)


def _is_gzip(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(2) == _GZIP_MAGIC
    except OSError:
        return False


def is_stream(path: Path) -> bool:
    """Whether ``path`` is a pipe or a device, read once (``scan <(zcat ...)``, a named
    pipe): not a regular file or a folder."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _streamed(text: str, stdin: IO[bytes] | None) -> LogFile:
    """Standard input (``-``) or a pipe, copied once (see :func:`spooled`): sniffing it
    and then reading it took its first lines twice from the pipe (a third of a
    process substitution was lost).

    Raises:
        SourceError: the pipe cannot be opened, or the copy cannot be written.
    """
    if text == "-":
        data = spooled(stdin if stdin is not None else sys.stdin.buffer, "<stdin>")
        name = "<stdin>"
    else:
        try:
            with Path(text).open("rb") as handle:
                data = spooled(handle, text)
        except PermissionError:
            raise SourceError(f"{text}: permission denied ({READ_HINT})") from None
        except OSError as exc:
            raise SourceError(f"{text}: cannot read: {exc.strerror or exc}") from None
        name = text
    return LogFile(name, None, data=data, compressed=data.read(2) == _GZIP_MAGIC)


def _first_time(path: Path, seen: set[tuple[int, int]]) -> bool:
    """Whether the file at ``path`` is not among those ``seen`` (then it is now)."""
    try:
        st = path.stat()
    except OSError:
        return True
    if (st.st_dev, st.st_ino) in seen:
        return False
    seen.add((st.st_dev, st.st_ino))
    return True


def _file_time(path: Path) -> tuple[int, float | None]:
    """(year, modification time) of a file (1970 and None when it cannot be told)."""
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return 1970, None
    year = firewall.year_of(mtime)
    return year, (mtime if year != 1970 else None)


def discover(paths: Iterable[str], stdin: IO[bytes] | None = None) -> list[LogFile]:
    """Find the Kerio logs among ``paths`` (files, directories, ``-``).

    Raises:
        SourceError: a path, or a file in a folder, is missing or unreadable, or nothing
            readable is a Kerio log.
    """
    found: list[LogFile] = []
    skipped: list[LogFile] = []
    seen: set[tuple[int, int]] = set()
    """(device, inode) of the files taken: one named twice (a folder and a file in it,
    a symbolic or hard link) is read once, else its lines would count twice."""
    for text in paths:
        if text == "-" or is_stream(Path(text)):
            log_file = _streamed(text, stdin)
            inspected = _inspect(log_file, None if text == "-" else _name_hint(Path(text)))
            if inspected is None:
                skipped.append(log_file)
            else:
                found.append(inspected)
            continue
        path = Path(text)
        check_readable(path)
        candidates = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        for candidate in candidates:
            if candidate is not path:  # a file found in a folder is checked like one named
                check_readable(candidate)
            if not _first_time(candidate, seen):
                continue
            year, written = _file_time(candidate)
            log_file = LogFile(
                str(candidate), None, compressed=_is_gzip(candidate), year=year, written=written
            )
            read_cr_only(log_file)
            inspected = _inspect(log_file, _name_hint(candidate))
            if inspected is None:
                skipped.append(log_file)
            else:
                inspected.own_name = own_name(candidate.name, inspected.log, _NAME_HINTS)
                found.append(inspected)
    if not found:
        listed = ", ".join(paths) or "(nothing)"
        raise SourceError(f"no Kerio Connect logs found in {listed}{why_skipped(skipped)}")
    # Oldest first within each log, so rotated files are read before the live one.
    found.sort(key=lambda f: (f.log or "", f.first_ts if f.first_ts is not None else 0))
    mark_copies(found)
    return found


_new_record = tuple.__new__

SkipLine = Callable[[str, int], str | None]
"""A pre-parse filter: (on-disk line, its local time) -> the kind to count it as, ``""``
to drop it uncounted, or None to process it (``Pipeline.skip_line``)."""


def read_records(log_file: LogFile, skip: SkipLine | None = None) -> Iterator[Record]:
    """Every line of one file as a framed :class:`Record`; bad lines become Unparsed.

    This is the hot loop of ``scan``: on-disk lines are framed inline, and records are
    built without the NamedTuple constructor's Python-level overhead.

    Args:
        log_file: the file.
        skip: a pre-parse filter for on-disk lines (see :data:`SkipLine`).
    """
    stamp_parser = StampParser()
    stamp = stamp_parser.stamp
    syslog = log_file.syslog
    log = log_file.log
    newest = firewall.newest_time(log_file.path) if syslog and log_file.data is None else None
    lineno = 0
    lines = 0
    if log_file.passed_whole():  # an earlier scan read it to its end; unchanged since
        return
    with open_binary(log_file) as handle:
        try:
            read = bounded_lines(handle)
            if log_file.offset:
                handle.seek(log_file.offset)
                lineno = log_file.start
            else:  # lines done, counted one by one: a read error names the line reached
                for _ in islice(read, log_file.start):
                    lineno += 1
            for data in read:
                lineno += 1
                raw = _decoded(data, log_file)
                if not raw:
                    continue
                lines += 1
                if not syslog:
                    ts = stamp(raw)
                    if ts is not None:
                        if skip is not None:
                            skipped = skip(raw, ts)
                            if skipped is not None:
                                if skipped:  # "": an earlier run processed it
                                    log_file.events[skipped] += 1
                                continue
                        yield _new_record(
                            Record, (ts, False, log, raw[23:], raw, log_file, lineno, None)
                        )
                        continue
                record = _framed(log_file, stamp_parser, newest, raw, lineno)
                if record is not None:
                    yield record
            log_file.end = handle.tell()
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            log_file.note_unparsed(
                Unparsed(log or "unknown", "", f"read error: {exc}", log_file.path, lineno)
            )
        finally:
            log_file.lines += lines
            log_file.read_to = lineno


def _decoded(data: bytes, log_file: LogFile) -> str:
    """One line's text: the fast path for clean UTF-8, :func:`decode_line` otherwise."""
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError:
        return decode_line(data, log_file)
    if raw[-1:] == "\n":
        raw = raw[:-2] if raw[-2:-1] == "\r" else raw[:-1]
    if len(raw) > MAX_LINE or "\x00" in raw or raw[:1] == "\ufeff":
        return decode_line(data, log_file)
    return raw


def _framed(
    log_file: LogFile, stamp_parser: StampParser, newest: int | None, raw: str, lineno: int
) -> Record | None:
    """A line without an on-disk stamp: syslog framing (or the other way round); a
    W3C header or an unstamped line is counted instead (None)."""
    log = log_file.log
    syslog = log_file.syslog
    framed = split_syslog(raw, log_file.year) if syslog else None
    if framed is None:
        framed = stamp_parser.split(raw) if syslog else split_syslog(raw, log_file.year)
    if framed is None:
        if firewall.is_header(raw, log):
            log_file.events["header"] += 1
        else:
            log_file.note_unparsed(
                Unparsed(log or "unknown", raw, "no timestamp", log_file.path, lineno)
            )
        return None
    if newest is not None and framed.ts > newest:
        framed = firewall.last_year(framed, raw)
    fields = (framed.ts, framed.utc, framed.log or log, framed.message, raw, log_file, lineno, None)
    return _new_record(Record, fields)


FileReader = Callable[[LogFile, SkipLine | None], Iterator[Record]]
"""Reads one file's records (:func:`read_records`, or the native engine's reader)."""


def merged_records(
    files: list[LogFile],
    skip: SkipLine | None = None,
    when: Callable[[Record], int] | None = None,
    read: FileReader = read_records,
    held: list[Any] | None = None,
    prevs: dict[str, int] | None = None,
) -> Iterator[Record]:
    """All records of all files in time order (files of one log are concatenated; see
    :mod:`kerio_watch.sources.order`); ``when`` puts records framed in UTC on the local
    clock (``Parsing.merge_time``); ``held``, ``prevs`` (by log): see :func:`merge_by_time`."""
    by_log: dict[str | None, list[LogFile]] = {}
    for f in files:
        by_log.setdefault(f.log, []).append(f)
    streams = [_chain(group, skip, read) for group in by_log.values()]
    before = [prevs.get(log or "") for log in by_log] if prevs else None
    return merge_by_time(streams, when or _record_time, held, before)


def _record_time(record: Record) -> int:
    return record.ts


def _chain(group: list[LogFile], skip: SkipLine | None, read: FileReader) -> Iterator[Record]:
    for log_file in group:
        if log_file.copy_of is None:  # a copy's lines are read in the file it copies
            yield from own_lines(read(log_file, skip), log_file)
