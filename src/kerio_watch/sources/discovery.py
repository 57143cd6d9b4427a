"""Finding and identifying the files a :class:`~kerio_watch.sources.follow.Follower`
follows: listing the watched paths, a new file's log and identity, where a file seen
again resumes, whether a new file is an old copy, and the checkpoints of files."""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kerio_watch.errors import SourceError
from kerio_watch.formats.envelope import StampParser
from kerio_watch.log import note
from kerio_watch.sources.copies import frame
from kerio_watch.sources.echo import wants_echo
from kerio_watch.sources.files import LogFile, decode_line, discover
from kerio_watch.sources.identity import all_older, stamp_of
from kerio_watch.sources.logfile import cr_only
from kerio_watch.sources.tail import (
    Echo,
    FollowedFile,
    State,
    complete_end,
    ends_a_line,
    is_gzip,
    read_head,
    read_head_at,
)
from kerio_watch.values.checkpoint import FileCheckpoint

__all__ = [
    "OLD_COPY_MARGIN",
    "FileCheckpoint",
    "Retired",
    "adopt",
    "checkpoint_of",
    "classify",
    "continues",
    "from_older_copy",
    "is_old_copy",
    "list_files",
    "resume",
    "retired_checkpoint",
    "same_file",
]

OLD_COPY_MARGIN = 3 * 3600
"""Seconds of log time a new file may start before the newest followed one (DST)."""


@dataclass
class Retired:
    """The identity and final position of a file that was rotated away or rewritten."""

    checkpoint: FileCheckpoint
    at: float  # wall clock, for pruning


def list_files(
    paths: Iterable[str], unlisted: set[str] | None = None
) -> dict[tuple[int, int], tuple[str, os.stat_result]]:
    """(dev, ino) -> (path, stat) of every regular file under the watched paths.

    ``unlisted``: the directories that could not be listed at the last look (updated):
    ``cannot_list`` is logged once when one cannot be listed, and ``listed_again`` once
    it can (the follower looks twice a second: a warning at each look flooded the log
    while a directory's rights were lost)."""
    found: dict[tuple[int, int], tuple[str, os.stat_result]] = {}
    for text in paths:
        try:
            st = Path(text).stat()
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode):
            try:
                entries = sorted(os.scandir(text), key=lambda e: e.name)
            except OSError as exc:
                if unlisted is None or text not in unlisted:
                    note(logging.WARNING, "cannot_list", path=text, error=exc.strerror)
                if unlisted is not None:
                    unlisted.add(text)
                continue
            if unlisted and text in unlisted:
                unlisted.discard(text)
                note(logging.INFO, "listed_again", path=text)
            for entry in entries:
                try:
                    est = entry.stat()
                except OSError:
                    continue
                if stat.S_ISREG(est.st_mode):
                    found.setdefault((est.st_dev, est.st_ino), (entry.path, est))
        elif stat.S_ISREG(st.st_mode):
            found.setdefault((st.st_dev, st.st_ino), (text, st))
    return found


def adopt(path: str, st: os.stat_result, seq: int, now: float, warn: bool = True) -> FollowedFile:
    """A file seen for the first time (the ``seq``-th, at monotonic ``now``): its log
    and identity (``warn``: log ``cannot_read`` if it cannot be read)."""
    compressed = is_gzip(path, st)
    source, denied = classify(path, warn)
    f = FollowedFile(
        path=path,
        dev=st.st_dev,
        ino=st.st_ino,
        source=source or LogFile(path, None),
        seq=seq,
        size=st.st_size,
        first_size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        ctime_ns=st.st_ctime_ns,
        compressed=bool(compressed),
        changed_at=now,
    )
    if source is None:
        f.state = State.IGNORED
        f.unreadable = denied
        return f
    if not compressed and _cr_only(f):
        f.state = State.IGNORED
        return f
    if compressed is not None:  # else the name holds another file now: the listing
        _identify(f)  # will show where this one went, and it is adopted again there
    if wants_echo(f):
        f.echo = Echo()
    return f


_CR_TOLD: set[tuple[int, int]] = set()
"""Files said to end their lines in CR alone (once each: they are looked at again)."""


def _cr_only(f: FollowedFile) -> bool:
    """Whether the file's lines end in CR alone: not followed, and said so (a file of
    one endless line: nothing of it was read, and nothing said)."""
    try:
        with Path(f.path).open("rb") as handle:
            if not cr_only(handle.read(1 << 13)):
                return False
    except OSError:
        return False
    if (f.dev, f.ino) not in _CR_TOLD:
        _CR_TOLD.add((f.dev, f.ino))
        note(
            logging.WARNING,
            "cr_line_ends",
            path=f.path,
            action="not_read",
            hint="its lines end in CR alone; follow reads lines that end in LF or CRLF, "
            "kerio-watch scan reads this file",
        )
    return True


def _identify(f: FollowedFile) -> None:
    """Hash the first complete line (None yet: the file stays PENDING)."""
    found = read_head_at(f)
    if found is None:
        return
    f.head_at, head = found
    f.first_hash = hashlib.sha256(head).hexdigest()
    f.head_len = len(head)
    f.first_ts = stamp_of(f, head)
    f.first_line = frame(decode_line(head, LogFile(f.path, None)), f.source, StampParser())


