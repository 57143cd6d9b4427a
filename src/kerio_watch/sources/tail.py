"""Reading complete lines of growing files for :mod:`kerio_watch.sources.follow`.

Holds what one followed file is (:class:`FollowedFile`) and the low-level reads: the
identity line, complete lines from a checkpoint up to a size taken beforehand (long
lines are cut without being held in memory), and the unread part of a gzip archive.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import logging
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from kerio_watch.formats.envelope import StampParser
from kerio_watch.log import note
from kerio_watch.sources.copies import Line
from kerio_watch.sources.files import MAX_LINE, LogFile
from kerio_watch.sources.lineends import ended_by_runs, line_end, split_runs

HEAD_BYTES = 4096
"""The identity hash covers the first line, or its first this many bytes."""
CHUNK = 256 * 1024
"""Bytes read from a file at a time."""
LONG_LINE = 1 << 20
"""A line longer than this is cut to its first :data:`KEEP_BYTES` while it is read."""
KEEP_BYTES = MAX_LINE * 4
_GZIP_MAGIC = b"\x1f\x8b"
_LINE_ENDS = (b"\n", b"\x00")
"""The last byte of a line: its newline, or a NUL run's (:mod:`kerio_watch.sources.lineends`)."""


class State(Enum):
    """Where a followed file stands."""

    PENDING = "pending"
    """No complete first line yet: identity unknown, nothing to read."""
    LIVE = "live"
    """At a watched path: read as it grows."""
    GONE = "gone"
    """Renamed out of the watched paths or deleted: drained through the open descriptor."""
    TWIN = "twin"
    """A copy of a file being read (same first line): not read while that one lives."""
    DONE = "done"
    """Never read (again): an archive already handled, or a skipped old copy."""
    IGNORED = "ignored"
    """Not a Kerio log (sniffed again if it changes while small), or not readable yet."""


Key = tuple[int, int]
"""A file's (device, inode)."""


@dataclass
class Echo:
    """Where the lines of a file in a syslog envelope were found among the on-disk files
    (:mod:`kerio_watch.sources.echo`): per file, after the last line found."""

    found: dict[Key, int] = field(default_factory=dict)
    searched: dict[Key, tuple[Line, int]] = field(default_factory=dict)
    """Files searched for a line not in them (up to where): a wait reads them on."""
    missing_since: float | None = None
    """When a line found nowhere was first met (monotonic seconds)."""
    decided: int = 0
    """Lines before this offset were looked for."""
    skip: set[int] = field(default_factory=set)
    """The end offsets of lines found: passed over when read."""
    stamp: StampParser = field(default_factory=StampParser)
    told: bool = False


@dataclass(eq=False)
class FollowedFile:
    """One file (inode) the follower knows about."""

    path: str
    dev: int
    ino: int
    source: LogFile
    seq: int
    state: State = State.PENDING
    first_hash: str = ""
    head_len: int = 0
    """Bytes the identity hash covers (the first line)."""
    head_at: int = 0
    """Where that line starts (after W3C directives; see :func:`read_head`)."""
    first_ts: int | None = None
    first_line: Line | None = None
    """The first line as the readers frame it (line end and byte order mark dropped):
    a copy saved with other line ends has another hash but this same line."""
    offset: int = 0
    """The byte after the last line handed over (the checkpoint)."""
    lineno: int = 0
    size: int = 0
    first_size: int = 0
    """Its size when it was first seen (where an older copy of a file read ends)."""
    mtime_ns: int = 0
    ctime_ns: int = 0
    fd: int | None = None
    compressed: bool = False
    total: int = 0
    """Compressed files: decompressed size once read to the end (0: not yet, -1: skipped)."""
    tried: int = -1
    """Compressed files: their size when a read stopped short (being written)."""
    changed_at: float = 0.0
    """Monotonic time of the last change seen (growth, rename, discovery)."""
    twin_of: str = ""
    final: bool = False
    """Vanished and quiet: read its last line even without a newline, then close."""
    partial: tuple[int, int] | None = None
    """(start, scanned up to) of a long line still waiting for its newline."""
    stamp: StampParser = field(default_factory=StampParser)
    warned_decode: bool = False
    unreadable: bool = False
    """Ignored because reading it was denied: tried again (see ``Follower``)."""
    echo: Echo | None = None
    """Its lines are checked against the on-disk files' (None: it is read)."""

    @property
    def log(self) -> str:
        """The log this file belongs to ("" for a mixed syslog stream)."""
        return self.source.log or ""

    def close(self) -> None:
        """Close the descriptor, if open."""
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None


