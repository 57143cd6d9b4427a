"""The scan's paced garbage collection: paced inside, the process's settings after."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from click.testing import CliRunner

from kerio_watch.cli import main
from kerio_watch.gcpace import MIDDLE, OLD, YOUNG, paced_collection
from kerio_watch.pipeline import Pipeline

SAMPLES = Path(__file__).parent / "samples"


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


def test_a_scan_saves_with_collection_paced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan's final save runs paced too: with the defaults, its allocations set off
    middle passes over what the run left in view (two passes, 1% of the site's scan)."""
    thresholds: list[tuple[int, ...]] = []
    save = Pipeline.save

    def observed(self: Pipeline, final: bool = True) -> None:
        thresholds.append(gc.get_threshold())
        save(self, final)

    monkeypatch.setattr(Pipeline, "save", observed)
    before = gc.get_threshold()
    argv = ["scan", "--no-progress", "--db", str(tmp_path / "s.db"), str(SAMPLES / "mail.log")]
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert thresholds == [(YOUNG, MIDDLE, OLD)]
    assert gc.get_threshold() == before
