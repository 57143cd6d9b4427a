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


def smoothed(
    items: Iterable[T],
    time: Callable[[T], int],
    held: list[Any] | None = None,
    prev: int | None = None,
) -> Iterator[tuple[int, T]]:
    """(merge time, item) for each item of one log, in its order.

    The next lines are read ahead only at a jump of more than :data:`JUMP` seconds, so
    that otherwise each line is read only once the one before it has been processed
    (``scan``'s pre-parse filter depends on that). ``held`` is given the deque of the
    items read ahead; ``prev`` is the merge time of the item before the first (a scan
    continued from a checkpoint).
    """
    source = iter(items)
    ahead: deque[T] = deque()
    if held is not None:
        held.append(ahead)
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


def merge_by_time(
    streams: list[Iterator[T]],
    time: Callable[[T], int],
    held: list[Any] | None = None,
    prevs: list[int | None] | None = None,
) -> Iterator[T]:
    """The items of every stream, merged by their smoothed time (one stream: as is).

    ``held`` (``scan``'s checkpoints) is given what holds the items read and not yet
    handed out: the heap of the next item of each stream (the one handed out last
    included) and the deques of the items read ahead (:func:`pending`, :func:`before`).
    ``prevs``: each stream's ``prev`` (see :func:`smoothed`).
    """
    if len(streams) == 1:
        return streams[0]
    prevs = prevs or [None] * len(streams)
    smooth = [smoothed(s, time, held, p) for s, p in zip(streams, prevs, strict=True)]
    return _merge(smooth, held, prevs)


def pending(held: list[Any]) -> Iterator[Any]:
    """The items that what :func:`merge_by_time` gave ``held`` holds."""
    for part in held:
        if isinstance(part, deque):
            yield from part
        else:
            yield from (entry[1] for entry in part)


def before(held: list[Any]) -> Iterator[tuple[Any, int | None]]:
    """The next item of each stream still merged (the one handed out last, if it is
    its stream's), with the merge time of the item before it in its stream."""
    for part in held:
        if not isinstance(part, deque):
            yield from ((entry[1], entry[4]) for entry in part)


def _merge(
    streams: list[Iterator[tuple[int, T]]],
    held: list[Any] | None = None,
    prevs: list[int | None] | None = None,
) -> Iterator[T]:
    """The items of (key, item) streams in order of key, then item, then stream.

    What ``heapq.merge`` over ``(key, order, item)`` generators did before, without its
    wrapping generators: a stream is read on only when the item after the one it gave
    last is asked for. Ties on the key are broken by the items themselves (a ``Record``
    is a named tuple: its own time, then ``utc``, then its log's name...): the earlier
    generators' ``order`` was bound late, to the last stream's, so it never decided.
    A heap entry is ``[key, item, order, next, key of the item before]``.
    """
    heap: list[list[Any]] = []
    if held is not None:
        held.append(heap)
    for order, stream in enumerate(streams):
        step = stream.__next__
        for key, item in islice(stream, 1):
            heap.append([key, item, order, step, prevs[order] if prevs else None])
    heapq.heapify(heap)
    while len(heap) > 1:
        entry = heap[0]
        yield entry[1]
        entry[4] = entry[0]
        try:
            entry[0], entry[1] = entry[3]()
        except StopIteration:
            heapq.heappop(heap)
        else:
            heapq.heapreplace(heap, entry)
    if heap:
        _, item, _, step, _ = heap.pop()
        yield item
        for _, item in step.__self__:
            yield item
