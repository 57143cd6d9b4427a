#!/usr/bin/env python3
"""Throughput and memory of ``kerio-watch scan`` against the seed's Perl check.

Generates a mail.log of ``--lines`` lines (default 2,000,000) with the demo simulator,
then times, on that same file:

- ``kerio-watch scan`` (every detector, a fresh state database), as a subprocess, with
  its peak resident memory (``ru_maxrss`` of the child);
- ``kerio-watch parse``-free baseline: reading and parsing only (``--parse-only``);
- ``kerio-watch scan`` with only the From/User detector (what the seed checks; the
  learner, Queue-ID joins, incidents and the state database still run);
- the seed's Perl From/User check (``shared/seeds/seed_check.pl``) when ``perl`` exists;
- with ``--floor``, what plain CPython costs on the same file before any detection:
  reading and decoding the lines, one regular expression per ``Recv:`` line, and the
  seed's check itself written in Python. These rows show how much of the Perl check's
  time a Python program spends just getting at the fields.

It prints lines per second and the ratio scan/Perl (>= 1.0 means kerio-watch is at least
as fast as the seed's check), and the size of the state database the scan left. Usage::

    python benchmarks/throughput.py [--lines 2000000] [--keep DIR] [--repeat 1] [--floor]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kerio_watch.simulate import SimConfig, simulate
from kerio_watch.store import open_store
from kerio_watch.store.sqlite import db_files, db_stat

ROOT = Path(__file__).resolve().parents[1]
SEED_CHECK = ROOT.parent / "shared" / "seeds" / "seed_check.pl"


def kerio_watch() -> list[str]:
    """The command that runs this checkout's kerio-watch."""
    exe = Path(sys.executable).with_name("kerio-watch")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "kerio_watch"]


def generate(directory: Path, lines: int) -> Path:
    """A simulated mail.log with about ``lines`` lines."""
    start = time.perf_counter()
    result = simulate(
        SimConfig(seed=7, days=3650, users=300, max_mail_lines=lines, only_mail=True), directory
    )
    took = time.perf_counter() - start
    path = result.files["mail"]
    print(
        f"generated {result.lines['mail']:,} mail.log lines "
        f"({path.stat().st_size / 1e6:,.0f} MB) in {took:.1f} s"
    )
    return path


