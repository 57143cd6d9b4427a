"""A ``scan`` that keeps its work: checkpoints, a stop at a safe point, and the same scan
run again continuing the interrupted one.

The first SIGINT or SIGTERM asks the pipeline to save a checkpoint at the next boundary
between two log seconds and stop there (:mod:`kerio_watch.pipeline.autosave`); a second
Ctrl-C stops at once (what the last checkpoint saved is kept).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import IO

from rich.console import Console

from kerio_watch.alerts.console import JsonLinesPrinter, safe
from kerio_watch.pipeline import Pipeline
from kerio_watch.pipeline.autosave import NOT_SAVED, UNFINISHED, Autosave, Stopped
from kerio_watch.pipeline.grown import go_on, load, merge_from
from kerio_watch.pipeline.resume import Positions
from kerio_watch.severity import Severity
from kerio_watch.sources.files import LogFile
from kerio_watch.values.alert import Alert

SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def stop_on_signals(autosave: Autosave | None) -> Iterator[None]:
    """Inside the block, SIGINT and SIGTERM set ``autosave.stop`` (the second SIGINT
    raises KeyboardInterrupt); nothing changes without ``autosave`` or off the main
    thread (signal handlers can only be set there)."""
    if autosave is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def ask(signum: int, _frame: FrameType | None) -> None:
        if autosave.stop and signum == signal.SIGINT:
            raise KeyboardInterrupt
        autosave.stop = True

    before = {sig: signal.signal(sig, ask) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def continue_scan(
    pipeline: Pipeline, autosave: Autosave, paths: tuple[str, ...], files: list[LogFile]
) -> None:
    """Checkpoints as the scan goes; the same scan interrupted before is continued from
    its last checkpoint (:mod:`kerio_watch.pipeline.resume`)."""
    pipeline.autosave = autosave
    positions = pipeline.positions = Positions([str(Path(p).absolute()) for p in paths], files)
    positions.known = load(pipeline.store)
    state = autosave.resume(pipeline.store.get_meta(UNFINISHED))
    if state is not None:
        try:
            autosave.passed = positions.apply(state, pipeline.watermarks)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            autosave.passed = 0  # damaged: the watermarks alone say what was processed
        if autosave.passed:
            return
    autosave.resumed = autosave.at = ""  # not this scan's (other paths): not continued
    autosave.earlier = autosave.alerts = 0
    positions.grown = go_on(positions)  # files that grew since an earlier scan
    merge_from(positions, pipeline.watermarks.marks, pipeline.timebase.wall)


def what_was_kept(pipeline: Pipeline, exc: KeyboardInterrupt) -> str:
    """What a scan interrupted by ``exc`` kept, as one clause."""
    if pipeline.final_saved:
        return "it had read every line and its results were saved"
    if isinstance(exc, Stopped):  # it says what its checkpoint kept
        return str(exc)
    if pipeline.autosave is not None:
        return pipeline.autosave.kept()
    return "its results were saved" if pipeline.saved else NOT_SAVED


def print_continued(console: Console, autosave: Autosave | None) -> None:
    """The scan summary's line of a scan that continued an interrupted one."""
    if autosave is None or not autosave.resumed:
        return
    console.print(
        f"[dim]continued a scan interrupted after {safe(autosave.resumed)} (log time), "
        f"passing over the {autosave.passed:,} lines it had done: the "
        f"{autosave.earlier:,} alerts it raised and saved are not in this scan's list "
        "(kerio-watch incidents lists them)[/dim]",
        highlight=False,
    )


def print_went_on(console: Console, positions: Positions | None) -> None:
    """The scan summary's line of a scan that went on where an earlier one left files."""
    if positions is None or not positions.grown:
        return
    files = sum(1 for f in positions.files if f.continued)
    console.print(
        f"[dim]went on where an earlier scan left {files:,} file{'s' if files != 1 else ''}: "
        f"the {positions.grown:,} lines it had already processed were not read again[/dim]",
        highlight=False,
    )


class SavedPrinter:
    """``--format jsonl``: prints each reported alert at or above ``floor`` once the save
    that records it has committed. A save that fails (a full disk: exit status 7) prints
    none of its alerts: the same scan run again continues from the last checkpoint and
    raises and prints them, once (printed as they were raised, they were printed again)."""

    def __init__(self, stream: IO[str], floor: Severity) -> None:
        self.printer = JsonLinesPrinter(stream)
        self.floor = floor
        self.waiting: list[Alert] = []

    def __call__(self, alert: Alert, reported: bool) -> None:
        """Listener for the pipeline: keeps the alert until its save."""
        if reported and alert.severity >= self.floor:
            self.waiting.append(alert)

    def committed(self) -> None:
        """After a save's commit: print what it recorded."""
        waiting, self.waiting = self.waiting, []
        for alert in waiting:
            self.printer(alert, True)
