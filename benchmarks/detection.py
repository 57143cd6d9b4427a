#!/usr/bin/env python3
"""How well ``kerio-watch scan`` catches the simulator's planted hijacks, and how quietly.

For each seed, the demo simulator writes a site's logs (40 users, 28 days by default)
with five planted hijacks and five benign look-alikes into a temporary directory; the
real CLI then scans them as a subprocess::

    kerio-watch scan --since <start of week 2> --format jsonl --db <fresh> --config <sim> <dir>

and the alerts are compared with the ground truth. Per hijack kind: caught (at high or
critical), the best severity, and the minutes from its first bad message to the first
high alert for the account (for ``low_and_slow`` also whether that alert came by its
third message, whose time is read back from mail.log). False alarms: benign look-alike
accounts reaching high (target 0), and alerts of medium or above outside the hijacks
per 100 accounts per day of reported traffic (target <= 3).

Machines (the firewall log the simulator writes, one format per seed): every infected PC
at high or above within 5 minutes of its first SMTP connection, naming exactly the
accounts that use it; no benign machine (the mail server, an application server using a
smarthost, an administrator testing with swaks, a monitoring probe) at medium or above.

Usage::

    python benchmarks/detection.py [--seeds 1 2 3 4 5] [--users 40] [--days 28] [--keep DIR]

Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from kerio_watch.simulate import (
    BENIGN_KINDS,
    HIJACK_KINDS,
    HOST_KINDS,
    TRUTH_FILE,
    Scenario,
    SimConfig,
    simulate,
)
from kerio_watch.store import open_store

SEVERITIES = ("info", "low", "medium", "high", "critical")
RANK = {name: i for i, name in enumerate(SEVERITIES)}
BURSTS = ("night_burst", "webmail_takeover", "guess_then_spam", "spoofed_from")
BURST_MINUTES = 5.0
MAX_FALSE_RATE = 3.0
EARLY = timedelta(hours=1)
"""Alerts this long before a hijack's first message belong to it (the login comes first)."""
LATE = timedelta(hours=24)


def kerio_watch() -> list[str]:
    """The command that runs this checkout's kerio-watch."""
    exe = Path(sys.executable).with_name("kerio-watch")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "kerio_watch"]


@dataclass
class Alert:
    """The parts of a JSON alert the benchmark needs."""

    when: datetime
    user: str | None
    severity: str
    summary: str


@dataclass
class Outcome:
    """What happened to one planted scenario in one seed."""

    seed: int
    kind: str
    account: str
    best: str = "-"
    minutes: float | None = None
    third_ok: bool | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def caught(self) -> bool:
        """Reached high or critical."""
        return RANK.get(self.best, -1) >= RANK["high"]


@dataclass
class SeedResult:
    """One seed's outcomes and false alarms."""

    seed: int
    outcomes: list[Outcome]
    false_alarms: list[Alert]
    account_days: float
    lines: int
    scan_seconds: float


def third_message(directory: Path, scenario: Scenario, zone: ZoneInfo) -> datetime | None:
    """UTC time of the scenario's third message (Recv lines by the account from its IP)."""
    if not scenario.source_ip:
        return None
    pattern = re.compile(
        r"^\[(\d\d/\w{3}/\d{4} \d\d:\d\d:\d\d)\] Recv: Queue-ID: ([0-9a-f-]+), .*Sender-Host: "
        + re.escape(scenario.source_ip)
        + r", User: "
        + re.escape(scenario.account)
        + ","
    )
    seen: list[datetime] = []
    queue_ids: set[str] = set()
    with (directory / "mail.log").open(encoding="utf-8", errors="replace") as f:
        for line in f:
            m = pattern.match(line)
            if m and m.group(2) not in queue_ids:
                queue_ids.add(m.group(2))
                local = datetime.strptime(m.group(1), "%d/%b/%Y %H:%M:%S").replace(tzinfo=zone)
                seen.append(local.astimezone(UTC))
    seen.sort()
    return seen[2] if len(seen) >= 3 else None


def scan(directory: Path, config: Path, since: datetime, db: Path) -> tuple[list[Alert], float]:
    """Run the real CLI; its alerts and wall time."""
    cmd = [
        *kerio_watch(),
        "scan",
        "--since",
        since.isoformat(),
        "--format",
        "jsonl",
        "--no-progress",
        "--db",
        str(db),
        "--config",
        str(config),
        str(directory),
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"scan failed ({proc.returncode}):\n{proc.stderr}")
    alerts = []
    for line in proc.stdout.splitlines():
        if not line.startswith("{"):
            continue
        data = json.loads(line)
        alerts.append(
            Alert(
                datetime.fromisoformat(data["time"]).astimezone(UTC),
                data.get("user"),
                data["severity"],
                data.get("summary", ""),
            )
        )
    return alerts, took


