"""The matrix mode of ``benchmarks/soak.py``: every logrotate style, kills at rotations.

For each seed, the demo simulator's mail, security and audit lines are replayed in time
order into a log directory at ``--rate`` lines per second, through
:class:`~kerio_watch.simulate.logrotate.LogWriter` (a handle kept open, as the server
does, and an unrotated reference copy). The run is split into one phase per logrotate
style (``copytruncate``, ``create``, ``compress``, ``delaycompress``, ``dateext``), each
with an equal share of the lines; in a phase, each rotation of a random log is done in
that style, step by step, with lines still written between the steps (except between
copy and truncate). The real
``kerio-watch follow`` (with a ``jsonl`` sink) is killed with SIGKILL at random moments,
and at a random step of some rotations (the rest of that rotation then happens while it
is down); it is started again after a random pause. logrotate keeps 12 rotated files
here, a few minutes' worth at this pace: a file due for deletion that the follower's
last checkpoint has not read to its end is set aside (renamed, read later) instead of
deleted, as a server keeping days of files would still hold it, so that a follower
lagging on a loaded machine is not counted as losing lines. The set-aside files and the
most lines the follower was behind at a kill are printed.

At the end the follower catches up and delivers (waiting up to ``--catch-up`` seconds;
if it has not, the verdict says so, with its lag), and stops; a scan reads the reference
copy into a fresh database. Printed per seed and in total: lines lost and lines read
twice (follower's count against lines written), follow-versus-scan differences (events
per kind; alerts as account, rule, severity and log time), and deliveries: alerts the
sink got twice (and how many of those were in flight, claimed but not confirmed, when
the process was killed: delivery is at least once, docs/alerts.md), alerts stored but
never delivered (neither they nor a later state of their incident: escalations queued
together are merged into the newest), alerts printed twice. Exit status 1 when any is not 0.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soak import LOGS, Figures, Follower, printed_alerts, replay_lines, status

from kerio_watch.cli.scan import run_scan
from kerio_watch.errors import KerioWatchError
from kerio_watch.simulate import SimConfig, simulate
from kerio_watch.simulate.logrotate import STYLES, LogWriter, Rotator
from kerio_watch.store import open_store

SINK = """
[[sinks]]
type = "jsonl"
name = "soak"
path = "{path}"
min_severity = "info"
cooldown = "0"
max_per_hour = 0
"""


@dataclass
class Outcome:
    """What one seed's run found."""

    seed: int
    figures: Figures
    kills_in_rotation: int = 0
    processed: int = 0
    implausible: int = 0
    event_diff: dict[str, int] = field(default_factory=dict)
    only_follow: Counter[tuple[str, str, str, int]] = field(default_factory=Counter)
    only_scan: Counter[tuple[str, str, str, int]] = field(default_factory=Counter)
    alerts: int = 0
    delivered_twice: int = 0
    twice_in_flight: int = 0
    never_delivered: int = 0
    printed_twice: int = 0

    @property
    def lost(self) -> int:
        """Lines written but not counted by the follower."""
        return max(0, self.figures.written - self.processed)

    @property
    def read_twice(self) -> int:
        """Lines counted more often than written."""
        return max(0, self.processed - self.figures.written)

    @property
    def differences(self) -> int:
        """Follow-versus-scan differences: event counts and alerts."""
        return sum(abs(v) for v in self.event_diff.values()) + sum(
            (self.only_follow + self.only_scan).values()
        )

    @property
    def ok(self) -> bool:
        """Nothing lost, nothing twice, no difference."""
        return not (
            self.lost
            or self.read_twice
            or self.differences
            or self.delivered_twice
            or self.never_delivered
            or self.printed_twice
        )


