"""What one poll of the follower reads: the lines of every followed file, merged.

A :class:`Batch` merges one stream per log (:func:`streams_of`: its files oldest first)
by time, as ``scan`` merges files, and hands out records lazily; handing one out moves
its file's checkpoint past it. Used by :class:`~kerio_watch.sources.follow.Follower`.
"""

from __future__ import annotations

import heapq
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from kerio_watch.events import Unparsed
from kerio_watch.formats.envelope import split_syslog
from kerio_watch.log import note
from kerio_watch.sources.files import Record, decode_line
from kerio_watch.sources.firewall import dated, is_header
from kerio_watch.sources.hold import CrossLogHold
from kerio_watch.sources.order import smoothed
from kerio_watch.sources.tail import FollowedFile, State, gz_done, read_gz_lines, read_lines

_NO_TS = -(2**62)


class Counts(Protocol):
    """What a batch counts on its follower."""

    lines: int
    """Lines handed over (records and lines without a time stamp)."""
    no_timestamp: int


@dataclass(slots=True)
class _Item:
    """One line read from a file, not yet handed over."""

    ts: int
    record: Record | str | None
    """The record; the text of a line without a time stamp; None for a blank line."""
    file: FollowedFile
    end: int
    lineno: int


Stream = Iterator[tuple[int, _Item]]


class Batch:
    """The lines readable at one poll, in ``scan`` order: an iterator of records.

    Handing out a record moves its file's checkpoint past it (and past the blank or
    unstamped lines before it). A batch may be abandoned part way: the rest is read
    again by the next poll. With a ``hold``, the batch ends early at a line that waits
    for another log (:mod:`kerio_watch.sources.hold`); ``logs`` names each stream's log.
    """

    def __init__(
        self,
        follower: Counts,
        streams: list[Stream],
        logs: list[str] | None = None,
        hold: CrossLogHold | None = None,
    ) -> None:
        self.follower = follower
        self._logs = logs or [""] * len(streams)
        self._hold = hold
        self._present: set[str] = set()
        self._heap: list[tuple[int, int, _Item, Iterator[tuple[int, _Item]]]] = []
        for order, stream in enumerate(streams):
            first = next(stream, None)
            if first is not None:
                self._heap.append((first[0], order, first[1], stream))
                self._present.add(self._logs[order])
                if hold is not None:
                    hold.shown(self._logs[order], first[0], first[1].file, first[1].end)
        heapq.heapify(self._heap)

    def __bool__(self) -> bool:
        """Whether anything is left to read now."""
        return bool(self._heap) and not self._waits()

    def _waits(self) -> bool:
        """Whether the next line waits for another log."""
        if self._hold is None:
            return False
        key, order, item = self._heap[0][:3]
        found = self._hold.found(item.file, item.end)
        return self._hold.blocked(self._logs[order], key, self._present, found)

    def __iter__(self) -> Batch:
        """The batch is its own iterator (one pass)."""
        return self

    def __next__(self) -> Record:
        """The next record in time order."""
        heap = self._heap
        follower = self.follower
        hold = self._hold
        while heap:
            if hold is not None and self._waits():
                break
            _, order, item, stream = heap[0]
            f = item.file
            f.offset = item.end
            f.lineno = item.lineno
            if f.compressed and 0 < f.total <= f.offset and f.state is State.LIVE:
                gz_done(f)
            nxt = next(stream, None)
            if nxt is None:
                heapq.heappop(heap)
                self._present.discard(self._logs[order])
            else:
                heapq.heapreplace(heap, (nxt[0], order, nxt[1], stream))
                if hold is not None:
                    hold.shown(self._logs[order], nxt[0], nxt[1].file, nxt[1].end)
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


def read_order(f: FollowedFile) -> tuple[bool, int, int]:
    """Sort key of a log's files, read oldest first: by the time of the first line, and
    those whose first line has no time last (the new ``mail.log`` after a rotation that
    cut a line starts with the rest of it: it was read first, before the rotated file's
    last lines)."""
    return (f.first_ts is None, f.first_ts or 0, f.seq)


def streams_of(
    group: list[tuple[FollowedFile, int]], when: Callable[[Record], int] | None
) -> Stream:
    """The lines of one log's files (each up to its given size), oldest file first,
    each with the time it merges at (``when``; None: its own)."""
    group = sorted(group, key=lambda item: read_order(item[0]))
    return smoothed(_chain(group, when), _item_time)


def _chain(
    group: list[tuple[FollowedFile, int]], when: Callable[[Record], int] | None
) -> Iterator[_Item]:
    last = _NO_TS
    for n, (f, end) in enumerate(group):
        ended = n + 1 < len(group) and f.echo is None  # a newer file of the log has lines
        lines = read_gz_lines(f) if f.compressed else read_lines(f, end, ended)
        lineno = max(f.lineno, 0)
        for data, end in lines:
            lineno += 1
            record = frame(f, data, lineno)
            if f.echo is not None and end in f.echo.skip:
                record = None  # read from the log folder (sources.echo): passed over
            if isinstance(record, Record):
                last = record.ts if when is None else when(record)
            yield _Item(last, record, f, end, lineno)


def _item_time(item: _Item) -> int:
    return item.ts


def descriptor(f: FollowedFile) -> int | None:
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


def frame(f: FollowedFile, data: bytes, lineno: int) -> Record | str | None:
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
    if syslog:
        framed = dated(framed, raw, source.written)
    return Record(
        framed.ts, framed.utc, framed.log or source.log, framed.message, raw, source, lineno
    )