def judge(seed: int, users: int, days: int, workdir: Path) -> SeedResult:
    """Simulate one site, scan it, compare with the truth."""
    directory = workdir / f"seed{seed}"
    result = simulate(SimConfig(seed=seed, users=users, days=days), directory)
    config = directory / "kerio-watch.toml"
    zone = ZoneInfo(SimConfig().timezone)
    start_day = datetime.combine(SimConfig().start, datetime.min.time(), zone)
    window_start = min(s.start for s in result.scenarios if s.malicious)
    since = min(start_day + timedelta(days=7), window_start.astimezone(zone))
    db = workdir / f"seed{seed}.db"
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)
    alerts, took = scan(directory, config, since, db)
    since_utc = since.astimezone(UTC)
    end = start_day + timedelta(days=days)
    by_user: dict[str | None, list[Alert]] = defaultdict(list)
    for a in alerts:
        by_user[a.user].append(a)

    outcomes = []
    hijack_windows: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for sc in result.scenarios:
        out = Outcome(seed, sc.kind, sc.account)
        lo, hi = sc.start - EARLY, sc.end + LATE
        if sc.malicious:
            hijack_windows[sc.account].append((lo, hi))
        mine = [a for a in by_user.get(sc.account, []) if lo <= a.when <= hi]
        if not sc.malicious:
            mine = [a for a in by_user.get(sc.account, []) if a.when >= since_utc]
        if mine:
            out.best = max(mine, key=lambda a: RANK[a.severity]).severity
        highs = [a for a in mine if RANK[a.severity] >= RANK["high"]]
        if sc.malicious and highs:
            first = min(a.when for a in highs)
            out.minutes = (first - sc.start).total_seconds() / 60
            if sc.kind == "low_and_slow":
                third = third_message(directory, sc, zone)
                out.third_ok = third is not None and first <= third
                if third is None:
                    out.notes.append("fewer than three messages")
        elif not sc.malicious and highs:
            out.notes.extend(a.summary[:300] for a in highs[:2])
        outcomes.append(out)

    def in_hijack(a: Alert) -> bool:
        return any(lo <= a.when <= hi for lo, hi in hijack_windows.get(a.user or "", ()))

    false_alarms = [
        a
        for a in alerts
        if a.user is not None
        and a.when >= since_utc
        and RANK[a.severity] >= RANK["medium"]
        and not in_hijack(a)
    ]
    reported_days = (end.astimezone(UTC) - since_utc).total_seconds() / 86400
    lines = sum(result.lines.values())
    return SeedResult(
        seed, outcomes, false_alarms, len(result.accounts) * reported_days, lines, took
    )


def fmt_minutes(m: float | None) -> str:
    """Minutes to the first high alert, for the table."""
    return "-" if m is None else f"{m:6.1f}"


def verdict(out: Outcome) -> tuple[str, bool]:
    """(text, meets the target) for one outcome."""
    if out.kind in BENIGN_KINDS:
        ok = not out.caught
        return ("quiet" if ok else "FALSE HIGH"), ok
    if not out.caught:
        return "MISSED", False
    if out.kind in BURSTS:
        ok = out.minutes is not None and out.minutes <= BURST_MINUTES
        return ("caught" if ok else "LATE"), ok
    if out.kind == "low_and_slow":
        ok = bool(out.third_ok)
        return ("caught by 3rd msg" if ok else "LATE (after 3rd)"), ok
    return "caught", True


@dataclass
class HostOutcome:
    """What happened to one planted machine (firewall log) in one seed."""

    seed: int
    kind: str
    host: str
    malicious: bool
    fmt: str
    best: str = "-"
    minutes: float | None = None
    users: tuple[str, ...] = ()
    named: tuple[str, ...] = ()

    def verdict(self) -> tuple[str, bool]:
        """(text, meets the target)."""
        if not self.malicious:
            ok = RANK.get(self.best, -1) < RANK["medium"]
            return ("quiet" if ok else "FALSE MEDIUM+"), ok
        if RANK.get(self.best, -1) < RANK["high"]:
            return "MISSED", False
        if self.minutes is None or self.minutes > BURST_MINUTES:
            return "LATE", False
        if self.named != self.users:
            return "WRONG USERS", False
        return "caught", True


def judge_hosts(seed: int, workdir: Path) -> list[HostOutcome]:
    """The planted machines of a seed ``judge`` has scanned, against its state database."""
    truth = json.loads((workdir / f"seed{seed}" / TRUTH_FILE).read_text(encoding="utf-8"))
    store = open_store(workdir / f"seed{seed}.db", readonly=True)
    try:
        incidents = [i for i in store.incidents(limit=100_000) if i.key.startswith("host:")]
        alerts = store.alerts(limit=100_000)
    finally:
        store.close()
    fmt = SimConfig(seed=seed).firewall_format or "-"
    out = []
    for h in truth.get("hosts", []):
        mine = [i for i in incidents if i.key == f"host:{h['host']}"]
        ids = {i.id for i in mine}
        o = HostOutcome(seed, h["kind"], h["host"], h["malicious"], fmt, users=tuple(h["users"]))
        if mine:
            o.best = max(i.severity for i in mine).label
            o.named = tuple(sorted({a for i in mine for a in i.facts.get("accounts", [])}))
        start = datetime.fromisoformat(h["start"])
        highs = [a.ts for a in alerts if a.incident_id in ids and a.severity >= RANK["high"]]
        if highs:
            o.minutes = (min(highs) - start.timestamp()) / 60
        out.append(o)
    return out


