#!/usr/bin/env python3
"""Alert latency and idle CPU of ``kerio-watch follow``.

Starts a real follower on an empty log folder, appends lines that each open an incident
(an account sending as an outside address), and measures the time from writing a line to
its alert on the follower's stdout. Then leaves the follower idle and reads its CPU time
from ``/proc`` (Linux). Usage::

    python benchmarks/follow_latency.py [--alerts 20] [--idle 30] [--poll 0.5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import selectors
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def kerio_watch() -> list[str]:
    """The command that runs this checkout's kerio-watch."""
    exe = Path(sys.executable).with_name("kerio-watch")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "kerio_watch"]


def recv_line(n: int) -> str:
    """A Recv line at a UTC site whose From is outside the server's domains."""
    when = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=n)
    qid = f"{int(when.timestamp()):08x}-{n:08x}"
    return (
        f"{when:[%d/%b/%Y %H:%M:%S]} Recv: Queue-ID: {qid}, Service: SMTP, "
        f"From: <boss@evil.test>, To: <v{n}@victim.test>, Size: 900, Sender-Host: 203.0.113.9, "
        f"User: user{n}@example.com, SSL: yes, Subject: invoice, Msg-Id: <{n}@x>\n"
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    """Run the measurement and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=20)
    parser.add_argument("--idle", type=float, default=30.0, help="idle seconds to measure")
    parser.add_argument("--poll", type=float, default=0.5)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kw-latency-"))
    log = work / "mail.log"
    log.write_text(recv_line(0).replace("boss@evil.test", "user0@example.com"))
    proc = subprocess.Popen(
        [
            *kerio_watch(),
            "follow",
            "--db",
            str(work / "state.db"),
            "--format",
            "jsonl",
            "--poll",
            str(args.poll),
            str(work),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    if proc.stdout is None:
        return 1
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    latencies: list[float] = []
    try:
        time.sleep(2.0)  # let it start and read the first line
        for n in range(1, args.alerts + 1):
            with log.open("a") as handle:
                handle.write(recv_line(n))
            written = time.monotonic()
            if not sel.select(timeout=10):
                print(f"no alert within 10 s for line {n}")
                return 1
            proc.stdout.readline()
            latencies.append(time.monotonic() - written)
            time.sleep(0.3)
        time.sleep(2.0)
        before = cpu_seconds(proc.pid)
        time.sleep(args.idle)
        idle_cpu = cpu_seconds(proc.pid) - before
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(
        f"alert latency over {len(latencies)} alerts (poll {args.poll} s): "
        f"median {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s"
    )
    print(f"idle CPU: {idle_cpu:.2f} s over {args.idle:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
