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
  identity is read from its start. Vanished files are drained through the open
  descriptor for a while (``linger``) before they are closed.
- **compressed old files**: a ``.gz`` whose first line belongs to a file already read
  is not read again; only what was never read (the file was compressed while kerio-watch
  was stopped, or before its last lines were read) is read from it, once the plain file
  is gone. Archives are read through a descriptor opened when they are listed, so one
  shifted or deleted while a batch is read is still read. Other new files, compressed
  or not, are placed by the time of their first line
  (:mod:`kerio_watch.sources.identity`) and read unless all their lines are older than
  what was read (an old copy or archive).
- **partial last line**: waits for its newline (a vanished file's last partial line is
  read when the file is closed). Lines longer than a megabyte are cut, without keeping
  them in memory.

The wall clock is used only to schedule (linger, closing idle descriptors) and to
label checkpoints; nothing here looks at log time except to order lines.
"""

from __future__ import annotations

import hashlib
import heapq
import logging
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from kerio_watch.errors import SourceError
from kerio_watch.events import Unparsed
from kerio_watch.formats.envelope import split_syslog
from kerio_watch.sources.files import LogFile, Record, check_readable, decode_line, discover
from kerio_watch.sources.firewall import is_header
from kerio_watch.sources.identity import all_older, placement_order, stamp_of
from kerio_watch.sources.order import smoothed
from kerio_watch.sources.tail import (
    FollowedFile,
    State,
    complete_end,
    gz_done,
    is_gzip,
    note,
    read_gz_lines,
    read_head,
    read_lines,
    size_of,
)
from kerio_watch.store.base import FileCheckpoint

__all__ = ["Batch", "FileStatus", "FollowOptions", "Follower", "State", "note"]

OLD_COPY_MARGIN = 3 * 3600
"""Seconds of log time a new file may start before the newest followed one (DST)."""
SNIFF_LIMIT = 64 * 1024
"""A file that is not a log is sniffed again when it changes, up to this size."""
_NO_TS = -(2**62)


@dataclass
class FollowOptions:
    """Tuning of the follower (the defaults suit a Kerio server)."""

    backfill: bool = True
    """First start: read what the logs already hold (else start at their ends)."""
    linger: float = 5.0
    """Seconds a vanished file is kept open for lines still written to it."""
    idle_close: float = 60.0
    """Seconds after which the descriptor of an unchanged file is closed."""
    retain: float = 7 * 86400.0
    """Seconds the identity of a vanished file is remembered."""


@dataclass(frozen=True)
class FileStatus:
    """One followed file, for ``kerio-watch status`` and the service log."""

    path: str
    log: str | None
    state: str
    offset: int
    size: int
    compressed: bool


@dataclass
class _Retired:
    """The identity and final position of a file that was rotated away or rewritten."""

    checkpoint: FileCheckpoint
    at: float  # wall clock, for pruning


class Follower:
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
        self.options = options or FollowOptions()
        self.clock = clock
        self.wall = wall
        self.paths = [str(p) for p in paths]
        for text in self.paths:
            check_readable(
                Path(text),
                "run kerio-watch as a user who can read Kerio's logs: see docs/service.md "
                "for a read-only ACL",
            )
        self.files: dict[tuple[int, int], FollowedFile] = {}
        self.retired: dict[str, _Retired] = {}
        self._saved: dict[tuple[int, int, str], FileCheckpoint] = {}
        now_wall = wall()
        for cp in checkpoints:
            if cp.gone:
                self._retire_checkpoint(cp, now_wall)
            else:
                self._saved[(cp.dev, cp.ino, cp.first_hash)] = cp
        self._seq = 0
        self._initial = first_start
        self.lines = 0
        """Lines handed over (records and lines without a time stamp)."""
        self.no_timestamp = 0
        self.when: Callable[[Record], int] | None = None
        """Where a record sorts among other logs' (``Pipeline.merge_time``; None: its ts)."""
        self._start()
        self._initial = False

    # -- discovery -------------------------------------------------------------------
    def _start(self) -> None:
        """First look: claim exact checkpoints before anything else is placed."""
        listing = self._list()
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
                self._resume(f, cp)
            else:
                rest.append(f)
        now_wall = self.wall()
        for cp in self._saved.values():
            self._retire_checkpoint(cp, now_wall)
        self._saved.clear()
        self._place_new(rest)
        if not self.files:
            note(logging.WARNING, "no_logs_yet", paths=",".join(self.paths))

    def _list(self) -> dict[tuple[int, int], tuple[str, os.stat_result]]:
        """(dev, ino) -> (path, stat) of every regular file under the watched paths."""
        found: dict[tuple[int, int], tuple[str, os.stat_result]] = {}
        for text in self.paths:
            try:
                st = Path(text).stat()
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                try:
                    entries = sorted(os.scandir(text), key=lambda e: e.name)
                except OSError as exc:
                    note(logging.WARNING, "cannot_list", path=text, error=exc.strerror)
                    continue
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

    def _adopt(self, path: str, st: os.stat_result) -> FollowedFile:
        """A file seen for the first time: classify it and learn its identity."""
        self._seq += 1
        compressed = is_gzip(path)
        source = _classify(path)
        f = FollowedFile(
            path=path,
            dev=st.st_dev,
            ino=st.st_ino,
            source=source or LogFile(path, None),
            seq=self._seq,
            size=st.st_size,
            mtime_ns=st.st_mtime_ns,
            compressed=compressed,
            changed_at=self.clock(),
        )
        if source is None:
            f.state = State.IGNORED
            return f
        self._identify(f)
        return f

    def _identify(self, f: FollowedFile) -> None:
        """Hash the first complete line (None yet: the file stays PENDING)."""
        head = read_head(f)
        if head is None:
            return
        f.first_hash = hashlib.sha256(head).hexdigest()
        f.head_len = len(head)
        f.first_ts = stamp_of(f, head)

    def _live_with_hash(self, digest: str, other: FollowedFile) -> FollowedFile | None:
        for g in self.files.values():
            if (
                g is not other
                and g.first_hash == digest
                and g.state in (State.LIVE, State.GONE)
                and not g.compressed
            ):
                return g
        return None

    def _place_new(self, new: list[FollowedFile]) -> None:
        """Place files seen for the first time together in content order (oldest first
        line first, see :func:`placement_order`): each is then judged by
        :meth:`_is_old_copy` against files whose lines come before its own, never against
        a newer file found in the same look, whatever the names or compression (a log
        renamed, the next one filled and gzipped, and a new one started, all while
        kerio-watch was stopped)."""
        new.sort(key=placement_order)
        for f in new:
            self._place(f)

    def _place(self, f: FollowedFile) -> None:
        """Decide where a file with a known identity starts."""
        twin = self._live_with_hash(f.first_hash, f)
        if twin is not None:
            # A copy, or an archive of a file not yet drained (gzip writes the archive
            # before it deletes the file): it waits, then continues where the original
            # stopped (a restart in between too: the original's checkpoint is retired).
            f.state = State.TWIN
            f.twin_of = f.first_hash
            note(logging.INFO, "copy_seen", path=f.path, original=twin.path)
            return
        retired = self.retired.get(f.first_hash)
        if retired is not None and _continues(f, retired.checkpoint):
            del self.retired[f.first_hash]
            cp = retired.checkpoint
            f.offset = cp.offset
            f.lineno = cp.lineno
            f.state = State.LIVE
            note(
                logging.INFO,
                "rotation",
                kind="copy_continues",
                path=f.path,
                original=cp.path,
                offset=cp.offset,
            )
            return
        if self._initial:
            if not self.options.backfill:
                if f.compressed:
                    self._done(f, "no backfill")
                    return
                f.offset = complete_end(f)
                f.lineno = -1  # unknown
        elif self._is_old_copy(f):
            self._done(
                f,
                "older than the logs already followed (an old copy or archive?); "
                "use kerio-watch scan to read it",
            )
            return
        f.state = State.LIVE
        note(
            logging.INFO,
            "file_opened",
            path=f.path,
            log=f.log,
            offset=f.offset,
            compressed=f.compressed,
        )

    def _is_old_copy(self, f: FollowedFile) -> bool:
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
                for g in self.files.values()
                if g is not f
                and g.first_ts is not None
                and g.log == log
                and g.first_hash
                and g.state in (State.LIVE, State.GONE, State.TWIN)
            ),
            default=None,
        )
        for r in self.retired.values():
            cp = r.checkpoint
            if (cp.log or "") == log and cp.first_ts is not None:
                newest = cp.first_ts if newest is None else max(newest, cp.first_ts)
        return newest is not None and all_older(f, newest - OLD_COPY_MARGIN)

    def _resume(self, f: FollowedFile, cp: FileCheckpoint) -> None:
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
        if f.size < cp.offset:
            note(logging.WARNING, "rotation", kind="truncated_while_stopped", path=f.path)
            return
        f.offset = cp.offset
        f.lineno = cp.lineno
        note(logging.INFO, "file_opened", path=f.path, log=f.log, offset=f.offset, resumed=True)

    def _done(self, f: FollowedFile, why: str) -> None:
        f.state = State.DONE
        if f.total == 0:
            f.total = -1
        f.close()
        note(logging.INFO, "file_skipped", path=f.path, reason=why)

    def _retire_checkpoint(self, cp: FileCheckpoint, at: float) -> None:
        if not cp.first_hash:
            return
        gone = FileCheckpoint(
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
        )
        self.retired[cp.first_hash] = _Retired(gone, float(gone.updated))

    def _retire(self, f: FollowedFile) -> None:
        """Forget a file but remember its identity and final position."""
        skipped = f.total < 0
        if f.first_hash and not skipped and f.state in (State.LIVE, State.GONE, State.DONE):
            self._retire_checkpoint(self._checkpoint(f), self.wall())
        f.close()

    # -- one step ----------------------------------------------------------------------
    def poll(self) -> Batch:
        """Notice changes (new, rotated, truncated, vanished files); return what is readable."""
        now = self.clock()
        listing = self._list()
        for key, f in list(self.files.items()):
            seen = listing.pop(key, None)
            if seen is None:
                self._vanished(key, f, now)
            else:
                self._check(key, f, seen[0], seen[1], now)
        new: list[FollowedFile] = []
        for key, (path, st) in listing.items():
            f = self._adopt(path, st)
            self.files[key] = f
            if f.state is State.PENDING and f.first_hash:
                new.append(f)
        self._place_new(new)
        self._revisit()
        self._expire(now)
        return Batch(self, self._streams())

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
        if not moved and st.st_size == f.size and st.st_mtime_ns == f.mtime_ns:
            return
        f.changed_at = now
        if f.state is State.IGNORED and st.st_size > SNIFF_LIMIT and not moved:
            f.size = st.st_size
            f.mtime_ns = st.st_mtime_ns
            return
        if f.state in (State.IGNORED, State.PENDING):
            self._replace(key, f, path, st)
            return
        if self._same(f, path, st):
            if moved:
                note(logging.INFO, "rotation", kind="renamed", path=f.path, to=path)
                f.path = path
                f.source.path = path
            if f.state is State.GONE:  # back in view
                f.state = State.LIVE
            f.size = st.st_size
            f.mtime_ns = st.st_mtime_ns
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

    def _same(self, f: FollowedFile, path: str, st: os.stat_result) -> bool:
        """Whether the inode still holds the file read so far (not rewritten, not reused)."""
        if is_gzip(path) != f.compressed:
            return False
        if not f.compressed and st.st_size < f.offset:
            return False
        head = read_head(f, path)
        return head is not None and hashlib.sha256(head).hexdigest() == f.first_hash

    def _replace(
        self, key: tuple[int, int], f: FollowedFile, path: str, st: os.stat_result
    ) -> None:
        """The inode now holds another file: retire the old identity, adopt the new."""
        self._retire(f)
        new = self._adopt(path, st)
        self.files[key] = new
        if new.state is State.PENDING and new.first_hash:
            self._place(new)

    def _revisit(self) -> None:
        """Copies whose original is no longer being read continue where it stopped."""
        for f in self.files.values():
            if f.state is State.TWIN and self._live_with_hash(f.twin_of, f) is None:
                self._place(f)
        wall = self.wall()
        for digest, r in list(self.retired.items()):
            if wall - r.at > self.options.retain:
                del self.retired[digest]

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

    # -- reading -----------------------------------------------------------------------
    def _streams(self) -> list[Iterator[tuple[int, _Item]]]:
        """One stream per log: its readable files oldest first (as ``scan`` reads them).

        The sizes of all files are taken first, together, so lines written while the
        batch is read wait for the next poll instead of overtaking other logs' lines.
        """
        by_log: dict[str, list[tuple[FollowedFile, int]]] = {}
        for f in self.files.values():
            if f.state not in (State.LIVE, State.GONE):
                continue
            if f.compressed:
                # Read through a descriptor opened now: logrotate may shift or delete the
                # archive while the batch is read. Unchanged since a read stopped short
                # (being written): not again.
                if f.tried != f.size and self.descriptor(f) is not None:
                    by_log.setdefault(f.log, []).append((f, 0))
                continue
            if size_of(f) <= f.offset or self.descriptor(f) is None:
                continue
            by_log.setdefault(f.log, []).append((f, size_of(f)))
        streams: list[Iterator[tuple[int, _Item]]] = []
        for log in sorted(by_log):
            group = sorted(by_log[log], key=lambda item: (item[0].first_ts or 0, item[0].seq))
            streams.append(smoothed(_chain(self, group), _item_time))
        return streams

    def descriptor(self, f: FollowedFile) -> int | None:
        """The open descriptor of a plain file (opened now if needed; None: cannot)."""
        if f.fd is not None:
            return f.fd
        try:
            fd = os.open(f.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            note(logging.WARNING, "cannot_open", path=f.path, error=exc.strerror)
            return None
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != (f.dev, f.ino):  # replaced since the listing
            os.close(fd)
            return None
        f.fd = fd
        return fd

    def frame(self, f: FollowedFile, data: bytes, lineno: int) -> Record | str | None:
        """One line's bytes -> a Record; the text if it has no time stamp; None if blank."""
        source = f.source
        raw = decode_line(data, source)
        if source.decode_errors and not f.warned_decode:
            f.warned_decode = True
            note(logging.WARNING, "not_utf8", path=f.path, lineno=lineno, action="replaced")
        if not raw:
            return None
        syslog = source.syslog
        framed = split_syslog(raw, source.year) if syslog else f.stamp.split(raw)
        if framed is None:
            framed = f.stamp.split(raw) if syslog else split_syslog(raw, source.year)
        if framed is None:
            return raw
        return Record(
            framed.ts, framed.utc, framed.log or source.log, framed.message, raw, source, lineno
        )

    # -- checkpoints and status ----------------------------------------------------------
    def _checkpoint(self, f: FollowedFile) -> FileCheckpoint:
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
            int(self.wall()),
            f.first_ts,
        )

    def checkpoints(self) -> list[FileCheckpoint]:
        """Every position worth saving (call when the pipeline has processed the batch)."""
        rows = [
            self._checkpoint(f)
            for f in self.files.values()
            if f.first_hash and f.state in (State.LIVE, State.GONE, State.DONE)
        ]
        rows.extend(r.checkpoint for r in self.retired.values())
        unique: dict[tuple[int, int, str], FileCheckpoint] = {}
        for row in rows:
            unique[(row.dev, row.ino, row.first_hash)] = row
        return list(unique.values())

    def status(self) -> list[FileStatus]:
        """The files being read."""
        return [
            FileStatus(f.path, f.source.log, f.state.value, f.offset, f.size, f.compressed)
            for f in sorted(self.files.values(), key=lambda f: f.path)
            if f.state is not State.IGNORED
        ]

    def close(self) -> None:
        """Close every descriptor."""
        for f in self.files.values():
            f.close()


