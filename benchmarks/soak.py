#!/usr/bin/env python3
"""Soak test of ``kerio-watch follow``: rotation and ``kill -9`` under load, nothing lost.

The demo simulator writes a site's logs; their mail, security and audit lines are then
replayed in time order into a log directory at ``--rate`` lines per second for
``--minutes`` minutes, as Kerio would write them, while:

- the files are rotated at random: rename + create (the writer keeps writing a few
  lines to the renamed file before it reopens, as a server holding its handle does),
  copy + truncate, and gzip of old rotated files (the plain copy is then deleted), with
  the oldest archives deleted beyond a keep count;
- the follower (the real CLI, ``kerio-watch follow`` as a subprocess) is killed with
  SIGKILL at random moments and restarted after a random pause.

Every line is also appended to an unrotated reference copy. At the end the follower
catches up and stops (SIGTERM), ``kerio-watch scan`` reads the reference copy into a
fresh database, and the script checks:

- lines processed by the follower (``kerio-watch status`` totals) = lines written;
- events per kind = those of the scan;
- alerts in the follower's database = the scan's, as (user, rule, severity); whether
  their ids (incident numbers) and the incidents themselves match too is printed for
  information (detector state is saved with every checkpoint, so they should);
- alerts printed on stdout across all runs: none twice, none missing.

Usage::

    python benchmarks/soak.py [--minutes 3] [--rate 2000] [--seed 1] [--keep DIR]
    python benchmarks/soak.py --matrix [--minutes 10] [--rate 1000] [--seeds 1 2 3]

``--matrix`` runs every logrotate style in turn (``copytruncate``, ``create``,
``compress``, ``delaycompress``, dated names), kills the follower at random steps of the
rotations too, and adds sink deliveries to the checks, once per seed
(``benchmarks/soakmatrix.py``).

Exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import gzip
import heapq
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from kerio_watch.cli.scan import run_scan
from kerio_watch.formats.envelope import StampParser
from kerio_watch.simulate import SimConfig, simulate
from kerio_watch.store import open_store

LOGS = ("mail", "security", "audit")
KEEP_ROTATED = 12
"""Rotated files kept per log (older archives are deleted, as Kerio's rotateCount does)."""
CLI = [sys.executable, "-m", "kerio_watch"]


@dataclass
class Figures:
    """What happened during the soak."""

    written: int = 0
    per_log: Counter[str] = field(default_factory=Counter)
    rotations: Counter[str] = field(default_factory=Counter)
    kills: int = 0
    starts: int = 0
    seconds: float = 0.0
    max_lag: int = 0
    catch_up: float = 0.0
    set_aside: int = 0
    """Matrix: rotated files due for deletion the follower had not read (kept)."""
    behind: tuple[int, int] | None = None
    """Not caught up at the end: (lag in bytes, compressed files unread)."""


def replay_lines(sim_dir: Path) -> Iterator[tuple[str, str]]:
    """(log, line) of the simulated mail/security/audit logs in time order."""
    stamp = StampParser()

    def lines(log: str) -> Iterator[tuple[int, int, str, str]]:
        order = LOGS.index(log)
        with (sim_dir / f"{log}.log").open(encoding="utf-8") as handle:
            for text in handle:
                framed = stamp.split(text.rstrip("\n"))
                yield (framed.ts if framed is not None else 0), order, log, text

    for _ts, _order, log, text in heapq.merge(*(lines(log) for log in LOGS)):
        yield log, text


class Writer:
    """Writes like Kerio (one append handle per log) and rotates like logrotate."""

    def __init__(self, out: Path, ref: Path, rng: random.Random, figures: Figures) -> None:
        self.out = out
        self.ref = ref
        self.rng = rng
        self.figures = figures
        self.handles: dict[str, IO[str]] = {}
        self.refs: dict[str, IO[str]] = {}
        self.stragglers: dict[str, tuple[IO[str], int]] = {}
        self.serial = 0
        for log in LOGS:
            self.handles[log] = (out / f"{log}.log").open("a", encoding="utf-8")
            self.refs[log] = (ref / f"{log}.log").open("a", encoding="utf-8")

    def write(self, log: str, text: str) -> None:
        """One line to the live file (or to the renamed one, for a few lines)."""
        pending = self.stragglers.get(log)
        if pending is not None:
            handle, left = pending
            handle.write(text)
            if left <= 1:
                handle.close()
                del self.stragglers[log]
                self.handles[log] = (self.out / f"{log}.log").open("a", encoding="utf-8")
            else:
                self.stragglers[log] = (handle, left - 1)
        else:
            self.handles[log].write(text)
        self.refs[log].write(text)
        self.figures.written += 1
        self.figures.per_log[log] += 1

    def flush(self) -> None:
        """Make written lines visible (Kerio writes whole lines)."""
        for handle in self.handles.values():
            handle.flush()
        for handle, _ in self.stragglers.values():
            handle.flush()
        for handle in self.refs.values():
            handle.flush()

    def rotate(self) -> None:
        """One random rotation of one random log."""
        log = self.rng.choice(LOGS)
        kind = self.rng.choice(["rename", "copytruncate", "gzip"])
        live = self.out / f"{log}.log"
        self.serial += 1
        target = self.out / f"{log}.log.{self.serial}"
        if kind == "rename" and log not in self.stragglers:
            self.flush()
            live.rename(target)
            # The server keeps writing to its old handle for a moment.
            self.stragglers[log] = (self.handles.pop(log), self.rng.randint(1, 40))
        elif kind == "copytruncate" and log not in self.stragglers:
            self.flush()
            shutil.copyfile(live, target)
            with live.open("r+b") as handle:
                handle.truncate(0)
        else:
            kind = "gzip"
            plain = [
                p
                for p in self.out.glob(f"{log}.log.*")
                if p.suffix != ".gz" and p.name.rsplit(".", 1)[1].isdigit()
            ]
            busy = {h.name for h, _ in self.stragglers.values()}
            plain = [p for p in plain if str(p) not in busy]
            if not plain:
                return
            victim = self.rng.choice(plain)
            with victim.open("rb") as src, gzip.open(f"{victim}.gz", "wb") as dst:
                shutil.copyfileobj(src, dst)
            victim.unlink()
        self.figures.rotations[kind] += 1
        self._prune(log)

    def _prune(self, log: str) -> None:
        archives = sorted(self.out.glob(f"{log}.log.*.gz"), key=lambda p: int(p.name.split(".")[2]))
        now = time.time()
        for old in archives[:-KEEP_ROTATED]:
            if now - old.stat().st_mtime > 60:  # long read by then
                old.unlink()

    def close(self) -> None:
        """Flush and close everything."""
        for log in list(self.stragglers):
            handle, _ = self.stragglers.pop(log)
            handle.close()
            self.handles[log] = (self.out / f"{log}.log").open("a", encoding="utf-8")
        for handle in [*self.handles.values(), *self.refs.values()]:
            handle.close()


class Follower:
    """The real ``kerio-watch follow`` as a subprocess, killed and restarted."""

    def __init__(self, work: Path, config: Path, figures: Figures) -> None:
        self.work = work
        self.config = config
        self.figures = figures
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start a follower run (stdout and stderr to numbered files)."""
        n = self.figures.starts
        self.figures.starts += 1
        with (
            (self.work / f"alerts-{n:03d}.jsonl").open("wb") as out,
            (self.work / f"follow-{n:03d}.log").open("wb") as err,
        ):
            self.proc = subprocess.Popen(
                [
                    *CLI,
                    "follow",
                    "--db",
                    str(self.work / "state.db"),
                    "--config",
                    str(self.config),
                    "--format",
                    "jsonl",
                    "--poll",
                    "0.2",
                    str(self.work / "logs"),
                ],
                stdout=out,
                stderr=err,
            )

    def kill(self) -> None:
        """SIGKILL, no warning."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.figures.kills += 1
            self.proc = None

    def stop(self) -> int:
        """SIGTERM and wait for the clean exit."""
        if self.proc is None:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=60)
        self.proc = None
        return code


