"""The files a :class:`~kerio_watch.sources.follow.Follower` knows, and where each is read
from: placing a new file (read it, skip it, or continue a copy), retiring one that went
away, and the checkpoints and status of all of them."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from kerio_watch.log import note
from kerio_watch.sources.discovery import (
    FileCheckpoint,
    Retired,
    adopt,
    checkpoint_of,
    continues,
    from_older_copy,
    is_old_copy,
    retired_checkpoint,
)
from kerio_watch.sources.echo import copy_of
from kerio_watch.sources.identity import placement_order
from kerio_watch.sources.tail import Echo, FollowedFile, State, complete_end


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
    order_wait: float = 30.0
    """Longest wall-clock seconds a line waits for the other logs to catch up with its
    time (:mod:`kerio_watch.sources.hold`; 0: merge each poll's lines as they are)."""


@dataclass(frozen=True)
class FileStatus:
    """One followed file, for ``kerio-watch status`` and the service log."""

    path: str
    log: str | None
    state: str
    offset: int
    size: int
    compressed: bool


class FileSet:
    """Followed files by ``(device, inode)`` and the identities of retired ones.

    Args:
        options: tuning.
        initial: the first start (existing content is backfilled or skipped).
        clock: monotonic seconds (scheduling only).
        wall: wall-clock epoch seconds (checkpoint labels, pruning).
    """

    def __init__(
        self,
        options: FollowOptions,
        initial: bool,
        clock: Callable[[], float],
        wall: Callable[[], float],
    ) -> None:
        self.options = options
        self.clock = clock
        self.wall = wall
        self.files: dict[tuple[int, int], FollowedFile] = {}
        self.retired: dict[str, Retired] = {}
        self._seq = 0
        self._initial = initial
        self._unplaced: list[FollowedFile] = []
        """New identities in known inodes (a file rewritten, an inode reused), found by a
        poll: placed with that poll's new files, in content order."""

    def _adopt(self, path: str, st: os.stat_result, warn: bool = True) -> FollowedFile:
        """A file seen for the first time: classify it and learn its identity."""
        self._seq += 1
        return adopt(path, st, self._seq, self.clock(), warn)

    def _retire_checkpoint(self, cp: FileCheckpoint, at: float) -> None:
        gone = retired_checkpoint(cp, at)
        if gone is not None:
            self.retired[cp.first_hash] = Retired(gone, float(gone.updated))

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
        original = copy_of(f, self.files.values())
        if original is not None:  # other line ends: its lines are looked for in the log's
            f.echo = Echo(told=True)
            note(logging.INFO, "copy_seen", path=f.path, original=original.path,
                 reason="other line ends: lines the original holds are passed over")  # fmt: skip
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
        if retired is not None and not continues(f, retired.checkpoint):
            del self.retired[f.first_hash]
            from_older_copy(f, retired.checkpoint)
            f.state = State.LIVE
            return
        if retired is not None:
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
        elif is_old_copy(f, self.files.values(), self.retired.values()):
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

    def _done(self, f: FollowedFile, why: str) -> None:
        f.state = State.DONE
        if f.total == 0:
            f.total = -1
        f.close()
        note(logging.INFO, "file_skipped", path=f.path, reason=why)

    def _retire(self, f: FollowedFile) -> None:
        """Forget a file but remember its identity and final position."""
        skipped = f.total < 0
        if f.first_hash and not skipped and f.state in (State.LIVE, State.GONE, State.DONE):
            self._retire_checkpoint(checkpoint_of(f, self.wall()), self.wall())
        f.close()

    def _replace(
        self,
        key: tuple[int, int],
        f: FollowedFile,
        path: str,
        st: os.stat_result,
        warn: bool = True,
    ) -> None:
        """The inode now holds another file: retire the old identity, adopt the new."""
        self._retire(f)
        new = self._adopt(path, st, warn)
        self.files[key] = new
        if new.state is State.PENDING and new.first_hash:
            self._unplaced.append(new)  # placed with this poll's new files, in their order

    def _revisit(self) -> None:
        """Copies whose original is no longer being read continue where it stopped."""
        for f in self.files.values():
            if f.state is State.TWIN and self._live_with_hash(f.twin_of, f) is None:
                self._place(f)
        wall = self.wall()
        for digest, r in list(self.retired.items()):
            if wall - r.at > self.options.retain:
                del self.retired[digest]

    # -- checkpoints and status ----------------------------------------------------------
    def checkpoints(self) -> list[FileCheckpoint]:
        """Every position worth saving (call when the pipeline has processed the batch)."""
        rows = [
            checkpoint_of(f, self.wall())
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

    def unreadable(self) -> list[FileStatus]:
        """The files that could not be read (permission denied), tried again."""
        return [
            FileStatus(f.path, None, "unreadable", 0, f.size, f.compressed)
            for f in sorted(self.files.values(), key=lambda f: f.path)
            if f.state is State.IGNORED and f.unreadable
        ]

    def skipped(self) -> list[tuple[str, str]]:
        """(path, why) of the files found and not read: not a Kerio log, lines that end
        in CR alone, or reading denied (``kerio-watch status`` shows them)."""
        return [
            (f.path, _why_ignored(f))
            for f in sorted(self.files.values(), key=lambda f: f.path)
            if f.state is State.IGNORED
        ]

    def close(self) -> None:
        """Close every descriptor."""
        for f in self.files.values():
            f.close()


def _why_ignored(f: FollowedFile) -> str:
    if f.unreadable:
        return "permission denied"
    if f.source.log is None:
        return "not a Kerio Connect log"
    return "its lines end in CR alone (kerio-watch scan reads it)"