class Matrix:
    """One seed's run: writers, rotators, the follower, kills."""

    def __init__(self, work: Path, config: Path, rng: random.Random, args: Any) -> None:
        self.work = work
        self.rng = rng
        self.args = args
        self.figures = Figures()
        self.writers = {
            log: LogWriter(work / "logs", f"{log}.log", work / "ref" / f"{log}.log") for log in LOGS
        }
        self.rotators = {
            log: Rotator(w, STYLES[0], keep=12, unread=self.unread)
            for log, w in self.writers.items()
        }
        self.follower = Follower(work, config, self.figures)
        self.in_flight: set[str] = set()
        self.kills_in_rotation = 0
        self.restart_at: float | None = None

    def unread(self, path: Path) -> bool:
        """Whether the follower's last checkpoint has not read ``path`` to its end (the
        rotator then sets it aside instead of deleting it: a slow follower is not a loss)."""
        st = path.stat()
        try:
            with sqlite3.connect(f"file:{self.work / 'state.db'}?mode=ro", uri=True) as db:
                rows = db.execute(
                    "SELECT offset, size, compressed FROM follow_files WHERE dev = ? AND ino = ?",
                    (st.st_dev, st.st_ino),
                ).fetchall()
        except sqlite3.Error:
            return True
        return not any(
            size < 0 or (offset >= size > 0 if compressed else offset >= st.st_size)
            for offset, size, compressed in rows
        )

    def write_due(self, lines: Any, due: int) -> bool:
        """Write lines up to ``due`` in all; False when the replay has ended."""
        batch: dict[str, list[str]] = {}
        while self.figures.written + sum(map(len, batch.values())) < due:
            item = next(lines, None)
            if item is None:
                self._flush(batch)
                return False
            log, text = item
            batch.setdefault(log, []).append(text.rstrip("\n"))
        self._flush(batch)
        return True

    def _flush(self, batch: dict[str, list[str]]) -> None:
        for log, texts in batch.items():
            self.writers[log].write(texts)
            self.figures.written += len(texts)
            self.figures.per_log[log] += len(texts)

    def kill(self) -> None:
        """SIGKILL the follower; note the deliveries it had claimed but not confirmed."""
        if self.follower.proc is None:
            return
        self.follower.kill()
        self.in_flight |= _claimed(self.work / "state.db")
        behind = self.figures.written - _committed_lines(self.work / "state.db")
        self.figures.max_lag = max(self.figures.max_lag, behind)

    def rotate(self, style: str, lines: Any, start: float) -> None:
        """Rotate a random log in ``style``, writing between steps; maybe kill at a step."""
        log = self.rng.choice(LOGS)
        rotator = self.rotators[log]
        rotator.style = style
        steps = rotator.steps()
        kill_at = self.rng.randrange(len(steps)) if self.rng.random() < 0.4 else -1
        for n, (name, step) in enumerate(steps):
            if n == kill_at and self.follower.proc is not None:
                self.kill()
                self.kills_in_rotation += 1
                self.restart_at = time.monotonic() + self.rng.uniform(0.0, 2.0)
            step()
            if name != "copy":  # copy and truncate come together
                due = int((time.monotonic() - start) * self.args.rate)
                self.write_due(lines, min(due, self.figures.written + 200))
                time.sleep(self.rng.uniform(0.0, 0.05))
        self.figures.rotations[style] += 1

    def close(self) -> None:
        """Close the writers."""
        for writer in self.writers.values():
            writer.close()


def run_seed(seed: int, args: Any, base: Path) -> Outcome:
    """One seed: simulate, replay with rotations and kills, then compare."""
    work = base / f"seed-{seed}"
    shutil.rmtree(work, ignore_errors=True)
    for sub in ("sim", "logs", "ref"):
        (work / sub).mkdir(parents=True)
    rng = random.Random(seed)
    sim = simulate(SimConfig(seed=seed, users=args.users, days=args.days), work / "sim")
    config = work / "kerio-watch.toml"
    config.write_text(
        (work / "sim" / "kerio-watch.toml").read_text(encoding="utf-8")
        + SINK.format(path=work / "sink.jsonl"),
        encoding="utf-8",
    )
    total = sum(sim.lines[log] for log in LOGS)
    wanted = min(total, int(args.rate * args.minutes * 60))  # the phases share this out
    print(f"seed {seed}: {wanted:,} lines to replay at {args.rate:,}/s", flush=True)
    matrix = Matrix(work, config, rng, args)
    _drive(matrix, replay_lines(work / "sim"), wanted)
    outcome = _finish(matrix, config, seed)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return outcome


