"""Following a syslog file whose lines are the log folder's, as both are written.

The rule of :mod:`kerio_watch.sources.copies`, line by line while files grow: a syslog
server's file of every log (or of one log) followed beside the log folder holds the same
messages at the same moments, in another envelope, so its first line's hash tells
nothing (``follow`` read each of them twice). Each line of a followed file in a syslog
envelope, or naming no single log, is looked for in the on-disk files of its log: as
the next line of the file its last line was found in, or else further on in any of them
(the first search reads a file from its start: a relay started after the server holds
the folder's lines from then on; later ones from the last line found: a record the
relay lost is skipped over). A line found is not read (its file's position moves over
it); it is read from the folder.

A line found nowhere is read: at once when no on-disk file of its log is followed (a
log only the relay has), else after up to :data:`ECHO_WAIT` seconds (the relay may
write a line before the server's own file has it), with the lines after it.

Archives take part as plain files do: the folder's are searched (decompressed from
the start: a relay's lines held only there, at a first start with a backlog), and a
relay's own are checked, whole: an archive is read once all its lines are decided.
"""

from __future__ import annotations

import logging
import os
import zlib
from collections.abc import Generator, Iterable

from kerio_watch.formats.envelope import StampParser
from kerio_watch.log import note
from kerio_watch.sources.copies import Line, frame, later, same_line, sniff
from kerio_watch.sources.logfile import LogFile, decode_line
from kerio_watch.sources.tail import CHUNK, KEEP_BYTES, Echo, FollowedFile, Key, State, gz_from

__all__ = ["ECHO_WAIT", "WHOLE", "copy_of", "readable_end", "wants_echo"]

ECHO_WAIT = 60.0
"""Seconds a line of an echo that no on-disk file holds yet is waited for."""


_READING = float("-inf")
"""``Echo.missing_since`` once a line was waited for in vain: read on until one is found."""


WHOLE = 2**62
"""What :func:`readable_end` returns for a compressed file whose every line is decided
(it is read whole, or waits)."""


def wants_echo(f: FollowedFile) -> bool:
    """A file in a syslog envelope, or of no single log: checked line by line (its
    archives too: a relay's file is rotated and compressed as the folder's are)."""
    return f.source.syslog or f.source.log is None


def copy_of(f: FollowedFile, files: Iterable[FollowedFile]) -> FollowedFile | None:
    """The followed plain file of its log that new plain ``f`` is a copy of, saved with
    other line ends or a byte order mark (None: none): its first line, framed as the
    readers frame it, is that file's, but its bytes (the identity hash) differ.

    Such a copy (``mail.log.win`` beside ``mail.log``) is checked line by line as an
    echo is: lines the on-disk files hold are passed over, the others read (a copy
    that diverges is read from where it diverges). Its own hash and positions are kept:
    checkpoints of files with CRLF line ends are unchanged, and no position of one file
    is used in another.
    """
    if f.echo is not None or f.compressed or f.source.syslog or f.first_line is None:
        return None
    for g in files:
        if (
            _original(g, f)
            and g.source.log == f.source.log
            and g.state is not State.DONE
            and g.first_hash != f.first_hash
            and g.first_line is not None
            and same_line(g.first_line, f.first_line)
        ):
            return g
    return None


def readable_end(f: FollowedFile, files: list[FollowedFile], now: float, size: int) -> int:
    """Where reading ``f`` stops now (its lines up to ``size`` checked against the on-disk
    ``files``): lines found there are marked to be passed over, lines found nowhere are
    read, and the first line still waited for stops it. A compressed ``f`` is checked
    to its end (``size`` is not used): :data:`WHOLE` once every line is decided, else
    where the line waited for starts (it is not read yet)."""
    echo = f.echo
    assert echo is not None  # noqa: S101
    echo.skip = {end for end in echo.skip if end > f.offset}
    start = max(f.offset, echo.decided)
    disk = [g for g in files if _original(g, f)]
    if f.compressed:
        size = WHOLE
    if not disk:
        return size  # every line is read
    readers: dict[Key, Generator[tuple[Line, int], None, None]] = {}
    heads: dict[Key, tuple[Line, int] | None] = {}
    mine = _lines(f, start, echo.stamp, size)
    try:
        for line, end in mine:
            found = _found(echo, line, f, disk, readers, heads)
            if found:
                echo.skip.add(end)
                echo.missing_since = None
                _tell(f, echo)
            elif found is None:  # may still be written to the file of its log
                if echo.missing_since is None:
                    echo.missing_since = now
                if now - echo.missing_since < ECHO_WAIT:
                    return start
                if echo.missing_since != _READING:
                    echo.missing_since = _READING  # the lines after it are not waited for
                    note(logging.WARNING, "copy_line_missing", path=f.path, offset=start,
                         reason="lines the on-disk files do not hold: read")  # fmt: skip
            start = echo.decided = end
    finally:
        for stream in (mine, *readers.values()):
            stream.close()
    return WHOLE if f.compressed else start


def _tell(f: FollowedFile, echo: Echo) -> None:
    if not echo.told:
        echo.told = True
        note(logging.INFO, "copy_seen", path=f.path, original="the log folder's files")