def timed(cmd: list[str]) -> tuple[float, int]:
    """(wall seconds, peak RSS in MB of the command itself) for one command.

    The peak is the child's ``VmHWM`` (Linux), read every 20 ms while it runs: the
    ``ru_maxrss`` of a child starts from its parent's high-water mark, which the fork
    carries across ``exec`` (a 5 MB Perl run started from an 80 MB Python shows 80 MB).
    Without ``/proc`` it falls back to ``ru_maxrss``.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    status = Path(f"/proc/{proc.pid}/status")
    hwm = 0
    while True:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    hwm = max(hwm, int(line.split()[1]))
        except (OSError, ValueError):
            pass
        try:
            proc.wait(0.02)
            break
        except subprocess.TimeoutExpired:
            continue
    took = time.perf_counter() - start
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    peak = hwm or resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return took, peak // 1024


RECV = re.compile(
    r"Recv: Queue-ID: ([^,]*), Service: ([^,]*), From: <([^>]*)>, To: (<[^>]*>(?:, <[^>]*>)*), "
    r"Size: (\d+)(?:, Sender-Host: ([^,]*))?(?:, User: ([^,]*))?(?:, SSL: (yes|no))?"
    r"(?:, Report: ([^,]*))?(?:, Subject: (.*?))?(?:, Msg-Id: <(.*)>)?$"
)


def floor(log: Path) -> dict[str, float]:
    """Seconds plain CPython needs on the file before any detection (in this process)."""

    def read_decode() -> None:
        with log.open("rb") as handle:
            for line in handle:
                line.decode("utf-8", "replace")

    def one_regex() -> None:
        match = RECV.match
        with log.open("rb") as handle:
            for line in handle:
                text = line.decode("utf-8", "replace")
                if text[23:28] == "Recv:":
                    match(text, 23)

    def seed_in_python() -> None:
        # the Perl check's logic: split on commas, pick From and User, compare
        with log.open("rb") as handle, open(os.devnull, "w") as out:
            for line in handle:
                text = line.decode("utf-8", "replace")
                sender = user = ""
                for part in text.split(","):
                    if part.startswith(" From:"):
                        sender = part
                    elif part.startswith(" User:"):
                        user = part
                if user and "example.com" in user and user[7:] not in sender:
                    print(sender, user, file=out)

    out: dict[str, float] = {}
    for name, fn in (
        ("Python: read + decode lines", read_decode),
        ("Python: + one regex per Recv line", one_regex),
        ("Python: the seed's check", seed_in_python),
    ):
        start = time.perf_counter()
        fn()
        out[name] = time.perf_counter() - start
    return out


FROM_ONLY = """[detectors.auth]
enabled = false
[detectors.new_host]
enabled = false
[detectors.unusual_service]
enabled = false
[detectors.odd_hours]
enabled = false
[detectors.new_recipients]
enabled = false
[detectors.volume]
enabled = false
[detectors.bounces]
enabled = false
[detectors.queue_backlog]
enabled = false
"""


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--keep", type=Path, help="keep the generated log in this folder")
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs")
    parser.add_argument(
        "--floor", action="store_true", help="also time plain-Python reading and parsing"
    )
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="kw-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    log = work / "mail.log"
    if not log.exists():
        log = generate(work, args.lines)
    lines = sum(1 for _ in log.open("rb"))
    results: dict[str, tuple[float, int]] = {}

    perl = shutil.which("perl")
    if perl and SEED_CHECK.exists():
        runs = [timed([perl, str(SEED_CHECK), str(log), "example.com"]) for _ in range(args.repeat)]
        results["seed Perl check"] = min(runs)

    db = work / "bench.db"

    def scan(*options: str) -> tuple[float, int]:
        for file in db_files(db):
            file.unlink(missing_ok=True)
        cmd = [*kerio_watch(), "scan", "--no-progress", "--db", str(db), *options, str(log)]
        return timed(cmd)

    from_only = work / "from-only.toml"
    from_only.write_text(FROM_ONLY, encoding="utf-8")
    results["kerio-watch scan (From/User only)"] = min(
        scan("--config", str(from_only)) for _ in range(args.repeat)
    )
    results["kerio-watch scan (all detectors)"] = min(scan() for _ in range(args.repeat))

    print(f"\n{lines:,} lines, {log.stat().st_size / 1e6:,.0f} MB, {os.cpu_count()} CPUs")
    print(f"{'what':36} {'seconds':>9} {'lines/s':>12} {'peak MB':>8}")
    for name, (secs, peak) in results.items():
        print(f"{name:36} {secs:9.2f} {lines / secs:12,.0f} {peak:8}")
    if args.floor:
        for name, secs in floor(log).items():
            print(f"{name:36} {secs:9.2f} {lines / secs:12,.0f} {'-':>8}")
    store = open_store(db, readonly=True)
    try:
        span = store.activity_span()
    finally:
        store.close()
    hours = 0 if span is None else (span[1] - span[0]) // 3600 + 1
    print(
        f"state database after the scan: {sum(db_stat(db)[::2]) / 1e6:,.1f} MB "
        f"(with its WAL), {hours:,} hours of activity"
    )
    if "seed Perl check" in results:
        ratio = results["seed Perl check"][0] / results["kerio-watch scan (all detectors)"][0]
        print(
            f"\nratio (Perl time / scan time): {ratio:.2f} "
            f"({'scan is at least as fast' if ratio >= 1 else 'scan is slower'})"
        )
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
