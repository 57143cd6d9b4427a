"""``merge_by_time``: the same order and the same reading pace as its earlier
``heapq.merge`` formulation (ties on the merge time broken by the items themselves)."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator

from hypothesis import given
from hypothesis import strategies as st

from kerio_watch.sources.order import merge_by_time, smoothed

Item = tuple[int, int]  # (time, stream)


def reference(streams: list[Iterator[Item]], time: Callable[[Item], int]) -> Iterator[Item]:
    """How the merge was written before: ``heapq.merge`` over keyed generators (whose
    ``order`` is bound late, to the last stream's)."""
    keyed = [
        ((key, order, item) for key, item in smoothed(stream, time))
        for order, stream in enumerate(streams)
    ]
    return (item for _, _, item in heapq.merge(*keyed))


def _time(item: Item) -> int:
    return item[0]


def _logged(times: list[int], order: int, log: list[tuple[str, Item]]) -> Iterator[Item]:
    for ts in times:
        item = (ts, order)
        log.append(("read", item))
        yield item


Merge = Callable[[list[Iterator[Item]], Callable[[Item], int]], Iterator[Item]]


def _run(merge: Merge, lists: list[list[int]]) -> list[tuple[str, Item]]:
    """What a consumer sees, with every read of a stream in between."""
    log: list[tuple[str, Item]] = []
    streams = [_logged(times, i, log) for i, times in enumerate(lists)]
    for item in merge(streams, _time):
        log.append(("got", item))
    return log


times = st.lists(st.integers(0, 20_000), max_size=12)


@given(st.lists(times, min_size=2, max_size=5))
def test_same_order_and_reading_pace_as_heapq_merge(lists: list[list[int]]) -> None:
    # jumps of over an hour (order.JUMP) make smoothed read ahead and give several
    # items one merge time
    assert _run(merge_by_time, lists) == _run(reference, lists)


def test_a_stream_is_read_on_only_when_the_next_item_is_asked_for() -> None:
    log: list[tuple[str, Item]] = []
    merged = merge_by_time([_logged([1, 5], 0, log), _logged([2, 3], 1, log)], _time)
    assert next(merged) == (1, 0)
    assert log == [("read", (1, 0)), ("read", (2, 1))]
    assert next(merged) == (2, 1)
    assert log[-1] == ("read", (5, 0))
