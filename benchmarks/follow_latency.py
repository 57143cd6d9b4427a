#!/usr/bin/env python3
"""Alert latency, idle CPU and (under load) lag of ``kerio-watch follow``.

Default mode: starts a real follower on an empty log folder, appends lines that each
open an incident (an account sending as an outside address), and measures the time
from writing a line to its alert on the follower's stdout. Then leaves the follower idle
and reads its CPU time from ``/proc`` (Linux).

``--load SECONDS``: the follower delivers to a ``jsonl`` file sink (and, with
``--slow-webhook S``, also to a local webhook that answers only after S seconds) while
``--rate`` lines per second of ordinary inbound mail are written, with one line that
raises an alert every ``--alert-every`` seconds. It prints when each alert reached the
file after its line was written, and the follower's peak lag: bytes written to the log
but not yet checkpointed as read (sampled 4 times a second from its state database).

``--other-log`` adds other logs beside ``mail.log``, which lines wait for (``follow
--order-wait``, passed with ``--order-wait``). Lines are stamped with the current time
(UTC), as Kerio stamps them:

- ``busy``: ``security.log`` is written up to each alert's time 0.1 s after the alert's
  line (under load: a tenth of the lines, in step with mail.log);
- ``quiet``: ``security.log`` holds one line from just before the follower started and
  nothing after (within ten minutes of log time, so it is waited for: the worst case);
- ``site``: ``security.log`` and ``audit.log`` are both written a line a second, at once
  (a site whose logs all move);
- ``sparse``: ``audit.log`` gets a line a minute (``--sparse-every``), at once (a small
  site: a log that wrote recently and is quiet when most alerts come);
- ``lagging``: ``audit.log`` gets a line a second, written ``--lag`` seconds after its
  time (a log Kerio writes late: lines should wait for it).

Latency mode prints the median, 95th percentile and maximum.

Usage::

    python benchmarks/follow_latency.py [--alerts 20] [--idle 30] [--poll 0.5]
        [--other-log busy|quiet|site|sparse|lagging] [--lag 5] [--sparse-every 60]
        [--warmup 3] [--order-wait SECONDS]
    python benchmarks/follow_latency.py --load 30 [--rate 2000] [--slow-webhook 60]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import selectors
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any


def kerio_watch() -> list[str]:
    """The command that runs this checkout's kerio-watch."""
    exe = Path(sys.executable).with_name("kerio-watch")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "kerio_watch"]


def stamp(n: int) -> dt.datetime:
    """Log time of the ``n``-th benchmark minute (load mode)."""
    return dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=n)


def now(behind: float = 0.0) -> dt.datetime:
    """The current time (UTC), ``behind`` seconds ago: a live line's stamp."""
    return dt.datetime.now(dt.UTC) - dt.timedelta(seconds=behind)


def audit_line(when: dt.datetime) -> str:
    """An audit.log line (a webmail login of an account of no alert)."""
    return (
        f"{when:[%d/%b/%Y %H:%M:%S]} HTTP/WebMail: User staff@example.com authenticated  "
        "from IP address 10.0.0.5\n"
    )


class OtherLogs(threading.Thread):
    """Writes the other logs of ``--other-log site|sparse|lagging`` until stopped."""

    def __init__(self, work: Path, args: argparse.Namespace) -> None:
        super().__init__(daemon=True)
        self.work = work
        self.shape = args.other_log
        self.lag = args.lag
        self.every = args.sparse_every
        self.done = threading.Event()

    def write(self, name: str, line: str) -> None:
        with (self.work / name).open("a") as handle:
            handle.write(line)

    def run(self) -> None:
        every = self.every if self.shape == "sparse" else 1.0
        while not self.done.wait(0 if self.shape == "sparse" else every):
            if self.shape == "site":
                self.write("security.log", security_line(now()))
                self.write("audit.log", audit_line(now()))
            elif self.shape == "sparse":
                self.write("audit.log", audit_line(now()))
                if self.done.wait(every):
                    return
            else:
                self.write("audit.log", audit_line(now(self.lag)))