def status(work: Path) -> dict[str, Any]:
    """``kerio-watch status --format json`` of the follower's database."""
    result = subprocess.run(
        [*CLI, "status", "--db", str(work / "state.db"), "--format", "json"],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        return {}
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def printed_alerts(work: Path) -> list[str]:
    """Alert ids printed on stdout over every run."""
    ids = []
    for path in sorted(work.glob("alerts-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("{"):
                ids.append(json.loads(line)["id"])
    return ids


def alert_keys(db: Path) -> tuple[set[str], Counter[tuple[str, str, str]]]:
    """Alert ids and (user, rule, severity) counts stored in a database."""
    store = open_store(db, readonly=True)
    try:
        alerts = store.alerts(limit=1_000_000)
    finally:
        store.close()
    return {a.id for a in alerts}, Counter((a.user or "", a.rule, a.severity.label) for a in alerts)


def incident_keys(db: Path) -> set[tuple[str, int]]:
    """(key, opened) of every incident in a database."""
    store = open_store(db, readonly=True)
    try:
        return {(i.key, i.opened) for i in store.incidents(limit=1_000_000)}
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--rate", type=int, default=2000, help="lines per second")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--users", type=int, default=110)
    parser.add_argument("--days", type=int, default=29)
    parser.add_argument("--kill-every", type=float, nargs=2, default=(5.0, 20.0))
    parser.add_argument("--rotate-every", type=float, nargs=2, default=(1.0, 6.0))
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    parser.add_argument(
        "--matrix",
        action="store_true",
        help="every logrotate style in turn, kills at rotation steps, one run per --seeds",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument(
        "--catch-up",
        type=float,
        default=900.0,
        help="matrix: seconds the follower may take to catch up at the end (a loaded machine)",
    )
    args = parser.parse_args()
    if args.matrix:
        from soakmatrix import matrix_main  # noqa: PLC0415 (the matrix mode's own module)

        return matrix_main(args)

    work = args.keep or Path(tempfile.mkdtemp(prefix="kerio-watch-soak-"))
    if args.keep:
        shutil.rmtree(work, ignore_errors=True)
    for sub in ("sim", "logs", "ref"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    figures = Figures()

    t0 = time.monotonic()
    sim = simulate(SimConfig(seed=args.seed, users=args.users, days=args.days), work / "sim")
    config = work / "sim" / "kerio-watch.toml"
    total = sum(sim.lines[log] for log in LOGS)
    wanted = int(args.rate * args.minutes * 60)
    print(
        f"simulated {args.users} users x {args.days} days in {time.monotonic() - t0:.1f} s: "
        f"{total:,} mail/security/audit lines; replaying {min(total, wanted):,} "
        f"at {args.rate:,}/s"
    )
    if total < wanted:
        print("  (the simulation is shorter than asked: raise --days or --users)")

    writer = Writer(work / "logs", work / "ref", rng, figures)
    follower = Follower(work, config, figures)
    follower.start()
    lines = replay_lines(work / "sim")
    start = time.monotonic()
    next_kill = start + rng.uniform(*args.kill_every)
    next_rotate = start + rng.uniform(*args.rotate_every)
    restart_at: float | None = None
    next_status = start + 5
    done = False
    while not done:
        now = time.monotonic()
        due = min(wanted, int((now - start) * args.rate))
        while figures.written < due:
            item = next(lines, None)
            if item is None:
                done = True
                break
            writer.write(*item)
        writer.flush()
        if figures.written >= wanted:
            done = True
        if now >= next_rotate:
            writer.rotate()
            next_rotate = now + rng.uniform(*args.rotate_every)
        if restart_at is None and now >= next_kill:
            follower.kill()
            restart_at = now + rng.uniform(0.0, 3.0)
        if restart_at is not None and now >= restart_at:
            follower.start()
            restart_at = None
            next_kill = now + rng.uniform(*args.kill_every)
        if now >= next_status and follower.proc is not None:
            lag = status(work).get("lag_bytes") or 0
            figures.max_lag = max(figures.max_lag, lag)
            next_status = now + 5
        time.sleep(0.01)
    writer.close()
    figures.seconds = time.monotonic() - start
    if follower.proc is None:
        follower.start()

    caught = time.monotonic()
    report: dict[str, Any] = {}
    while time.monotonic() - caught < 120:
        report = status(work)
        if report.get("totals", {}).get("lines", 0) >= figures.written and not report.get(
            "lag_bytes"
        ):
            break
        time.sleep(0.5)
    figures.catch_up = time.monotonic() - caught
    code = follower.stop()
    report = status(work)

    scan_db = work / "scan.db"
    _pipeline, _files, stats = run_scan(
        (str(work / "ref"),), config, scan_db, None, show_progress=False
    )
    totals = report.get("totals", {})
    follow_events = Counter(totals.get("events", {}))
    scan_events = Counter(stats.events)
    f_ids, f_keys = alert_keys(work / "state.db")
    s_ids, s_keys = alert_keys(scan_db)
    printed = printed_alerts(work)
    twice = sorted(k for k, n in Counter(printed).items() if n > 1)
    missing = sorted(f_ids - set(printed))

    print(
        f"wrote {figures.written:,} lines in {figures.seconds:.0f} s "
        f"({figures.written / figures.seconds:,.0f}/s): "
        + ", ".join(f"{n:,} {log}" for log, n in figures.per_log.items())
    )
    print(
        "rotations: "
        + ", ".join(f"{n} {kind}" for kind, n in sorted(figures.rotations.items()))
        + f"; follower killed (SIGKILL) {figures.kills} times, started {figures.starts} times"
    )
    print(
        f"max lag seen: {figures.max_lag:,} bytes; caught up {figures.catch_up:.1f} s after "
        f"the writer stopped; clean stop exit status {code}"
    )
    checks = {
        "lines processed = lines written": (totals.get("lines"), figures.written),
        "events per kind = scan's": (sum(follow_events.values()), sum(scan_events.values())),
        "alerts (user, rule, severity) = scan's": (sum(f_keys.values()), sum(s_keys.values())),
        "alerts printed twice": (len(twice), 0),
        "alerts stored but never printed": (len(missing), 0),
    }
    ok = {
        "lines processed = lines written": totals.get("lines") == figures.written,
        "events per kind = scan's": follow_events == scan_events,
        "alerts (user, rule, severity) = scan's": f_keys == s_keys,
        "alerts printed twice": not twice,
        "alerts stored but never printed": not missing,
    }
    for name, (got, want) in checks.items():
        print(f"  {'ok  ' if ok[name] else 'FAIL'} {name}: {got:,} vs {want:,}")
    f_inc, s_inc = incident_keys(work / "state.db"), incident_keys(scan_db)
    print(
        f"  info alert ids identical to the scan's: {'yes' if f_ids == s_ids else 'no'}; "
        f"incidents {len(f_inc)} vs {len(s_inc)}, {len(f_inc ^ s_inc)} differ"
        + (
            " (ids are incident numbers: one incident opened or not below alert level shifts them)"
            if f_ids != s_ids
            else ""
        )
    )
    if follow_events != scan_events:
        diff = {k: follow_events[k] - scan_events[k] for k in follow_events | scan_events}
        print(f"       event differences (follow - scan): { {k: v for k, v in diff.items() if v} }")
    if f_keys != s_keys:
        print(f"       only in follow: {dict(f_keys - s_keys)}")
        print(f"       only in scan:   {dict(s_keys - f_keys)}")
    if twice:
        print(f"       printed twice: {twice[:10]}")
    if missing:
        print(f"       never printed: {missing[:10]}")
    print(f"work directory: {work}" + ("" if args.keep else " (deleted)"))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(ok.values()) and code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