def read_lines(f: FollowedFile, end: int, ended: bool = False) -> Iterator[tuple[bytes, int]]:
    """Complete lines of a plain file from its checkpoint up to ``end``: (bytes, end offset).

    ``ended``: a newer file of its log has lines: the unterminated last line is read as
    it is, as ``scan`` reads it (its newline never comes: the writer moved on).
    """
    fd = f.fd
    if fd is None:
        return
    pos = f.offset
    read_at = pos
    head = b""  # the start of a long line being skipped
    long_start: int | None = None
    if f.partial is not None and f.partial[0] == pos:
        long_start, read_at = f.partial
        head = _pread(fd, KEEP_BYTES, pos)
    buf = b""
    while read_at < end:
        chunk = _pread(fd, min(CHUNK, end - read_at), read_at)
        if not chunk:
            break
        if not still_same(f, fd):  # truncated and refilled under the reader: none of it
            return
        read_at += len(chunk)
        if long_start is not None:
            cut = line_end(chunk)
            if cut < 0:
                continue
            pos = read_at - len(chunk) + cut
            yield head, pos
            head = b""
            long_start = None
            chunk = chunk[cut:]
        buf += chunk
        parts = buf.split(b"\n")
        buf = parts.pop()
        for part in parts:
            if 0 in part:
                yield from ended_by_runs(part + b"\n", pos)
            else:
                yield part, pos + len(part) + 1
            pos += len(part) + 1
        if 0 in buf:  # NUL runs end lines before a "\n" is written
            pieces, rest = split_runs(buf)
            for piece, piece_end in pieces:
                yield piece, pos + piece_end
            buf = buf[rest:]
            pos += rest
        if len(buf) > LONG_LINE:
            long_start = pos
            head = buf[:KEEP_BYTES]
            buf = b""
    if long_start is not None:
        f.partial = (long_start, read_at)
        return
    f.partial = None
    if (f.final or ended) and buf and pos + len(buf) == end:
        yield buf, end  # a vanished or rotated file's unterminated last line


def read_gz_lines(f: FollowedFile) -> Iterator[tuple[bytes, int]]:
    """Lines of a compressed file after its checkpoint (decompressed offsets), read
    through its open descriptor (renamed or deleted since: still read)."""
    pos = 0
    if f.fd is None:
        return
    try:
        with gz_from(f.fd, f.offset) as (handle, pos):
            tail = b""
            for data in handle:
                if not data.endswith(b"\n"):
                    tail = data
                    break
                if 0 in data:
                    yield from ended_by_runs(data, pos)
                else:
                    yield data, pos + len(data)
                pos += len(data)
            if tail and not handle.read(1):  # complete stream, unterminated last line
                yield from ended_by_runs(tail, pos)
                pos += len(tail)
    except (OSError, EOFError, zlib.error) as exc:
        f.tried = f.size  # being written (or damaged): again when it changes
        if not isinstance(exc, EOFError):
            note(logging.WARNING, "cannot_read", path=f.path, error=str(exc))
        return
    f.total = pos
    if f.offset >= pos:  # else once its last line is handed over (lines may be read ahead)
        gz_done(f)