def security_line(when: dt.datetime) -> str:
    """A security.log line (a failed login of no account)."""
    return f"{when:[%d/%b/%Y %H:%M:%S]} Failed SMTP login from 198.51.100.7, missing username\n"


def follow_options(args: argparse.Namespace) -> list[str]:
    """The options the benchmark passes on to follow."""
    return [] if args.order_wait is None else ["--order-wait", str(args.order_wait)]


def recv_line(n: int, when: dt.datetime | None = None, user: str | None = None) -> str:
    """A Recv line at a UTC site whose From is outside the server's domains."""
    when = when or stamp(n)
    user = user or f"user{n}@example.com"
    qid = f"{int(when.timestamp()):08x}-{n:08x}"
    return (
        f"{when:[%d/%b/%Y %H:%M:%S]} Recv: Queue-ID: {qid}, Service: SMTP, "
        f"From: <boss@evil.test>, To: <v{n}@victim.test>, Size: 900, Sender-Host: 203.0.113.9, "
        f"User: {user}, SSL: yes, Subject: invoice, Msg-Id: <{n}@x>\n"
    )


def inbound_line(n: int, when: dt.datetime) -> str:
    """Ordinary inbound mail (no login): read and parsed, never an alert."""
    qid = f"{int(when.timestamp()):08x}-{n:08x}"
    return (
        f"{when:[%d/%b/%Y %H:%M:%S]} Recv: Queue-ID: {qid}, Service: SMTP, "
        f"From: <news{n % 97}@partner.test>, To: <user{n % 300}@example.com>, Size: 4100, "
        f"Sender-Host: 198.51.100.{n % 200 + 1}, SSL: yes, Subject: newsletter {n}, "
        f"Msg-Id: <in{n}@partner.test>\n"
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def latency_mode(args: argparse.Namespace) -> int:
    """Alert latency on stdout, then idle CPU."""
    work = Path(tempfile.mkdtemp(prefix="kw-latency-"))
    log = work / "mail.log"
    log.write_text(recv_line(0, now()).replace("boss@evil.test", "user0@example.com"))
    other = work / "security.log"
    if args.other_log in ("busy", "quiet"):
        other.write_text(security_line(now()))
    proc = subprocess.Popen(
        [*kerio_watch(), "follow", "--db", str(work / "state.db"), "--format", "jsonl",
         "--poll", str(args.poll), *follow_options(args), str(work)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    if proc.stdout is None:
        return 1
    writer = OtherLogs(work, args)
    latencies: list[float] = []
    try:
        time.sleep(2.0)  # let it start and read the first line
        if args.other_log in ("site", "sparse", "lagging"):
            writer.start()
            time.sleep(args.warmup)  # the other logs written live for a while
        for n in range(1, args.alerts + 1):
            with log.open("a") as handle:
                handle.write(recv_line(n, now()))
            written = time.monotonic()
            if args.other_log == "busy":
                time.sleep(0.1)
                with other.open("a") as handle:
                    handle.write(security_line(now()))
            if not alert_of(proc.stdout, f"user{n}@example.com"):
                print(f"no alert within 120 s for line {n}")
                return 1
            latencies.append(time.monotonic() - written)
            time.sleep(0.3)
        writer.done.set()
        time.sleep(2.0)
        before = cpu_seconds(proc.pid)
        time.sleep(args.idle)
        idle_cpu = cpu_seconds(proc.pid) - before
    finally:
        writer.done.set()
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    shape = args.other_log or "none"
    if args.other_log == "lagging":
        shape += f" {args.lag:g} s"
    print(
        f"alert latency over {len(latencies)} alerts (poll {args.poll} s, other logs: "
        f"{shape}, order wait {'default' if args.order_wait is None else args.order_wait}): "
        f"median {statistics.median(latencies):.2f} s, p95 {p95(latencies):.2f} s, "
        f"max {max(latencies):.2f} s"
    )
    print(f"idle CPU: {idle_cpu:.2f} s over {args.idle:.0f} s")
    return 0


def alert_of(stdout: IO[str], user: str, timeout: float = 120.0) -> bool:
    """Reads the follower's alerts until one about ``user`` (False: none in time)."""
    sel = selectors.DefaultSelector()
    sel.register(stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while sel.select(timeout=max(0.0, deadline - time.monotonic())):
        text = stdout.readline()
        if not text:
            return False
        try:
            if json.loads(text).get("user") == user:
                return True
        except ValueError:
            continue
    return False


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


# -- under load, with a slow webhook --------------------------------------------------------
def slow_webhook(delay: float) -> tuple[ThreadingHTTPServer, list[float]]:
    """A local webhook answering 200 after ``delay`` seconds; the list gets request times."""
    received: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.append(time.monotonic())
            time.sleep(delay)
            try:
                self.send_response(200)
                self.end_headers()
            except OSError:
                pass  # the follower gave up waiting (its timeout)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True).start()
    return server, received


def load_config(work: Path, webhook: str | None) -> Path:
    """A UTC site with a jsonl sink (and the webhook), every alert sent at once."""
    text = (
        '[site]\ntimezone = "UTC"\nlocal_domains = ["example.com"]\n'
        f'[[sinks]]\ntype = "jsonl"\nname = "file"\npath = "{work / "alerts.jsonl"}"\n'
        'cooldown = "0"\nmax_per_hour = 0\n'
    )
    if webhook:
        text += (
            f'[[sinks]]\ntype = "webhook"\nname = "hook"\nurl = "{webhook}"\n'
            'cooldown = "0"\nmax_per_hour = 0\n'
        )
    path = work / "kerio-watch.toml"
    path.write_text(text)
    return path


class Sampler(threading.Thread):
    """Peak lag (log size minus the follower's checkpoint) and when alerts hit the file."""

    def __init__(self, work: Path) -> None:
        super().__init__(daemon=True)
        self.work = work
        self.peak_lag = 0
        self.seen: dict[str, float] = {}
        self.done = threading.Event()

    def lag(self) -> int | None:
        try:
            with sqlite3.connect(f"file:{self.work / 'state.db'}?mode=ro", uri=True) as db:
                row = db.execute(
                    "SELECT offset FROM follow_files WHERE path = ?", (str(self.work / "mail.log"),)
                ).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            return None
        return (self.work / "mail.log").stat().st_size - int(row[0])

    def run(self) -> None:
        next_lag = 0.0
        alerts = self.work / "alerts.jsonl"
        while not self.done.is_set():
            now = time.monotonic()
            if alerts.exists():
                for text in alerts.read_text().splitlines():
                    user = json.loads(text)["user"]
                    self.seen.setdefault(user, now)
            if now >= next_lag:
                next_lag = now + 0.25
                lag = self.lag()
                if lag is not None:
                    self.peak_lag = max(self.peak_lag, lag)
            time.sleep(0.02)


def write_load(log: Path, args: argparse.Namespace) -> dict[str, float]:
    """Write ``args.rate`` lines/s for ``args.load`` seconds; returns alert user -> written."""
    written: dict[str, float] = {}
    start = time.monotonic()
    n = k = 0
    other = (log.parent / "security.log").open("a") if args.other_log else None
    with log.open("a", encoding="utf-8") as handle:
        while (elapsed := time.monotonic() - start) < args.load:
            when = stamp(0) + dt.timedelta(seconds=10 + elapsed)
            due = int(elapsed * args.rate)
            handle.write("".join(inbound_line(i, when) for i in range(n, due)))
            if other is not None and args.other_log == "busy":
                other.write("".join(security_line(when) for i in range(n, due) if i % 10 == 0))
                other.flush()
            n = due
            if elapsed >= (k + 1) * args.alert_every:
                k += 1
                user = f"hijack{k}@example.com"
                handle.write(recv_line(100_000 + k, when, user))
                handle.flush()
                written[user] = time.monotonic()
            handle.flush()
            time.sleep(0.01)
    if other is not None:
        other.close()
    return written


def load_mode(args: argparse.Namespace) -> int:
    """Latency of the file sink and the follower's lag under load."""
    work = Path(tempfile.mkdtemp(prefix="kw-load-"))
    server = None
    url = None
    if args.slow_webhook is not None:
        server, _received = slow_webhook(args.slow_webhook)
        url = f"http://127.0.0.1:{server.server_port}/hook"
    log = work / "mail.log"
    log.write_text(recv_line(0, stamp(0)).replace("boss@evil.test", "user0@example.com"))
    if args.other_log:  # load mode: busy or quiet
        (work / "security.log").write_text(security_line(stamp(0)))
    config = load_config(work, url)
    proc = subprocess.Popen(
        [*kerio_watch(), "follow", "--db", str(work / "state.db"), "--config", str(config),
         "--poll", str(args.poll), *follow_options(args), str(work)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    sampler = Sampler(work)
    try:
        time.sleep(2.0)
        sampler.start()
        written = write_load(log, args)
        deadline = time.monotonic() + 120
        while set(written) - set(sampler.seen) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        sampler.done.set()
        proc.terminate()
        proc.wait(timeout=30)
        if server is not None:
            server.shutdown()
        sampler.join(5)
        shutil.rmtree(work, ignore_errors=True)
    late = [sampler.seen[u] - t for u, t in written.items() if u in sampler.seen]
    hook = f"webhook answering after {args.slow_webhook:g} s" if url else "no webhook"
    print(
        f"{args.rate} lines/s for {args.load:g} s, {hook}, poll {args.poll} s, "
        f"other log: {args.other_log or 'none'}:"
    )
    if late:
        print(
            f"  jsonl alerts: {len(late)} of {len(written)} arrived; after their line was "
            f"written: median {statistics.median(late):.2f} s, max {max(late):.2f} s"
        )
    else:
        print(f"  jsonl alerts: 0 of {len(written)} arrived")
    print(f"  follower's peak lag: {sampler.peak_lag / 1e6:.2f} MB")
    other = set(sampler.seen) - set(written)
    if other:
        print(f"  (also {len(other)} alerts about other accounts: {', '.join(sorted(other))})")
    return 0 if len(late) == len(written) else 1


def main() -> int:
    """Run the measurement and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=20)
    parser.add_argument("--idle", type=float, default=30.0, help="idle seconds to measure")
    parser.add_argument("--poll", type=float, default=0.5)
    parser.add_argument("--load", type=float, help="seconds of writing under load (load mode)")
    parser.add_argument("--rate", type=int, default=2000, help="lines per second (load mode)")
    parser.add_argument(
        "--alert-every", type=float, default=2.0, help="seconds between alerts (load mode)"
    )
    parser.add_argument(
        "--slow-webhook",
        type=float,
        metavar="SECONDS",
        help="also deliver to a webhook that answers after SECONDS (load mode)",
    )
    parser.add_argument(
        "--other-log",
        choices=["busy", "quiet", "site", "sparse", "lagging"],
        help="other logs beside mail.log (see above)",
    )
    parser.add_argument("--lag", type=float, default=5.0, help="seconds --other-log lagging trails")
    parser.add_argument(
        "--sparse-every", type=float, default=60.0, help="seconds between sparse audit lines"
    )
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="seconds the other logs write before alerts"
    )
    parser.add_argument("--order-wait", type=float, help="follow's --order-wait")
    args = parser.parse_args()
    return load_mode(args) if args.load else latency_mode(args)


if __name__ == "__main__":
    raise SystemExit(main())
