"""The scan's paced garbage collection: paced inside, the process's settings after."""

from __future__ import annotations

import gc
import subprocess
import sys
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


def test_a_command_leaves_its_heap_out_of_the_exit_collections(tmp_path: Path) -> None:
    """At exit the interpreter's full collections would traverse everything a scan left
    alive (0.1-0.3 s CPU after a site's scan): the command freezes the heap first, at
    exit (an exit handler registered before the command's runs after its own)."""
    code = (
        "import atexit, gc\n"
        "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count() > 0))\n"
        "from kerio_watch.cli import main\n"
        f"main(['scan', '--no-progress', '--db', {str(tmp_path / 's.db')!r},"
        f" {str(SAMPLES / 'mail.log')!r}])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "frozen at exit: True"


def test_skipping_the_exit_collection_is_registered_once() -> None:
    """However often a command runs in one process (tests, ``CliRunner``)."""
    code = (
        "import atexit, gc\n"
        "from kerio_watch.gcpace import skip_exit_collection\n"
        "calls = []\n"
        "real = gc.freeze\n"
        "gc.freeze = lambda: calls.append(1) or real()\n"
        "atexit.register(lambda: print('freezes:', len(calls)))\n"
        "skip_exit_collection()\n"
        "skip_exit_collection()\n"
        "skip_exit_collection()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "freezes: 1"
