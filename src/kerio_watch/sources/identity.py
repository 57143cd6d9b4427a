"""What a followed file holds, by content: the order files are placed in, and old copies.

Files of one log follow each other in time, so the follower orders files it finds by
the log time of their first line, never by their names or whether they are compressed
(``mail.log.1.gz`` may hold newer lines than ``mail.log.2``, and a dated archive name
sorts anywhere). A file is an old copy (not read) only when *all* its lines are older
than lines already read from its log: a scan of the same database would skip each of
them as already processed, so skipping the file loses nothing a scan would read.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from kerio_watch.formats.envelope import split_syslog
from kerio_watch.sources.files import LogFile, decode_line
from kerio_watch.sources.tail import FollowedFile

TAIL_BYTES = 64 * 1024
"""How much of a plain file's end is read to find its last time-stamped line."""
TAIL_LINES = 64
"""How many of a file's last lines are tried for a time stamp."""


def placement_order(f: FollowedFile) -> tuple[bool, int, bool, int]:
    """Sort key for files found together: the oldest first line first.

    For the same first line (a copy and its archive), the plain file comes first, so a
    compressed copy finds its original. Files whose first line has no time come last.
    """
    return (f.first_ts is None, f.first_ts or 0, f.compressed, f.seq)


def stamp_of(f: FollowedFile, data: bytes) -> int | None:
    """The log time (local seconds) of one line of ``f``, None if it has none."""
    text = decode_line(data, LogFile(f.path, None))
    framed = split_syslog(text, f.source.year) if f.source.syslog else f.stamp.split(text)
    return framed.ts if framed is not None else None


def last_stamp(f: FollowedFile) -> int | None:
    """The log time of the last time-stamped line of ``f`` (None: none, or unreadable).

    A compressed file is read to its end (this is asked only of files that look old).
    """
    lines = _gz_tail(f) if f.compressed else _plain_tail(f)
    for data in reversed(lines):
        ts = stamp_of(f, data)
        if ts is not None:
            return ts
    return None


def all_older(f: FollowedFile, horizon: int) -> bool:
    """Whether every line of ``f`` is older than ``horizon`` (local log seconds).

    False when that cannot be told (no time stamps, unreadable): a file is read unless
    it is known to hold nothing new.
    """
    if f.first_ts is None or f.first_ts >= horizon:
        return False
    last = last_stamp(f)
    return last is not None and last < horizon


def _plain_tail(f: FollowedFile) -> list[bytes]:
    try:
        if f.fd is not None:
            size = os.fstat(f.fd).st_size
            data = os.pread(f.fd, TAIL_BYTES, max(0, size - TAIL_BYTES))
        else:
            with _listed(f) as handle:
                if handle is None:
                    return []
                size = handle.seek(0, 2)
                handle.seek(max(0, size - TAIL_BYTES))
                data = handle.read(TAIL_BYTES)
    except OSError:
        return []
    return _complete(data.split(b"\n"), size > TAIL_BYTES)


def _gz_tail(f: FollowedFile) -> list[bytes]:
    try:
        with _listed(f) as handle:
            if handle is None:
                return []
            with gzip.GzipFile(fileobj=handle, mode="rb") as unpacked:
                last: deque[bytes] = deque(unpacked, maxlen=TAIL_LINES)
    except (OSError, EOFError, zlib.error):
        return []
    return [line.rstrip(b"\n") for line in last]


@contextmanager
def _listed(f: FollowedFile) -> Iterator[BinaryIO | None]:
    """``f`` opened by name, or None when the name no longer holds its inode (logrotate
    gives an archive's name to the next one between the listing and this read)."""
    with Path(f.path).open("rb") as handle:
        st = os.fstat(handle.fileno())
        yield handle if (st.st_dev, st.st_ino) == (f.dev, f.ino) else None


def _complete(parts: Iterable[bytes], cut_at_start: bool) -> list[bytes]:
    """Lines of a tail read: the first is dropped if the read began mid-line."""
    lines = list(parts)
    if cut_at_start and lines:
        lines = lines[1:]
    return [line for line in lines[-TAIL_LINES:] if line.strip()]
