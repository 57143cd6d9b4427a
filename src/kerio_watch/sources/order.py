"""Merging the lines of several logs into one time order, robust to a line's bad time.

Each log's lines are read in file order and the logs are merged by time. Merged on each
line's own time, one line dated 2099 would hold its whole log back until every other log
is read to its end, and the lines after it would come in far out of order. So a line's
merge time is, when it jumps ahead of the line before, the earliest time of it and the
next :data:`LOOKAHEAD` - 1 lines of its log: a lone far-future line takes its place
among its neighbours (and is then judged by :mod:`kerio_watch.pipeline.timeguard`), while a real
jump, which the next lines share, is kept.

>>> [k for k, _ in smoothed([1, 2, 9999, 3, 4], int)]
[1, 2, 3, 3, 4]
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

T = TypeVar("T")

LOOKAHEAD = 3
"""Lines (this one and the next ones of its log) whose earliest time orders a line."""
JUMP = 3600
"""Seconds a line may be ahead of the one before it before the next ones are looked at."""


def smoothed(items: Iterable[T], time: Callable[[T], int]) -> Iterator[tuple[int, T]]:
    """(merge time, item) for each item of one log, in its order.

    The next lines are read ahead only at a jump of more than :data:`JUMP` seconds, so
    that otherwise each line is read only once the one before it has been processed
    (``scan``'s pre-parse filter depends on that).
    """
    source = iter(items)
    ahead: deque[T] = deque()
    prev: int | None = None
    while True:
        if ahead:
            item = ahead.popleft()
        else:
            try:
                item = next(source)
            except StopIteration:
                return
        key = time(item)
        if prev is not None and key > prev + JUMP:
            ahead.extend(islice(source, LOOKAHEAD - 1 - len(ahead)))
            key = min([key, *(time(a) for a in ahead)])
        prev = key
        yield key, item


def merge_by_time(streams: list[Iterator[T]], time: Callable[[T], int]) -> Iterator[T]:
    """The items of every stream, merged by their smoothed time (one stream: as is)."""
    if len(streams) == 1:
        return streams[0]
    return _merge([smoothed(stream, time) for stream in streams])


def _merge(streams: list[Iterator[tuple[int, T]]]) -> Iterator[T]:
    """The items of (key, item) streams in order of key, then item, then stream.

    What ``heapq.merge`` over ``(key, order, item)`` generators did before, without its
    wrapping generators: a stream is read on only when the item after the one it gave
    last is asked for. Ties on the key are broken by the items themselves (a ``Record``
    is a named tuple: its own time, then ``utc``, then its log's name...): the earlier
    generators' ``order`` was bound late, to the last stream's, so it never decided.
    A heap entry is ``[key, item, order, next]``.
    """
    heap: list[list[Any]] = []
    for order, stream in enumerate(streams):
        step = stream.__next__
        for key, item in islice(stream, 1):
            heap.append([key, item, order, step])
    heapq.heapify(heap)
    while len(heap) > 1:
        entry = heap[0]
        yield entry[1]
        try:
            entry[0], entry[1] = entry[3]()
        except StopIteration:
            heapq.heappop(heap)
        else:
            heapq.heapreplace(heap, entry)
    if heap:
        _, item, _, step = heap[0]
        yield item
        for _, item in step.__self__:
            yield item