def _original(g: FollowedFile, f: FollowedFile) -> bool:
    """Whether ``f``'s lines are looked for in ``g``: a file of one log, and, unless
    ``f`` is a file of every log (a relay's), one read as it is (not itself checked: a
    log folder in a syslog envelope, or a log also forwarded to its own file, is what
    a relay's file of every log is checked against; checks never go round in a circle)."""
    return (
        g is not f
        and (g.echo is None or f.source.log is None)
        and g.source.log is not None
        and g.state in (State.LIVE, State.GONE, State.DONE)
    )


def _log_of(line: Line, f: FollowedFile) -> str | None:
    """The log of ``f``'s ``line``: its file's, or of a file of every log, the log whose
    parser knows the line (None: not known)."""
    return f.source.log or sniff(line.message)


def _of_log(g: FollowedFile, log: str | None) -> bool:
    return log is None or g.source.log == log


def _found(
    echo: Echo,
    line: Line,
    f: FollowedFile,
    disk: list[FollowedFile],
    readers: dict[Key, Generator[tuple[Line, int], None, None]],
    heads: dict[Key, tuple[Line, int] | None],
) -> bool | None:
    """Whether ``line`` is the next line of a file a line was found in, or (searched)
    a later one of a file of its log (``readers`` and ``heads``: the files' lines read
    on from where the last line was found, kept for the next line); None: not yet,
    but it may be written to one (each searched to its end)."""
    for g in disk:
        key = (g.dev, g.ino)
        at = echo.found.get(key)
        if at is None:
            continue
        if key not in heads:
            readers[key] = _lines(g, at, echo.stamp)
            heads[key] = next(readers[key], None)
        head = heads[key]
        if head is not None and same_line(head[0], line):
            echo.found[key] = head[1]
            heads[key] = next(readers[key], None)
            return True
    log = _log_of(line, f)
    return _searched(echo, line, [g for g in disk if _of_log(g, log)], readers, heads)


def _searched(
    echo: Echo,
    line: Line,
    disk: list[FollowedFile],
    readers: dict[Key, Generator[tuple[Line, int], None, None]],
    heads: dict[Key, tuple[Line, int] | None],
) -> bool | None:
    """Each file searched from where a line was last found in it (or its start) until
    its lines are later than ``line`` (files are in time order)."""
    may_come = False
    for g in disk:
        key = (g.dev, g.ino)
        last = echo.searched.get(key)
        start = last[1] if last is not None and last[0] == line else echo.found.get(key, 0)
        end, past = start, False
        for other, end in _lines(g, start, echo.stamp):
            if same_line(other, line):
                echo.found[key] = end
                echo.searched.pop(key, None)
                if key in readers:
                    readers.pop(key).close()
                heads.pop(key, None)
                return True
            if later(other, line):
                past = True
                break
        if not past and not g.compressed:  # an archive does not grow
            echo.searched[key] = (line, end)
            may_come = True
    return None if may_come else False


def _lines(
    f: FollowedFile, start: int, stamp: StampParser, size: int | None = None
) -> Generator[tuple[Line, int], None, None]:
    """The complete non-empty lines of ``f`` from ``start`` (up to ``size``; of an
    archive, decompressed offsets, to its end): (line, end offset)."""
    fd, own = f.fd, f.fd is None
    if fd is None:
        try:
            fd = os.open(f.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != (f.dev, f.ino):  # another file there now
            os.close(fd)
            return
    try:
        if f.compressed:
            yield from _gz_lines(f, fd, start, stamp)
        else:
            yield from _plain_lines(f, fd, start, stamp, size)
    finally:
        if own:
            os.close(fd)


def _gz_lines(
    f: FollowedFile, fd: int, start: int, stamp: StampParser
) -> Generator[tuple[Line, int], None, None]:
    """The lines of archive ``f`` (open at ``fd``) after decompressed offset ``start``,
    as :func:`~kerio_watch.sources.tail.read_gz_lines` reads them."""
    scratch = LogFile(f.path, None)
    try:
        with gz_from(fd, start) as (handle, pos):
            for data in handle:
                pos += len(data)
                text = decode_line(data.rstrip(b"\n")[:KEEP_BYTES] + b"\n", scratch)
                if text:
                    yield frame(text, f.source, stamp), pos
    except (OSError, EOFError, zlib.error):
        return  # damaged or being written: read where the batch reads it


def _plain_lines(
    f: FollowedFile, fd: int, start: int, stamp: StampParser, size: int | None
) -> Generator[tuple[Line, int], None, None]:
    """The complete non-empty lines of plain ``f`` (open at ``fd``) from ``start``."""
    scratch = LogFile(f.path, None)  # its decoding errors are counted where it is read
    pos, buf = start, b""
    while True:
        try:
            want = CHUNK if size is None else min(CHUNK, size - pos - len(buf))
            chunk = os.pread(fd, want, pos + len(buf)) if want > 0 else b""
        except OSError:
            return
        if not chunk:
            return
        buf += chunk
        *parts, buf = buf.split(b"\n")
        for part in parts:
            pos += len(part) + 1
            text = decode_line(part[:KEEP_BYTES] + b"\n", scratch)
            if text:
                yield frame(text, f.source, stamp), pos