def is_old_copy(f: FollowedFile, files: Iterable[FollowedFile], retired: Iterable[Retired]) -> bool:
    """A file never seen whose lines are all older than a file already followed.

    New files (rotated, dated, or filled and compressed between two polls or while
    kerio-watch was stopped) hold lines after what was read; a copy of an old log or
    an old archive does not (a scan of this database would skip all its lines as
    already processed). The margin covers the hour repeated when daylight saving
    time ends.
    """
    if f.first_ts is None:
        return False
    log = f.log
    newest = max(
        (
            g.first_ts
            for g in files
            if g is not f
            and g.first_ts is not None
            and g.log == log
            and g.first_hash
            and g.state in (State.LIVE, State.GONE, State.TWIN)
        ),
        default=None,
    )
    for r in retired:
        cp = r.checkpoint
        if (cp.log or "") == log and cp.first_ts is not None:
            newest = cp.first_ts if newest is None else max(newest, cp.first_ts)
    return newest is not None and all_older(f, newest - OLD_COPY_MARGIN)


def resume(f: FollowedFile, cp: FileCheckpoint) -> None:
    """Where a file found again at start resumes (its saved position)."""
    if cp.size < 0:  # skipped before: still skipped
        f.total = -1
        f.state = State.DONE
        return
    if f.compressed:
        f.offset = cp.offset
        f.lineno = cp.lineno
        if cp.size < 0 or (cp.size and cp.offset >= cp.size):
            f.total = cp.size
            f.state = State.DONE
        else:
            f.state = State.LIVE
        return
    f.state = State.LIVE
    if cp.checked and f.echo is None:  # a copy with other line ends: still checked
        f.echo = Echo(told=True)
    if f.size < cp.offset or not ends_a_line(f, cp.offset):
        from_older_copy(f, cp)
        return
    f.offset = cp.offset
    f.lineno = cp.lineno
    note(logging.INFO, "file_opened", path=f.path, log=f.log, offset=f.offset, resumed=True)


def retired_checkpoint(cp: FileCheckpoint, at: float) -> FileCheckpoint | None:
    """The checkpoint of a file no longer followed (None: it had no identity)."""
    if not cp.first_hash:
        return None
    return FileCheckpoint(
        cp.dev,
        cp.ino,
        cp.first_hash,
        cp.path,
        cp.log,
        cp.offset,
        cp.lineno,
        cp.size,
        cp.compressed,
        True,
        cp.updated or int(at),
        cp.first_ts,
        cp.checked,
    )


def same_file(f: FollowedFile, path: str, st: os.stat_result) -> bool:
    """Whether the inode still holds the file read so far (not rewritten, not reused)."""
    if is_gzip(path, st) != f.compressed:
        return False
    if not f.compressed and (st.st_size < f.offset or not ends_a_line(f, f.offset)):
        return False  # cut, or rewritten with the same first line (a backup restored)
    head = read_head(f, path)
    return head is not None and hashlib.sha256(head).hexdigest() == f.first_hash


def checkpoint_of(f: FollowedFile, at: float) -> FileCheckpoint:
    """A followed file's position (``at``: wall-clock seconds, its label)."""
    return FileCheckpoint(
        f.dev,
        f.ino,
        f.first_hash,
        f.path,
        f.source.log,
        f.offset,
        max(f.lineno, 0),
        f.total if f.compressed or f.state is State.DONE else f.size,
        f.compressed,
        f.state is State.GONE,
        int(at),
        f.first_ts,
        f.echo is not None,
    )


def continues(f: FollowedFile, cp: FileCheckpoint) -> bool:
    """A file with a retired identity's first line continues it (a copy, a renamed or
    remounted file), unless it is shorter than the position or holds no line end there
    (see :func:`from_older_copy`)."""
    return f.compressed or (f.size >= cp.offset and ends_a_line(f, cp.offset))


def from_older_copy(f: FollowedFile, cp: FileCheckpoint) -> None:
    """A plain file that starts with the first line of one read up to ``cp`` but is
    shorter than that position: an older copy of it (restored from a backup over the
    log or beside it, or a share remounted from a snapshot). Its lines were read
    already, and the log's writer appends after them: read from its end.

    At ``cp.offset`` (what a copy of the whole file continues from) reads would start
    in the middle of a line the writer appends, and lose what comes before it; from
    the start, every line of the copy counted twice. Lines the writer appended since
    the copy was first seen (a copy seen while the original was still being drained
    waits for it to close) are read: the copy ends where it ended then.
    """
    f.offset = complete_end(f, f.first_size)
    f.lineno = -1  # unknown
    note(
        logging.WARNING,
        "rotation",
        kind="older_copy",
        path=f.path,
        offset=f.offset,
        read_up_to=cp.offset,
        hint="its lines were read already (restored from a backup?); new lines are read",
    )


def classify(path: str, warn: bool = True) -> tuple[LogFile | None, bool]:
    """The log a file holds, by name and content (None: not a Kerio log), and whether
    reading it was denied (``warn``: then log ``cannot_read``)."""
    try:
        found = discover([path])
    except SourceError as exc:
        denied = "permission denied" in str(exc)
        if denied and warn:
            note(
                logging.WARNING,
                "cannot_read",
                path=path,
                error="permission denied",
                hint="tried again until it can be read",
            )
        return None, denied
    return (found[0] if found else None), False
