"""Following live Kerio logs across rotation, with exactly-once checkpoints.

A :class:`Follower` watches files and log directories. Each :meth:`Follower.poll`
lists them, notices what changed since the last poll, and returns a :class:`Batch`: a
lazy iterator over the complete lines available *now*, framed as
:class:`~kerio_watch.sources.files.Record` objects in the same order ``scan`` would read
them (files of one log oldest first, logs merged by time). Consuming a record advances
its file's checkpoint, so a checkpoint taken after the pipeline has processed what it
pulled is exact: :meth:`Follower.checkpoints` is saved in the pipeline's transaction
and a restart resumes after the last line whose effects were committed.

A file's identity is ``(device, inode, SHA-256 of its first complete line)``
(fail2ban's rule, ``shared/docs/style.md``). How each kind of rotation is handled:

- **rename + create** (``mail.log`` -> ``mail.log.0``): the inode is followed to its
  new name (or, outside the watched paths, through the descriptor kept open) and drained
  to its end, so lines written after the rename are read; the new ``mail.log`` is a new
  file, read from its start once the old one is drained.
- **copy + truncate** (to a smaller or a larger size): the size drops below the
  position, or the first line changes. The file is read again from its start, and the
  copy (same first line, another inode) continues where the original was left, so
  lines written between the last poll and the truncation are read from the copy.
- **truncation in place, delete + recreate, new dated or numbered names**: a new
  identity is read from its start.
- **an older copy** (a backup restored over the log or in its place: the same first
  line, but shorter than the position, or no line ending there): its lines were read,
  so it is read from where it ended when first seen, and what the writer appends is
  read once (``rotation kind=older_copy`` warns). Vanished files are drained through the open
  descriptor for a while (``linger``) before they are closed.
- **compressed old files**: a ``.gz`` whose first line belongs to a file already read
  is not read again; only what was never read (the file was compressed while kerio-watch
  was stopped, or before its last lines were read) is read from it, once the plain file
  is gone. Archives are read through a descriptor opened when they are listed, so one
  shifted or deleted while a batch is read is still read. Other new files, compressed
  or not, are placed by the time of their first line
  (:mod:`kerio_watch.sources.identity`) and read unless all their lines are older than
  what was read (an old copy or archive).
- **a syslog server's file beside the log folder** (in a syslog envelope, or of every
  log): its lines that the on-disk files of their log hold are passed over, the others
  read (:mod:`kerio_watch.sources.echo`); so are those of a new copy of a followed file
  saved with other line ends (CRLF, a byte order mark: its first line's bytes differ,
  the line as the readers frame it does not).
- **partial last line**: waits for its newline (a vanished file's last partial line is
  read when the file is closed; a file's, once a newer file of its log has lines: the
  writer moved on, as when a rotation cut its last line, the rest at the top of the new
  file). Files of a log are read by the time of their first line, those whose first
  line has no time last. Lines longer than a megabyte are cut, without keeping them in
  memory.

The wall clock is used only to schedule (linger, closing idle descriptors) and to
label checkpoints; nothing here looks at log time except to order lines.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from kerio_watch.errors import SourceError
from kerio_watch.log import note
from kerio_watch.sources.batch import Batch, Stream, descriptor, read_order, streams_of
from kerio_watch.sources.discovery import (
    OLD_COPY_MARGIN,
    FileCheckpoint,
    list_files,
    resume,
    same_file,
)
from kerio_watch.sources.echo import WHOLE, readable_end
from kerio_watch.sources.files import Record, check_readable, is_stream
from kerio_watch.sources.fileset import FileSet, FileStatus, FollowOptions
from kerio_watch.sources.firewall import year_of
from kerio_watch.sources.hold import CrossLogHold
from kerio_watch.sources.tail import (
    FollowedFile,
    State,
    size_and_mtime,
    size_of,
)

__all__ = ["OLD_COPY_MARGIN", "Batch", "FileStatus", "FollowOptions", "Follower", "State"]

SNIFF_LIMIT = 64 * 1024
"""A file that is not a log is sniffed again when it changes, until it was this size
when last sniffed."""
MAX_OPEN = 256
"""Descriptors of followed files open at once at most (a poll opens no more; files it
could not open wait for a later one)."""
RETRY_UNREADABLE = 60.0
"""Seconds after which a file that could not be read is tried again even unchanged
(rights given through a group or a directory's ACL do not change the file)."""


class Follower(FileSet):
    """Follows log files and directories; see the module documentation.

    Args:
        paths: files and directories to follow (directories: every Kerio log in them,
            including files that appear later).
        checkpoints: the positions saved by an earlier run (empty on the first start).
        first_start: no earlier run saved anything: existing content is backfilled (or
            skipped without ``options.backfill``). Otherwise files without a
            checkpoint appeared while kerio-watch was stopped and are read in full.
        options: tuning.
        clock: monotonic seconds (scheduling only).
        wall: wall-clock epoch seconds (checkpoint labels, pruning).

    Raises:
        SourceError: a path does not exist or cannot be read.
    """

    def __init__(
        self,
        paths: Sequence[str],
        checkpoints: Iterable[FileCheckpoint] = (),
        first_start: bool = True,
        options: FollowOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(options or FollowOptions(), first_start, clock, wall)
        self.paths = [str(p) for p in paths]
        for text in self.paths:
            if is_stream(Path(text)):  # opening a named pipe waits for a writer: it hung
                raise SourceError(
                    f"{text}: a named pipe or a device, not a file: follow keeps its place "
                    f"in files (`kerio-watch scan {text}` reads it once)"
                )
            check_readable(
                Path(text),
                "run kerio-watch as a user who can read Kerio's logs: see docs/service.md "
                "for a read-only ACL",
            )
        self._saved: dict[tuple[int, int, str], FileCheckpoint] = {}
        self._missing: set[str] = set()
        """Followed paths found gone (warned about once)."""
        self._unlisted: set[str] = set()
        """Followed directories that could not be listed (warned about once)."""
        now_wall = wall()
        self._newest_saved: dict[str, int] = {}
        """log -> the first line's time of its newest file followed at the last stop."""
        for cp in checkpoints:
            if cp.gone:
                self._retire_checkpoint(cp, now_wall)
                continue
            self._saved[(cp.dev, cp.ino, cp.first_hash)] = cp
            if cp.first_ts is not None and not cp.compressed:
                log = cp.log or ""
                self._newest_saved[log] = max(self._newest_saved.get(log, cp.first_ts), cp.first_ts)
        self.lines = 0
        """Lines handed over (records and lines without a time stamp)."""
        self.no_timestamp = 0
        self.when: Callable[[Record], int] | None = None
        """Where a record sorts among other logs' (``Parsing.merge_time``; None: its ts)."""
        self.hold = CrossLogHold(self.options.order_wait, clock)
        """Lines that wait for another log to catch up (:mod:`kerio_watch.sources.hold`)."""
        self._start()
        self._initial = False

    # -- discovery -------------------------------------------------------------------
    def _start(self) -> None:
        """First look: claim exact checkpoints before anything else is placed."""
        listing = list_files(self.paths, self._unlisted)
        fresh: list[FollowedFile] = []
        for key, (path, st) in listing.items():
            f = self._adopt(path, st)
            self.files[key] = f
            if f.state is State.PENDING and f.first_hash:
                fresh.append(f)
        # Exact identities first, so a copy is recognised as a copy of a live file.
        rest: list[FollowedFile] = []
        for f in fresh:
            cp = self._saved.pop((f.dev, f.ino, f.first_hash), None)
            if cp is not None:
                resume(f, cp)
            else:
                rest.append(f)
        now_wall = self.wall()
        for cp in self._saved.values():
            self._retire_checkpoint(cp, now_wall)
        lost = list(self._saved.values())
        self._saved.clear()
        self._place_new(rest)
        self._tell_lost(lost)
        if not self.files:
            note(logging.WARNING, "no_logs_yet", paths=",".join(self.paths))

    def _tell_lost(self, gone: list[FileCheckpoint]) -> None:
        """Warn about files followed at the last stop that are found nowhere now (no
        copy or archive continues them), when lines were surely or likely not read: it
        held lines not yet read, or it was the newest file of its log, the one being
        written (rotated away and deleted while kerio-watch was stopped)."""
        newest = self._newest_saved
        for cp in gone:
            if cp.first_hash not in self.retired or cp.compressed:
                continue  # continued by a copy or an archive found now
            unread = max(0, cp.size - cp.offset)
            if unread or (cp.first_ts is not None and cp.first_ts == newest.get(cp.log or "")):
                note(
                    logging.WARNING,
                    "file_lost",
                    path=cp.path,
                    read_to=cp.offset,
                    unread_bytes=unread,
                    hint="gone while kerio-watch was stopped (rotated away and deleted?): "
                    "lines written to it after the stop were not read",
                )

    # -- one step ----------------------------------------------------------------------
    def poll(self) -> Batch:
        """Notice changes (new, rotated, truncated, vanished files); return what is readable."""
        now = self.clock()
        self._watch_paths()
        listing = list_files(self.paths, self._unlisted)
        for key, f in list(self.files.items()):
            seen = listing.pop(key, None)
            if seen is None:
                self._vanished(key, f, now)
            else:
                self._check(key, f, seen[0], seen[1], now)
        new, self._unplaced = self._unplaced, []
        for key, (path, st) in listing.items():
            f = self._adopt(path, st)
            self.files[key] = f
            if f.state is State.PENDING and f.first_hash:
                new.append(f)
        self._place_new(new)
        self._revisit()
        self._expire(now)
        logs, streams = self._streams()
        return Batch(self, streams, logs, self.hold)

    def _watch_paths(self) -> None:
        """Warn once when a followed path is gone (a share unmounted, a folder moved),
        and say when it is back: its files are read on from where they were."""
        for text in self.paths:
            gone = not Path(text).exists()
            if gone and text not in self._missing:
                self._missing.add(text)
                note(
                    logging.WARNING,
                    "path_gone",
                    path=text,
                    hint="unmounted or moved? its files are read on when it is back",
                )
            elif not gone and text in self._missing:
                self._missing.discard(text)
                note(logging.INFO, "path_back", path=text)

    def _vanished(self, key: tuple[int, int], f: FollowedFile, now: float) -> None:
        if f.state is State.GONE:
            size = size_of(f)
            if size != f.size:  # still written to: keep draining
                f.size = size
                f.changed_at = now
            return
        if f.state is State.LIVE and f.fd is not None:
            f.state = State.GONE
            f.changed_at = now
            note(logging.INFO, "rotation", kind="vanished", path=f.path, draining=True)
            return
        if f.state is State.LIVE and not f.compressed:
            note(logging.INFO, "rotation", kind="vanished", path=f.path, draining=False)
        self._retire(f)
        del self.files[key]

    def _check(
        self,
        key: tuple[int, int],
        f: FollowedFile,
        path: str,
        st: os.stat_result,
        now: float,
    ) -> None:
        """Rename, growth, truncation, rewrite or reuse of a known inode."""
        moved = path != f.path
        if f.state is State.IGNORED and f.unreadable:
            # Tried again at every change (setfacl and chmod change the ctime) and every
            # minute; the warning was given when it was first met.
            if moved or st.st_ctime_ns != f.ctime_ns or now - f.changed_at >= RETRY_UNREADABLE:
                self._replace(key, f, path, st, warn=False)
            return
        if not moved and st.st_size == f.size and st.st_mtime_ns == f.mtime_ns:
            return
        f.changed_at = now
        if f.state is State.IGNORED and SNIFF_LIMIT < f.size <= st.st_size and not moved:
            # Its first SNIFF_LIMIT bytes were there when it was last sniffed: growth
            # cannot change them. (A file sniffed smaller, empty as it is created, is
            # sniffed again: it was ignored for good when it grew past the limit at once.)
            f.size = st.st_size
            f.mtime_ns = st.st_mtime_ns
            return
        if f.state in (State.IGNORED, State.PENDING):
            self._replace(key, f, path, st)
            return
        if same_file(f, path, st):
            if moved:
                note(logging.INFO, "rotation", kind="renamed", path=f.path, to=path)
                f.path = path
                f.source.path = path
            if f.state is State.GONE:  # back in view
                f.state = State.LIVE
            f.size = st.st_size
            f.mtime_ns = st.st_mtime_ns
            f.source.written = st.st_mtime  # the year of RFC 3164 stamps (New Year)
            f.source.year = year_of(st.st_mtime)
            return
        truncated = not f.compressed and st.st_size < f.offset
        note(
            logging.INFO,
            "rotation",
            kind="truncated" if truncated else "replaced",
            path=path,
            offset=f.offset,
            size=st.st_size,
        )
        self._replace(key, f, path, st)

    def _expire(self, now: float) -> None:
        for key, f in list(self.files.items()):
            idle = now - f.changed_at
            if f.state is State.GONE and idle >= self.options.linger:
                if size_of(f) > f.offset and not f.final:
                    f.final = True  # read the unterminated last line, then close
                    continue
                note(logging.INFO, "file_closed", path=f.path, offset=f.offset)
                self._retire(f)
                del self.files[key]
            elif f.state is State.LIVE and f.fd is not None and idle >= self.options.idle_close:
                f.close()
        self._spare_descriptors()

    def _spare_descriptors(self) -> None:
        """Over half of :data:`MAX_OPEN` descriptors open: close those of plain files
        read to their end, the longest unchanged first (a folder of a thousand rotated
        files opened them all, and the process's limit, often 1,024, failed the
        folder's listing, the state database's journal and the files themselves)."""
        open_files = [f for f in self.files.values() if f.fd is not None]
        if len(open_files) <= MAX_OPEN // 2:
            return
        idle = [
            f
            for f in open_files
            if f.state is State.LIVE and not f.compressed and size_of(f) <= f.offset
        ]
        idle.sort(key=lambda f: f.changed_at)
        for f in idle[: len(open_files) - MAX_OPEN // 2]:
            f.close()

    # -- reading -----------------------------------------------------------------------
    def _streams(self) -> tuple[list[str], list[Stream]]:
        """The logs with lines to read, and one stream per log: its readable files oldest
        first (as ``scan`` reads them).

        The sizes of all files are taken first, together, so lines written while the
        batch is read wait for the next poll instead of overtaking other logs' lines.
        """
        looked, now = self.clock(), self.wall()  # before any size is taken
        by_log: dict[str, list[tuple[FollowedFile, int]]] = {}
        readable: list[tuple[FollowedFile, int, int, float | None]] = []
        spare = MAX_OPEN - sum(1 for f in self.files.values() if f.fd is not None)
        waiting: set[str] = set()
        """Logs with a file left for the next poll: none of their later files is read."""
        known = list(self.files.values())
        for f in sorted(known, key=read_order):
            if f.state not in (State.LIVE, State.GONE) or f.log in waiting:
                continue
            if f.compressed and f.tried == f.size:
                continue  # unchanged since a read stopped short (being written): not again
            if not f.compressed and size_of(f) <= f.offset:
                continue
            if f.fd is None and spare <= 0:
                waiting.add(f.log)  # no descriptor to spare: read at a later poll
                continue
            opened = f.fd is None
            # Archives too are read through a descriptor opened now: logrotate may shift
            # or delete one while the batch is read.
            if descriptor(f) is None:
                continue
            spare -= 1 if opened else 0
            size, mtime = (0, None) if f.compressed else size_and_mtime(f)
            if f.echo is not None:  # lines the on-disk files hold are passed over
                end = readable_end(f, known, looked, size)
                if end <= f.offset or (f.compressed and end < WHOLE):
                    continue  # an archive is read once all its lines are decided
                size = 0 if f.compressed else end
            by_log.setdefault(f.log, []).append((f, size))
            # When its last line was written, on the clock (the file's modification time).
            last = None if mtime is None else looked - max(0.0, now - mtime)
            readable.append((f, f.offset, size or 2**62, last))
        self.hold.readable(readable, looked)
        logs = sorted(by_log)
        return logs, [streams_of(by_log[log], self.when) for log in logs]