@contextlib.contextmanager
def gz_from(fd: int, start: int) -> Iterator[tuple[gzip.GzipFile, int]]:
    """The archive open at ``fd``, decompressed up to offset ``start`` (or to its end,
    when shorter), and the offset it stands at; read through a duplicate of ``fd``
    (renamed or deleted since: still read). Raises what a damaged or growing archive
    raises (``OSError``, ``EOFError``, ``zlib.error``)."""
    with os.fdopen(os.dup(fd), "rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as handle:
        raw.seek(0)  # the duplicate shares the descriptor's position
        pos = 0
        while pos < start:
            block = handle.read(min(CHUNK, start - pos))
            if not block:
                break
            pos += len(block)
        yield handle, pos


def gz_done(f: FollowedFile) -> None:
    """A compressed file read and handed over to its end: never read again."""
    f.state = State.DONE
    f.close()
    note(logging.INFO, "file_done", path=f.path, offset=f.total, compressed=True)


def still_same(f: FollowedFile, fd: int) -> bool:
    """Whether the file still starts with the line that identifies it.

    Checked after each read, so bytes read from a file copied, truncated and refilled
    past the position in the meantime (copy-and-truncate rotation) are never handed
    over as lines: the next look notices the new first line, and the copy continues
    from the last line handed over.
    """
    if not f.first_hash or not f.head_len:
        return True
    return hashlib.sha256(_pread(fd, f.head_len, f.head_at)).hexdigest() == f.first_hash


def ends_a_line(f: FollowedFile, offset: int) -> bool:
    """Whether a line ends right before ``offset`` in the file (by name: while the name
    holds its inode)."""
    if offset <= 0:
        return True
    try:
        if f.fd is not None:
            return _pread(f.fd, 1, offset - 1) in _LINE_ENDS
        with Path(f.path).open("rb") as handle:
            st = os.fstat(handle.fileno())
            if (st.st_dev, st.st_ino) != (f.dev, f.ino):
                return True  # not this file any more: nothing to tell
            handle.seek(offset - 1)
            return handle.read(1) in _LINE_ENDS
    except OSError:
        return True


def _pread(fd: int, size: int, offset: int) -> bytes:
    try:
        return os.pread(fd, size, offset)
    except OSError:
        return b""


def size_of(f: FollowedFile) -> int:
    if f.fd is not None:
        try:
            return os.fstat(f.fd).st_size
        except OSError:
            return f.size
    return f.size


def size_and_mtime(f: FollowedFile) -> tuple[int, float | None]:
    """A plain file's size and when it was last written (epoch seconds), from one look
    (None: not known with that size)."""
    if f.fd is not None:
        try:
            st = os.fstat(f.fd)
        except OSError:
            return f.size, None
        return st.st_size, st.st_mtime
    return f.size, f.mtime_ns / 1e9 if f.mtime_ns else None


def read_head(f: FollowedFile, path: str | None = None) -> bytes | None:
    """The identity line of :func:`read_head_at`, None if not there yet."""
    found = read_head_at(f, path)
    return found[1] if found is not None else None


def read_head_at(f: FollowedFile, path: str | None = None) -> tuple[int, bytes] | None:
    """(offset, bytes) of the first complete line (or first HEAD_BYTES bytes), None if
    not there yet.

    A file that starts with W3C directives (``#Version: 1.5``, ``#Fields: ...``, then
    maybe a blank line: Windows Firewall's ``pfirewall.log``) writes the same directives
    in every file, so they cannot tell one file from the next: the first line after
    them is the identity, and the file waits until it has one.
    """
    path = path or f.path
    try:
        if f.fd is not None and not f.compressed:
            data = os.pread(f.fd, HEAD_BYTES, 0)
        else:
            # By name, so only if the name still holds this inode: logrotate shifting
            # archives gives a name to the next file between the listing and this read.
            with Path(path).open("rb") as handle:
                st = os.fstat(handle.fileno())
                if (st.st_dev, st.st_ino) != (f.dev, f.ino):
                    return None
                if f.compressed:
                    with gzip.GzipFile(fileobj=handle, mode="rb") as unpacked:
                        data = unpacked.read(HEAD_BYTES)
                else:
                    data = handle.read(HEAD_BYTES)
    except (OSError, EOFError, zlib.error):
        return None
    start = _after_directives(data)
    cut = data.find(b"\n", start)
    if cut >= 0:
        return start, data[start : cut + 1]
    return (start, data[start:]) if len(data) >= HEAD_BYTES and not start else None


def _after_directives(data: bytes) -> int:
    """Offset of the first line after leading ``#`` directives (and blank lines among
    them); 0 when the data does not start with a directive."""
    start = 0
    while data.startswith(b"#", start) or (start and data[start : start + 1] in (b"\n", b"\r")):
        cut = data.find(b"\n", start)
        if cut < 0:
            return start
        start = cut + 1
    return start


def complete_end(f: FollowedFile, size: int | None = None) -> int:
    """The offset after the last complete line (start at the end: ``--no-backfill``),
    of the first ``size`` bytes (default: the whole file)."""
    size = f.size if size is None else min(size, f.size)
    if size == 0:
        return 0
    try:
        with Path(f.path).open("rb") as handle:
            pos = size
            while pos > 0:
                start = max(0, pos - CHUNK)
                handle.seek(start)
                data = handle.read(pos - start)
                cut = data.rfind(b"\n")
                if cut >= 0:
                    return start + cut + 1
                pos = start
    except OSError:
        return 0
    return 0


def is_gzip(path: str, st: os.stat_result | None = None) -> bool | None:
    """Whether the file at ``path`` is gzip-compressed (False when unreadable).

    With ``st`` (the listing's): None when the name no longer holds that inode, since
    logrotate may give the name to the next file between the listing and this read.
    """
    try:
        with Path(path).open("rb") as handle:
            if st is not None:
                now = os.fstat(handle.fileno())
                if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
                    return None
            return handle.read(2) == _GZIP_MAGIC
    except OSError:
        return False
