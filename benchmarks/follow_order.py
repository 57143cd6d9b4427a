#!/usr/bin/env python3
"""Does ``kerio-watch follow`` judge as ``scan`` does when one log is written late?

Kerio buffers its logs: one log's lines (``audit.log``, say) can reach the disk seconds
to a minute after lines of another log (``mail.log``) written later in log time. ``scan``
merges the final files by time; ``follow`` sees the late log's lines after the others.

The demo simulator writes a site's logs (every log it writes: mail, security, audit,
operations, spam, the firewall's filter.log ...). Everything before ``--start`` is
written at once (the follower's backfill); then the logs are replayed ``--step`` seconds
of log time at a time, one chunk every ``--pace`` seconds of wall time, each log up to
the chunk's end, except the ``--lagged`` logs, which are written only up to ``--lag``
seconds of log time before it (they catch up at the end). The real CLI follows the
directory; afterwards ``scan`` reads the final files into a fresh database, and the
alerts, incidents and profiles of the two databases are compared.

Usage::

    python benchmarks/follow_order.py [--seeds 1 2 3] [--lag 30] [--lagged audit]
        [--hours 6] [--step 5] [--pace 0.02] [--keep DIR] [-- FOLLOW OPTIONS]

Prints, per seed, the alerts that only one side has and how many incidents and
profiles differ. Exit status 1 when any differ.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kerio_watch.simulate import CONFIG_FILE, SimConfig, simulate
from kerio_watch.simulate.written import LaggedWriter, timed_lines

CLI = [sys.executable, "-m", "kerio_watch"]


def outcome(db: Path) -> dict[str, Any]:
    """Alerts, incidents and profiles of a database, without ids and wall-clock fields."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        alerts = Counter(
            con.execute("SELECT user, rule, severity, ts FROM alerts WHERE reported = 1")
        )
        incidents = Counter(
            con.execute("SELECT user, opened, updated, status, severity, score FROM incidents")
        )
        profiles = dict(con.execute("SELECT account, data FROM profiles"))
    return {"alerts": alerts, "incidents": incidents, "profiles": profiles}


def wait_caught_up(db: Path, logs: Path, timeout: float = 120) -> None:
    """Until the follower's checkpoints reach every file's end."""
    sizes = {str(p): p.stat().st_size for p in logs.iterdir()}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
                rows = dict(con.execute("SELECT path, offset FROM follow_files"))
        except sqlite3.Error:
            rows = {}
        if all(rows.get(path, -1) >= size for path, size in sizes.items() if size):
            return
        time.sleep(0.1)
    raise SystemExit(f"the follower did not catch up within {timeout} s")


def differing(a: Counter[Any], b: Counter[Any]) -> int:
    """How many items only one of two multisets has."""
    return sum(((a - b) + (b - a)).values())


def run_seed(seed: int, args: argparse.Namespace, work: Path) -> dict[str, int]:
    """One replay; the numbers of differences."""
    sim = simulate(SimConfig(seed=seed, days=args.days, users=args.users), work / "sim")
    config = sim.directory / CONFIG_FILE
    zone = ZoneInfo("Europe/Berlin")
    lines = timed_lines(sim.directory, zone)
    day = dt.datetime.combine(SimConfig().start, dt.time(args.at), zone)
    day += dt.timedelta(days=args.days - 1)
    start = int(day.replace(tzinfo=dt.UTC).timestamp())
    end = start + int(args.hours * 3600)
    logs = work / "logs"
    logs.mkdir()
    writer = LaggedWriter(lines, logs)
    for name in lines:
        writer.until(name, start)  # what the first start backfills
    err = (work / "follow.err").open("wb")
    proc = subprocess.Popen(
        [*CLI, "follow", "--db", str(work / "follow.db"), "--config", str(config),
         "--format", "jsonl", "--poll", str(args.poll), *args.follow_options, str(logs)],
        stdout=subprocess.DEVNULL, stderr=err,
    )  # fmt: skip
    began = time.monotonic()
    lagged = {f"{name}.log" for name in args.lagged}
    writer.chunks(start, end, args.step, args.lag, lagged, args.pace)
    wait_caught_up(work / "follow.db", logs)
    seconds = time.monotonic() - began
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)
    err.close()
    subprocess.run(
        [*CLI, "scan", "--db", str(work / "scan.db"), "--config", str(config), str(logs)],
        check=True, capture_output=True,
    )  # fmt: skip
    got, want = outcome(work / "follow.db"), outcome(work / "scan.db")
    only_follow = got["alerts"] - want["alerts"]
    only_scan = want["alerts"] - got["alerts"]
    for label, rows in (("follow only", only_follow), ("scan only", only_scan)):
        for user, rule, sev, ts in sorted(rows.elements()):
            print(f"  seed {seed}: {label}: {user} {rule} severity {sev} at {ts}")
    profiles = set(got["profiles"]) | set(want["profiles"])
    return {
        "alerts": sum(want["alerts"].values()),
        "alerts_differing": sum((only_follow + only_scan).values()),
        "incidents": sum(want["incidents"].values()),
        "incidents_differing": differing(got["incidents"], want["incidents"]),
        "profiles_differing": sum(
            got["profiles"].get(a) != want["profiles"].get(a) for a in profiles
        ),
        "seconds": round(seconds),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--at", type=int, default=7, help="local hour the replay starts")
    parser.add_argument("--hours", type=float, default=6.0, help="log hours replayed")
    parser.add_argument("--lag", type=int, default=30, help="log seconds the lagged logs trail")
    parser.add_argument("--lagged", nargs="+", default=["audit"])
    parser.add_argument("--step", type=int, default=5, help="log seconds per chunk")
    parser.add_argument("--pace", type=float, default=0.01, help="wall seconds per chunk")
    parser.add_argument("--poll", type=float, default=0.05)
    parser.add_argument("--keep", type=Path)
    parser.add_argument("follow_options", nargs="*", help="more options for follow (after --)")
    args = parser.parse_args()
    total: Counter[str] = Counter()
    for seed in args.seeds:
        work = Path(tempfile.mkdtemp(prefix=f"kw-order-{seed}-"))
        try:
            figures = run_seed(seed, args, work)
        finally:
            if args.keep:
                shutil.copytree(work, args.keep / f"seed{seed}", dirs_exist_ok=True)
            shutil.rmtree(work, ignore_errors=True)
        print(f"seed {seed}: " + json.dumps(figures))
        total.update(figures)
    print("total: " + json.dumps(dict(total)))
    return 1 if total["alerts_differing"] or total["incidents_differing"] else 0


if __name__ == "__main__":
    sys.exit(main())
