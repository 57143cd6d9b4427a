"""A simulated site's logs written progressively by log time, some of them late.

``follow`` must reach the same result as ``scan`` when Kerio writes one log behind the
others (``sources/hold.py``): ``benchmarks/follow_order.py`` and
``tests/test_follow_order_cli.py`` replay a simulated site's logs in chunks of log time
with chosen logs lagging, and compare the follower's database with a scan of the
final files.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Collection
from pathlib import Path
from zoneinfo import ZoneInfo

from kerio_watch.sources.files import discover, read_records


def timed_lines(directory: Path, zone: ZoneInfo) -> dict[str, list[tuple[int, str]]]:
    """Each log file's lines with the time they were written (local seconds), by name."""
    out: dict[str, list[tuple[int, str]]] = {}
    for log_file in discover([str(directory)]):
        rows = []
        last = 0
        for rec in read_records(log_file):
            ts = rec.ts
            if rec.utc:
                when = dt.datetime.fromtimestamp(ts, dt.UTC).astimezone(zone)
                offset = when.utcoffset()
                ts += int(offset.total_seconds()) if offset else 0
            last = max(last, ts)  # a line without its own time goes with the one before
            rows.append((last, rec.raw))
        out[Path(log_file.path).name] = rows
    return out


class LaggedWriter:
    """Writes the site's logs into a directory up to a time, as Kerio would have."""

    def __init__(self, lines: dict[str, list[tuple[int, str]]], logs: Path) -> None:
        self.lines = lines
        self.logs = logs
        self.done = dict.fromkeys(lines, 0)

    def until(self, name: str, limit: int) -> None:
        """``name``'s lines up to ``limit`` (local seconds)."""
        rows, i = self.lines[name], self.done[name]
        j = i
        while j < len(rows) and rows[j][0] <= limit:
            j += 1
        with (self.logs / name).open("a", encoding="utf-8") as handle:
            handle.write("".join(raw + "\n" for _, raw in rows[i:j]))
        self.done[name] = j

    def chunks(
        self, start: int, end: int, step: int, lag: int, lagged: Collection[str], pace: float
    ) -> None:
        """Chunks of ``step`` seconds of log time from ``start`` until ``end``, one every
        ``pace`` seconds, the ``lagged`` files ``lag`` seconds behind; then they catch up."""
        due = time.monotonic()
        for chunk_end in range(start + step, end + step, step):
            for name in self.lines:
                self.until(name, chunk_end - lag if name in lagged else chunk_end)
            due += pace
            time.sleep(max(0.0, due - time.monotonic()))
        for name in self.lines:
            self.until(name, end)
