"""The scan's paced garbage collection: paced inside, the process's settings after."""

from __future__ import annotations

import gc

import pytest

from kerio_watch.gcpace import MIDDLE, OLD, YOUNG, paced_collection


def test_paced_inside_and_restored_after() -> None:
    before = gc.get_threshold()
    with paced_collection():
        assert gc.get_threshold() == (YOUNG, MIDDLE, OLD)
        assert gc.get_freeze_count() > 0  # what was alive at the start is frozen
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_restored_after_an_error() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), paced_collection():
        raise RuntimeError("boom")
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_cycles_are_still_collected() -> None:
    class Node:
        def __init__(self) -> None:
            self.other: Node | None = None

    with paced_collection():
        a, b = Node(), Node()
        a.other, b.other = b, a
        del a, b
        assert gc.collect() >= 2  # the cycle was unreachable and is freed
