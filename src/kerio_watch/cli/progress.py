"""The progress bar of ``scan`` on a terminal.

Its own module so that ``rich.progress`` (and ``rich.live``, ``rich.table``, ... that it
loads: 2% of a scan's start-up) is imported only when a bar is shown, not by a scan
with ``--no-progress`` or a redirected stderr.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from kerio_watch.gcpace import paced_collection
from kerio_watch.pipeline import Pipeline, RunStats
from kerio_watch.sources.files import LogFile, Record


def estimate_lines(files: list[LogFile]) -> int | None:
    """About how many lines ``files`` hold (None: not known, compressed or streamed)."""
    total = 0
    for f in files:
        if f.data is not None or f.compressed:
            return None
        try:
            total += Path(f.path).stat().st_size
        except OSError:
            return None
    return max(1, total // 200)


def run_with_bar(pipeline: Pipeline, records: Iterable[Record], files: list[LogFile]) -> RunStats:
    """Run the pipeline over ``records`` (collection paced: gcpace) with a progress bar
    on stderr."""
    with (
        paced_collection(),
        Progress(
            TextColumn("[bold]scanning"),
            BarColumn(),
            TextColumn("{task.completed:,} lines"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as progress,
    ):
        task = progress.add_task("scan", total=estimate_lines(files))
        return pipeline.run(records, lambda n: progress.update(task, completed=n))