@dataclass(slots=True)
class _Item:
    """One line read from a file, not yet handed over."""

    ts: int
    record: Record | str | None
    """The record; the text of a line without a time stamp; None for a blank line."""
    file: FollowedFile
    end: int
    lineno: int


class Batch:
    """The lines readable at one poll, in ``scan`` order: an iterator of records.

    Handing out a record moves its file's checkpoint past it (and past the blank or
    unstamped lines before it). A batch may be abandoned part way: the rest is read
    again by the next poll.
    """

    def __init__(self, follower: Follower, streams: list[Iterator[tuple[int, _Item]]]) -> None:
        self.follower = follower
        self._heap: list[tuple[int, int, _Item, Iterator[tuple[int, _Item]]]] = []
        for order, stream in enumerate(streams):
            first = next(stream, None)
            if first is not None:
                self._heap.append((first[0], order, first[1], stream))
        heapq.heapify(self._heap)

    def __bool__(self) -> bool:
        """Whether anything is left to read."""
        return bool(self._heap)

    def __iter__(self) -> Batch:
        """The batch is its own iterator (one pass)."""
        return self

    def __next__(self) -> Record:
        """The next record in time order."""
        heap = self._heap
        follower = self.follower
        while heap:
            _, order, item, stream = heap[0]
            f = item.file
            f.offset = item.end
            f.lineno = item.lineno
            if f.compressed and 0 < f.total <= f.offset and f.state is State.LIVE:
                gz_done(f)
            nxt = next(stream, None)
            if nxt is None:
                heapq.heappop(heap)
            else:
                heapq.heapreplace(heap, (nxt[0], order, nxt[1], stream))
            record = item.record
            if record is None:
                continue
            follower.lines += 1
            f.source.lines += 1
            if isinstance(record, Record):
                return record
            if is_header(record, f.source.log):
                f.source.events["header"] += 1
                continue
            follower.no_timestamp += 1
            f.source.note_unparsed(
                Unparsed(f.source.log or "unknown", record, "no timestamp", f.path, item.lineno)
            )
        raise StopIteration


def _chain(follower: Follower, group: list[tuple[FollowedFile, int]]) -> Iterator[_Item]:
    last = _NO_TS
    for f, end in group:
        lines = read_gz_lines(f) if f.compressed else read_lines(f, end)
        lineno = max(f.lineno, 0)
        for data, end in lines:
            lineno += 1
            record = follower.frame(f, data, lineno)
            if isinstance(record, Record):
                last = record.ts if follower.when is None else follower.when(record)
            yield _Item(last, record, f, end, lineno)


def _item_time(item: _Item) -> int:
    return item.ts


def _continues(f: FollowedFile, cp: FileCheckpoint) -> bool:
    """A file with a retired identity's first line continues it (unless it is the same
    inode cut below the old position: that is a truncation, read from the start)."""
    return (cp.dev, cp.ino) != (f.dev, f.ino) or f.compressed or f.size >= cp.offset


def _classify(path: str) -> LogFile | None:
    """The log a file holds, by name and content (None: not a Kerio log)."""
    try:
        found = discover([path])
    except SourceError as exc:
        if "permission denied" in str(exc):
            note(logging.WARNING, "cannot_read", path=path, error="permission denied")
        return None
    return found[0] if found else None