def _drive(matrix: Matrix, lines: Any, wanted: int) -> None:
    args, rng, follower = matrix.args, matrix.rng, matrix.follower
    follower.start()
    start = time.monotonic()
    next_kill = start + rng.uniform(*args.kill_every)
    next_rotate = start + rng.uniform(*args.rotate_every)
    more = True
    while more:
        now = time.monotonic()
        # Each style gets its share of the lines (the replay may end before --minutes).
        style = STYLES[min(matrix.figures.written * len(STYLES) // wanted, len(STYLES) - 1)]
        more = matrix.write_due(lines, min(wanted, int((now - start) * args.rate)))
        more = more and matrix.figures.written < wanted
        if now >= next_rotate:
            matrix.rotate(style, lines, start)
            next_rotate = time.monotonic() + rng.uniform(*args.rotate_every)
        if matrix.restart_at is None and now >= next_kill and follower.proc is not None:
            matrix.kill()
            matrix.restart_at = now + rng.uniform(0.0, 3.0)
        if matrix.restart_at is not None and time.monotonic() >= matrix.restart_at:
            follower.start()
            matrix.restart_at = None
            next_kill = time.monotonic() + rng.uniform(*args.kill_every)
        time.sleep(0.01)
    matrix.figures.seconds = time.monotonic() - start
    matrix.figures.set_aside = sum(r.set_aside for r in matrix.rotators.values())
    matrix.close()
    if follower.proc is None:
        follower.start()


def _finish(matrix: Matrix, config: Path, seed: int) -> Outcome:
    work, follower, figures = matrix.work, matrix.follower, matrix.figures
    caught = time.monotonic()
    report: dict[str, Any] = {}
    done = False
    while not done and time.monotonic() - caught < matrix.args.catch_up:
        time.sleep(1.0)
        report = status(work)
        read = report.get("totals", {}).get("lines", 0) >= figures.written
        done = read and not report.get("lag_bytes") and _all_delivered(work)
    figures.catch_up = time.monotonic() - caught
    if not done:  # slow, or stuck: say which
        figures.behind = (report.get("lag_bytes") or 0, _gz_unread(report))
    follower.stop()
    report = status(work)
    totals = report.get("totals", {})
    scan_db = work / "scan.db"
    _p, _f, stats = run_scan((str(work / "ref"),), config, scan_db, None, False)
    outcome = Outcome(seed, figures, matrix.kills_in_rotation, int(totals.get("lines", 0)))
    outcome.implausible = int(totals.get("implausible", 0))
    follow_events = Counter(totals.get("events", {}))
    outcome.event_diff = {
        k: follow_events[k] - stats.events[k]
        for k in follow_events | stats.events
        if follow_events[k] != stats.events[k]
    }
    stored, scanned = _alerts(work / "state.db"), _alerts(scan_db)
    outcome.only_follow, outcome.only_scan = stored - scanned, scanned - stored
    outcome.alerts = sum(stored.values())
    sink = _sink(work / "sink.jsonl")
    twice = {aid for aid, n in sink.items() if n > 1}
    outcome.delivered_twice = len(twice)
    outcome.twice_in_flight = len(twice & matrix.in_flight)
    outcome.never_delivered = len(_undelivered(_alert_ids(work / "state.db"), set(sink)))
    outcome.printed_twice = sum(1 for n in Counter(printed_alerts(work)).values() if n > 1)
    return outcome


def _gz_unread(report: dict[str, Any]) -> int:
    """Compressed files ``status`` shows as not read to their end."""
    files = report.get("files", [])
    return sum(1 for f in files if f.get("state") == "archive being read")


def _committed_lines(db: Path) -> int:
    """Lines the follower's last checkpoint counts."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'follow.stats'").fetchone()
    except sqlite3.Error:
        return 0
    return int(json.loads(row[0]).get("lines", 0)) if row else 0


def _claimed(db: Path) -> set[str]:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
            rows = conn.execute("SELECT alert_id FROM deliveries WHERE status = 'sending'")
            return {str(r[0]) for r in rows if r[0]}
    except sqlite3.Error:
        return set()


def _all_delivered(work: Path) -> bool:
    return not _undelivered(_alert_ids(work / "state.db"), set(_sink(work / "sink.jsonl")))


def _undelivered(stored: set[str], sink: set[str]) -> set[str]:
    """Alerts the sink got neither themselves nor a later state of their incident (the
    router merges escalations queued together into the newest one)."""
    newest: dict[str, tuple[int, int]] = {}
    for aid in sink:
        incident, state = _alert_state(aid)
        newest[incident] = max(newest.get(incident, (-1, -1)), state)
    return {
        aid for aid in stored if newest.get(_alert_state(aid)[0], (-1, -1)) < _alert_state(aid)[1]
    }


def _alert_state(aid: str) -> tuple[str, tuple[int, int]]:
    """``incident-severity`` or, reactivated, ``incident-severity-logtime``: the incident
    and how new a state of it the alert is."""
    incident, _, rest = aid.partition("-")
    severity, _, ts = rest.partition("-")
    return incident, (int(severity or 0), int(ts or 0))


def _alerts(db: Path) -> Counter[tuple[str, str, str, int]]:
    store = open_store(db, readonly=True)
    try:
        found = store.alerts(limit=1_000_000)
    finally:
        store.close()
    return Counter((a.user or "", a.rule, a.severity.label, a.ts) for a in found)


def _alert_ids(db: Path) -> set[str]:
    try:
        store = open_store(db, readonly=True)
    except KerioWatchError:  # not there yet
        return set()
    try:
        return {a.id for a in store.alerts(limit=1_000_000)}
    finally:
        store.close()


def _sink(path: Path) -> Counter[str]:
    if not path.exists():
        return Counter()
    ids = [json.loads(x)["id"] for x in path.read_text(encoding="utf-8").splitlines() if x]
    return Counter(ids)


def matrix_main(args: Any) -> int:
    """``soak.py --matrix``: every seed in turn, then the figures."""
    base = args.keep or Path(tempfile.mkdtemp(prefix="kerio-watch-soak-matrix-"))
    started = time.monotonic()
    outcomes = [run_seed(seed, args, base) for seed in args.seeds]
    clean = report(outcomes)
    print(f"took {(time.monotonic() - started) / 60:.1f} min; work directory: {base}"
          + ("" if args.keep else " (deleted)"))  # fmt: skip
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return 0 if clean else 1


def report(outcomes: list[Outcome]) -> bool:
    """Print each seed's figures and the total; whether all are clean."""
    for o in outcomes:
        f = o.figures
        print(
            f"seed {o.seed}: {f.seconds / 60:.1f} min, wrote {f.written:,} lines ("
            + ", ".join(f"{n:,} {log}" for log, n in sorted(f.per_log.items()))
            + "); rotations: "
            + ", ".join(f"{n} {kind}" for kind, n in sorted(f.rotations.items()))
            + f"; SIGKILL x{f.kills} ({o.kills_in_rotation} during a rotation), "
            f"{f.starts} starts; most lines behind at a kill {f.max_lag:,}, "
            f"{f.set_aside} rotated files set aside unread, not deleted; "
            + (
                f"caught up in {f.catch_up:.0f} s"
                if f.behind is None
                else f"NOT caught up after {f.catch_up:.0f} s (lag {f.behind[0]:,} bytes, "
                f"{f.behind[1]} compressed files unread)"
            )
        )
        print(
            f"  lines lost {o.lost}, lines read twice {o.read_twice}, set aside as "
            f"implausible {o.implausible}; follow vs scan: "
            f"{o.differences} differences (events {o.event_diff or 'equal'}, alerts only in "
            f"follow {sum(o.only_follow.values())}, only in scan {sum(o.only_scan.values())})"
        )
        print(
            f"  {o.alerts} alerts: delivered twice {o.delivered_twice} (in flight at a kill: "
            f"{o.twice_in_flight}), never delivered {o.never_delivered}, printed twice "
            f"{o.printed_twice}"
        )
    total = Figures()
    for o in outcomes:
        total.written += o.figures.written
        total.kills += o.figures.kills
        total.rotations.update(o.figures.rotations)
        total.seconds += o.figures.seconds
    print(
        f"matrix: {len(outcomes)} seeds, {total.seconds / 60:.1f} min, {total.written:,} "
        f"lines, {sum(total.rotations.values())} rotations ("
        + ", ".join(f"{n} {k}" for k, n in sorted(total.rotations.items()))
        + f"), {total.kills} kills: lines lost {sum(o.lost for o in outcomes)}, read twice "
        f"{sum(o.read_twice for o in outcomes)}, duplicate deliveries "
        f"{sum(o.delivered_twice for o in outcomes)}, printed twice "
        f"{sum(o.printed_twice for o in outcomes)}, never delivered "
        f"{sum(o.never_delivered for o in outcomes)}, follow-vs-scan differences "
        f"{sum(o.differences for o in outcomes)}"
    )
    return all(o.ok for o in outcomes)
