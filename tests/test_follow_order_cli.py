"""``follow`` judges as ``scan`` does when one log is written late (the real CLI).

Kerio buffers its logs, so one log's lines can reach the disk after later lines of
another. A simulated site's logs are replayed into a directory in chunks of log time,
``audit.log`` a minute of log time (several of the follower's looks) behind the others;
``scan`` then reads the final files into a fresh database. The alerts, incidents and
profiles of the two databases must be the same (``benchmarks/follow_order.py`` measures
the same on more seeds, lags and hours).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kerio_watch.simulate import CONFIG_FILE, SimConfig, simulate
from kerio_watch.simulate.written import LaggedWriter, timed_lines
from test_follow_cli import Follow, wait_for

ZONE = ZoneInfo("Europe/Berlin")
START = dt.datetime(
    2026, 3, 4, 11, 5
)  # local; seed 1: logins from hosting networks at 11:15, 11:39
MINUTES = 40
STEP = 10
"""Seconds of log time per chunk."""
LAG = 60
"""Seconds of log time audit.log is written behind the others."""


def outcome(db: Path) -> dict[str, Any]:
    """What detection decided, without ids."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        return {
            "alerts": Counter(con.execute("SELECT user, rule, severity, ts FROM alerts")),
            "incidents": Counter(
                con.execute("SELECT user, opened, updated, status, severity, score FROM incidents")
            ),
            "profiles": dict(con.execute("SELECT account, data FROM profiles")),
        }


def caught_up(db: Path, logs: Path) -> bool:
    """The follower's checkpoints are at every file's end (empty files have none)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
            offsets = dict(con.execute("SELECT path, offset FROM follow_files"))
    except sqlite3.Error:
        return False
    sizes = {str(p): p.stat().st_size for p in logs.iterdir()}
    return all(offsets.get(path, -1) >= size for path, size in sizes.items() if size)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The simulated site, its lines, and what scan decides over them."""
    base = tmp_path_factory.mktemp("site")
    sim = simulate(SimConfig(seed=1, days=3, users=20), base / "sim")
    lines = timed_lines(sim.directory, ZONE)
    end = int((START + dt.timedelta(minutes=MINUTES)).replace(tzinfo=dt.UTC).timestamp())
    final = base / "final"
    final.mkdir()
    for name, rows in lines.items():
        (final / name).write_text("".join(raw + "\n" for ts, raw in rows if ts <= end))
    config = sim.directory / CONFIG_FILE
    subprocess.run(
        [sys.executable, "-m", "kerio_watch", "scan", "--db", str(base / "scan.db"),
         "--config", str(config), str(final)],
        check=True, capture_output=True,
    )  # fmt: skip
    trimmed = {name: [r for r in rows if r[0] <= end] for name, rows in lines.items()}
    return config, {"lines": trimmed, "scan": outcome(base / "scan.db")}


def follow_late_log(
    tmp_path: Path, site: tuple[Path, dict[str, Any]], *options: str
) -> dict[str, Any]:
    config, data = site
    logs = tmp_path / "logs"
    logs.mkdir()
    writer = LaggedWriter(data["lines"], logs)
    start = int(START.replace(tzinfo=dt.UTC).timestamp())
    for name in data["lines"]:
        writer.until(name, start)  # what the first start backfills
    follow = Follow(tmp_path, logs, "--config", str(config), *options)
    try:
        follow.start()
        wait_for(lambda: "event=started" in follow.err())
        writer.chunks(start, start + MINUTES * 60, STEP, LAG, {"audit.log"}, 0.05)
        wait_for(lambda: caught_up(follow.db, logs), timeout=60)
        assert follow.stop() == 0
    finally:
        if follow.proc is not None and follow.proc.poll() is None:
            follow.proc.kill()
            follow.proc.wait()
    return outcome(follow.db)


@pytest.mark.slow
def test_a_late_log_is_judged_as_scan_judges_it(
    tmp_path: Path, site: tuple[Path, dict[str, Any]]
) -> None:
    """audit.log a minute behind: follow's alerts, incidents and profiles are scan's."""
    got = follow_late_log(tmp_path, site, "--order-wait", "5")
    want = site[1]["scan"]
    assert got["alerts"] == want["alerts"]
    assert got["incidents"] == want["incidents"]
    assert got["profiles"] == want["profiles"]


@pytest.mark.slow
def test_without_the_wait_it_differs(tmp_path: Path, site: tuple[Path, dict[str, Any]]) -> None:
    """The same replay merging what each look finds (``--order-wait 0``) decides
    otherwise (at least the profiles' last-seen times; often alerts and incidents):
    the scenario above does test the order."""
    got = follow_late_log(tmp_path, site, "--order-wait", "0")
    want = site[1]["scan"]
    assert got != want