def report_hosts(outcomes: list[HostOutcome]) -> bool:
    """Print the machines' table and summary; whether every target was met."""
    print(f"\nMachines (firewall log): {'seed':>4}  {'format':<9} {'machine':<15} {'kind':<17} "
          f"{'best':<9} {'min':>6}  verdict")  # fmt: skip
    ok_all = True
    for o in outcomes:
        text, ok = o.verdict()
        ok_all &= ok
        print(f"{'':24}{o.seed:>5}  {o.fmt:<9} {o.host:<15} {o.kind:<17} {o.best:<9} "
              f"{fmt_minutes(o.minutes)}  {text}")  # fmt: skip
        if o.malicious and o.named != o.users:
            print(f"{'':30}named {', '.join(o.named) or '-'}; uses {', '.join(o.users)}")
    print("\nBy machine kind (all seeds):")
    for kind in HOST_KINDS:
        outs = [o for o in outcomes if o.kind == kind]
        if not outs:
            continue
        worst = min((o.best for o in outs), key=lambda s: RANK.get(s, -1))
        best = max((o.best for o in outs), key=lambda s: RANK.get(s, -1))
        mins = [o.minutes for o in outs if o.minutes is not None]
        target = (
            f"high within {BURST_MINUTES:g} min, users exact"
            if outs[0].malicious
            else "never medium"
        )
        met = all(o.verdict()[1] for o in outs)
        print(
            f"  {kind:<17} {len(outs):>2} seeds  severity {worst}..{best}  max min "
            f"{(max(mins) if mins else float('nan')):5.1f}  {target}: {'ok' if met else 'MISSED'}"
        )
    return ok_all


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--keep", type=Path, help="keep the simulated logs and databases here")
    parser.add_argument("--verbose", action="store_true", help="print each false alarm")
    args = parser.parse_args()

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="kw-detect-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    hosts: list[HostOutcome] = []
    try:
        for seed in args.seeds:
            res = judge(seed, args.users, args.days, workdir)
            results.append(res)
            hosts += judge_hosts(seed, workdir)
            print(
                f"seed {seed}: {res.lines:,} log lines scanned in {res.scan_seconds:.1f} s, "
                f"{len(res.false_alarms)} false alarms",
                file=sys.stderr,
            )
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)

    ok_all = True
    print(f"\n{'seed':>4}  {'scenario':<17} {'account':<34} {'best':<9} {'min':>6}  verdict")
    print("-" * 90)
    for res in results:
        for out in res.outcomes:
            text, ok = verdict(out)
            ok_all &= ok
            print(
                f"{res.seed:>4}  {out.kind:<17} {out.account:<34} {out.best:<9} "
                f"{fmt_minutes(out.minutes)}  {text}"
            )
            for note in out.notes:
                print(f"{'':6}{note}")
    print("\nBy scenario kind (all seeds):")
    print(f"  {'scenario':<17} {'caught':>7} {'best (worst seed)':>18} {'max min':>8}  target")
    for kind in (*HIJACK_KINDS, *BENIGN_KINDS):
        outs = [o for r in results for o in r.outcomes if o.kind == kind]
        if not outs:
            continue
        caught = sum(o.caught for o in outs)
        worst = min((o.best for o in outs), key=lambda s: RANK.get(s, -1))
        mins = [o.minutes for o in outs if o.minutes is not None]
        target = {
            "low_and_slow": "high by 3rd message",
            **dict.fromkeys(BURSTS, f"high within {BURST_MINUTES:g} min"),
        }.get(kind, "never high")
        met = all(verdict(o)[1] for o in outs)
        print(
            f"  {kind:<17} {caught:>3}/{len(outs):<3} {worst:>18} "
            f"{(max(mins) if mins else float('nan')):8.1f}  {target}: {'ok' if met else 'MISSED'}"
        )
    alarms = sum(len(r.false_alarms) for r in results)
    account_days = sum(r.account_days for r in results)
    rate = 100 * alarms / account_days if account_days else 0.0
    rate_ok = rate <= MAX_FALSE_RATE
    ok_all &= rate_ok
    print(
        f"\nFalse alarms (medium+ outside hijacks): {alarms} over {account_days:,.0f} "
        f"account-days = {rate:.2f} per 100 account-days (target <= {MAX_FALSE_RATE:g}): "
        f"{'ok' if rate_ok else 'MISSED'}"
    )
    if args.verbose:
        for r in results:
            for a in r.false_alarms:
                print(f"  seed {r.seed} {a.when:%m-%d %H:%M} {a.severity:<8} {a.summary[:240]}")
    ok_all &= report_hosts(hosts)
    print("\nall targets met" if ok_all else "\nSOME TARGETS MISSED")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
