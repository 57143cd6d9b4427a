#!/usr/bin/env python3
"""How well ``kerio-watch scan`` catches the simulator's planted hijacks, and how quietly.

For each site size and seed, the demo simulator writes a site's logs (28 days by
default) with planted hijacks and benign look-alikes into a temporary directory; the real
CLI then scans them as a subprocess::

    kerio-watch scan --since <start of week 2> --format jsonl --db <fresh> --config <sim> <dir>

and the alerts are compared with the ground truth. Per hijack kind: caught (at high or
critical), the worst best-severity over the seeds, and the minutes from its first bad
message to the first high alert for the account (for ``low_and_slow`` also whether that
alert came by its third message, read back from mail.log). The benign summary: accounts
that reached high outside the hijacks (target 0), alerts of medium or above outside the
hijacks per 100 accounts per day of reported traffic (target <= 1), what each look-alike
kind reached, and the share of alerts that name both sides (``Access:`` and ``Use:``)
or a decisive fact (``Decisive:``). With ``--first-scan`` alerts count from the first log
line, as a new installation's first scan reports them (with a short ``--days``: the first
impression of a server that keeps a few days of logs). A small site plants several
scenarios on one account: a hijack that alerts no more because an earlier hijack's
incident is open at high or above and holds its address is caught ("joined the open
incident"), and a look-alike is judged by its account's alerts outside the hijacks. A
kind of a group asked for that the simulator could not plant (no free account left when
rounds are combined on a small site) is named with its seeds, on stderr as each site is
simulated and under the table (``NOT PLANTED``), and in the last line: it was not tested.

Machines (the firewall log the simulator writes, one format per seed): every infected PC
at high or above within 5 minutes of its first SMTP connection, naming exactly the
accounts that use it; no benign machine (the mail server, an application server using a
smarthost, an administrator testing with swaks, a monitoring probe) at medium or above.

Usage::

    python benchmarks/detection.py [--seeds 1 2 ... 10] [--sizes 40 300] [--days 28]
                                   [--geo auto|off] [--country DE|US|FR|JP|CZ|IT]
                                   [--forwarding] [--admin] [--lateral] [--newcomer]
                                   [--recon] [--shifts] [--noise] [--attacks] [--heldout]
                                   [--heldout2] [--heldout3] [--heldout4] [--heldout5]
                                   [--heldout6] [--heldout7] [--heldout8]
                                   [--remote SHARE] [--webmail-proxy]
                                   [--shift-work] [--ipv6 SHARE]
                                   [--hosting N] [--role-mailboxes]
                                   [--first-scan]
                                   [--keep DIR] [--verbose]

Exit status 1 when a target is missed. Run it with ``nice`` on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from kerio_watch.simulate import (
    ADMIN_BENIGN_KINDS,
    ADMIN_HIJACK_KINDS,
    ATTACK_HIJACK_KINDS,
    BENIGN_KINDS,
    FORWARD_BENIGN_KINDS,
    FORWARD_HIJACK_KINDS,
    HELDOUT2_BENIGN_KINDS,
    HELDOUT2_HIJACK_KINDS,
    HELDOUT3_BENIGN_KINDS,
    HELDOUT3_HIJACK_KINDS,
    HELDOUT4_BENIGN_KINDS,
    HELDOUT4_HIJACK_KINDS,
    HELDOUT5_BENIGN_KINDS,
    HELDOUT5_HIJACK_KINDS,
    HELDOUT6_BENIGN_KINDS,
    HELDOUT6_HIJACK_KINDS,
    HELDOUT7_BENIGN_KINDS,
    HELDOUT7_HIJACK_KINDS,
    HELDOUT8_BENIGN_KINDS,
    HELDOUT8_HIJACK_KINDS,
    HELDOUT_BENIGN_KINDS,
    HELDOUT_HIJACK_KINDS,
    HIJACK_KINDS,
    HOST_KINDS,
    LATERAL_BENIGN_KINDS,
    LATERAL_HIJACK_KINDS,
    NEWCOMER_BENIGN_KINDS,
    NOISE_BENIGN_KINDS,
    RECON_HIJACK_KINDS,
    SHIFT_BENIGN_KINDS,
    SHIFT_HIJACK_KINDS,
    TRUTH_FILE,
    Scenario,
    SimConfig,
    SimResult,
    simulate,
)
from kerio_watch.simulate.core import NO_FREE_ACCOUNT
from kerio_watch.simulate.countries import COUNTRIES, net_plan
from kerio_watch.simulate.model import GROUP_KINDS
from kerio_watch.store import open_store

SEVERITIES = ("info", "low", "medium", "high", "critical")
HIJACKS = (
    *HIJACK_KINDS,
    *FORWARD_HIJACK_KINDS,
    *ADMIN_HIJACK_KINDS,
    *LATERAL_HIJACK_KINDS,
    *RECON_HIJACK_KINDS,
    *SHIFT_HIJACK_KINDS,
    *ATTACK_HIJACK_KINDS,
    *HELDOUT_HIJACK_KINDS,
    *HELDOUT2_HIJACK_KINDS,
    *HELDOUT3_HIJACK_KINDS,
    *HELDOUT4_HIJACK_KINDS,
    *HELDOUT5_HIJACK_KINDS,
    *HELDOUT6_HIJACK_KINDS,
    *HELDOUT7_HIJACK_KINDS,
    *HELDOUT8_HIJACK_KINDS,
)
"""Every hijack kind (the filter-rule ones are planted with ``--forwarding`` only, the
administration ones with ``--admin``, mail to the staff with ``--lateral``, reading
before spamming with ``--recon``, a dormant mailbox's and a desk PC's with ``--shifts``)."""
BENIGN = (
    *BENIGN_KINDS,
    *FORWARD_BENIGN_KINDS,
    *ADMIN_BENIGN_KINDS,
    *LATERAL_BENIGN_KINDS,
    *NEWCOMER_BENIGN_KINDS,
    *SHIFT_BENIGN_KINDS,
    *NOISE_BENIGN_KINDS,
    *HELDOUT_BENIGN_KINDS,
    *HELDOUT2_BENIGN_KINDS,
    *HELDOUT3_BENIGN_KINDS,
    *HELDOUT4_BENIGN_KINDS,
    *HELDOUT5_BENIGN_KINDS,
    *HELDOUT6_BENIGN_KINDS,
    *HELDOUT7_BENIGN_KINDS,
    *HELDOUT8_BENIGN_KINDS,
)
SITE = "*"
"""The truth account of a scenario of the whole site (``office_isp``): judged by every
account's alerts outside the hijacks from its start to its end (its first day)."""
RANK = {name: i for i, name in enumerate(SEVERITIES)}
MEDIAN_MINUTES = 2.0
BURST_MINUTES = 5.0
"""An infected PC (firewall log) must be at high within this many minutes."""
MAX_FALSE_RATE = 1.0
SHARED_RULE = "kerio.net.shared_address"
"""Alerts about an outside address many accounts' access alone came from (no account)."""
SLOW = "low_and_slow"
EARLY = timedelta(hours=2)
"""Alerts this long before a hijack's first message belong to it: the attacker logs in
first (``reply_chain`` reads the mailbox for up to 90 minutes before it writes)."""
LATE = timedelta(hours=24)
DB_NAME = "state.db"
GROW = 5
"""Accounts a site grows by when the groups asked for left a kind no free account
(:func:`planted_site`)."""
ROUND_KINDS = frozenset(k for g, ks in GROUP_KINDS.items() if g.startswith("heldout") for k in ks)
"""The held-out rounds' kinds (they take accounts no other scenario uses)."""


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
    rule: str = ""

    @property
    def explained(self) -> bool:
        """Names both sides (who and what) or the decisive fact; an alert about an
        address many accounts' access alone came from names its accounts instead."""
        s = self.summary
        return self.shared or "Decisive:" in s or ("Access:" in s and "Use:" in s)

    @property
    def shared(self) -> bool:
        """About an outside address many accounts' access alone came from (no account:
        counted with the alerts outside the hijacks)."""
        return self.user is None and self.rule == SHARED_RULE


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
    """One site's outcomes and false alarms."""

    size: int
    seed: int
    outcomes: list[Outcome]
    false_alarms: list[Alert]
    benign_high: set[str]
    alerts: list[Alert]
    account_days: float
    lines: int
    scan_seconds: float
    hosts: list[HostOutcome] = field(default_factory=list)
    """The planted machines of the site's firewall log."""
    unplanted: tuple[tuple[str, str], ...] = ()
    """(kind, why) of the kinds asked for that the simulator could not plant."""
    grown: int = 0
    """The accounts the site was grown to so that every kind is planted (0: as asked)."""


def third_message(directory: Path, scenario: Scenario, zone: ZoneInfo) -> datetime | None:
    """UTC time of the scenario's third message (Recv lines by the account from its IP)."""
    if not scenario.source_ip or "/" in scenario.source_ip:
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
    if proc.returncode not in (0, 4):
        raise SystemExit(f"scan failed ({proc.returncode}):\n{proc.stderr}")
    alerts = []
    for line in proc.stdout.splitlines():
        if not line.startswith("{"):
            continue
        data = json.loads(line)
        alerts.append(
            Alert(
                datetime.fromisoformat(data["time"]).astimezone(UTC),
                _account(data.get("user")),
                data["severity"],
                data.get("summary", ""),
                data.get("rule", ""),
            )
        )
    return alerts, took


def _account(name: str | None) -> str | None:
    """An address as kerio-watch and the truth both mean it: case does not matter."""
    return name.lower() if name else name


def _outcome(
    seed: int, sc: Scenario, mine: list[Alert], directory: Path, zone: ZoneInfo
) -> Outcome:
    out = Outcome(seed, sc.kind, sc.account)
    if mine:
        out.best = max(mine, key=lambda a: RANK[a.severity]).severity
    highs = [a for a in mine if RANK[a.severity] >= RANK["high"]]
    if sc.malicious and highs:
        first = min(a.when for a in highs)
        out.minutes = (first - sc.start).total_seconds() / 60
        if sc.kind == SLOW:
            third = third_message(directory, sc, zone)
            out.third_ok = third is not None and first <= third
            if third is None:
                out.notes.append("fewer than three messages")
    elif not sc.malicious and highs:
        out.notes.extend(a.summary[:300] for a in highs[:2])
    return out


def judge(
    seed: int,
    users: int,
    days: int,
    workdir: Path,
    geo: str = "auto",
    extras: str = "",
    country: str = "DE",
    first_scan: bool = False,
    remote: float = 0.0,
    ipv6: float = 0.0,
    hosting: int = 0,
) -> SeedResult:
    """Simulate one site, scan it, compare with the truth (``extras``: ``forwarding``
    ``admin``, ``lateral``, ``newcomer`` and/or ``recon``, the opt-in scenarios;
    ``country``: the site's, in a time zone of it; ``first_scan``: judge every alert from
    the first log line, as a new installation's first scan reports them; ``remote``,
    ``webmail_proxy`` and ``shift_work``: a site of another shape, see
    :mod:`kerio_watch.simulate.shapes`; ``ipv6``: that share of the outside clients on
    IPv6, see :mod:`kerio_watch.simulate.ipv6`)."""
    directory = workdir / f"u{users}-seed{seed}"
    wanted = set(extras.split())  # words: "heldout" is not "heldout2"
    site = SimConfig(
        seed=seed,
        country=country,
        timezone=net_plan(country).zone,
        users=users,
        days=days,
        forwarding="forwarding" in wanted,
        admin="admin" in wanted,
        lateral="lateral" in wanted,
        newcomer="newcomer" in wanted,
        recon="recon" in wanted,
        shifts="shifts" in wanted,
        noise="noise" in wanted,
        attacks="attacks" in wanted,
        heldout="heldout" in wanted,
        heldout2="heldout2" in wanted,
        heldout3="heldout3" in wanted,
        heldout4="heldout4" in wanted,
        heldout5="heldout5" in wanted,
        heldout6="heldout6" in wanted,
        heldout7="heldout7" in wanted,
        heldout8="heldout8" in wanted,
        remote=remote,
        webmail_proxy="webmail_proxy" in wanted,
        shift_work="shift_work" in wanted,
        ipv6=ipv6,
        hosting=hosting,
        role_mailboxes="role_mailboxes" in wanted,
    )
    grown, result = planted_site(site, directory)
    config = directory / "kerio-watch.toml"
    if geo != "auto":
        with config.open("a", encoding="utf-8") as f:
            f.write(f'\n[enrich]\ngeo = "{geo}"\n')
    zone = ZoneInfo(site.timezone)  # the site's own zone and first day
    start_day = datetime.combine(site.start, datetime.min.time(), zone)
    window_start = min(s.start for s in result.scenarios if s.malicious)
    since = min(start_day + timedelta(days=7), window_start.astimezone(zone))
    if first_scan:
        since = start_day
    alerts, took = scan(directory, config, since, directory / DB_NAME)
    since_utc = since.astimezone(UTC)
    end = start_day + timedelta(days=days)
    by_user: dict[str | None, list[Alert]] = defaultdict(list)
    for a in alerts:
        by_user[a.user].append(a)

    outcomes = []
    hijack_windows: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for sc in result.scenarios:
        if sc.malicious:
            hijack_windows[_account(sc.account) or ""].append((sc.start - EARLY, sc.end + LATE))

    def in_hijack(a: Alert) -> bool:
        return any(lo <= a.when <= hi for lo, hi in hijack_windows.get(a.user or "", ()))

    for sc in result.scenarios:
        lo, hi = sc.start - EARLY, sc.end + LATE
        theirs = by_user.get(_account(sc.account), [])
        if sc.malicious:
            mine = [a for a in theirs if lo <= a.when <= hi]
        elif sc.account == SITE:
            mine = [a for a in alerts if sc.start <= a.when <= sc.end and not in_hijack(a)]
        else:  # on a small site a look-alike's account may be hijacked too
            mine = [a for a in theirs if a.when >= since_utc and not in_hijack(a)]
        out = _outcome(seed, sc, mine, directory, zone)
        if sc.account == SITE:
            loud = [a for a in mine if a.user and RANK[a.severity] >= RANK["medium"]]
            out.notes.append(
                f"{len(loud)} medium+ alerts on {len({a.user for a in loud})} accounts"
            )
        if sc.malicious and not out.caught:
            _joined(out, sc, directory / DB_NAME)
        outcomes.append(out)

    reported = [a for a in alerts if (a.user is not None or a.shared) and a.when >= since_utc]
    false_alarms = [a for a in reported if RANK[a.severity] >= RANK["medium"] and not in_hijack(a)]
    benign_high = {
        a.user or "" for a in false_alarms if RANK[a.severity] >= RANK["high"] and a.user
    }
    reported_days = (end.astimezone(UTC) - since_utc).total_seconds() / 86400
    lines = sum(result.lines.values())
    return SeedResult(
        users,
        seed,
        outcomes,
        false_alarms,
        benign_high,
        reported,
        len(result.accounts) * reported_days,
        lines,
        took,
        judge_hosts(seed, directory),
        result.unplanted,
        grown.users if grown.users != users else 0,
    )


def planted_site(site: SimConfig, directory: Path) -> tuple[SimConfig, SimResult]:
    """Simulate ``site``; while a held-out round's kind found no free account (rounds
    combined run out of them on a small site), simulate it again :data:`GROW` accounts
    larger, up to twice the size asked: every kind is then planted and judged. A site
    that plants every kind (the default, each group alone) is the one asked for, byte
    for byte. Returns the site simulated and what it wrote."""
    result = simulate(site, directory)
    limit = 2 * site.users
    while _short_of_accounts(result) and site.users + GROW <= limit:
        site = replace(site, users=site.users + GROW)
        shutil.rmtree(directory)
        result = simulate(site, directory)
    return site, result


def _short_of_accounts(result: SimResult) -> bool:
    """Whether a held-out round's kind found no free account (the rounds take accounts no
    other scenario uses; a small site's default kinds that need one are left out by
    design, and measured so)."""
    return any(why == NO_FREE_ACCOUNT and kind in ROUND_KINDS for kind, why in result.unplanted)


def _joined(out: Outcome, sc: Scenario, db: Path) -> None:
    """A hijack of an account whose earlier hijack's incident is open at high or above
    (small sites plant several on one account): it alerts no more, its signals join
    that incident, which already waits for a decision. Caught when the incident holds
    the hijack's address and was open through its start."""
    if not sc.source_ip or "/" in sc.source_ip:
        return
    store = open_store(db, readonly=True)
    try:
        incidents = store.incidents(limit=100_000)
    finally:
        store.close()
    start = sc.start.timestamp()
    for i in incidents:
        if (
            i.key == _account(sc.account)
            and i.severity >= RANK["high"]
            and i.opened < start - EARLY.total_seconds() <= i.updated
            and sc.source_ip in i.source_ips
        ):
            out.best = i.severity.label
            out.notes.append(f"joined the open incident #{i.id}")
            return


def verdict(out: Outcome) -> tuple[str, bool]:
    """(text, meets the target) for one outcome."""
    if out.kind in BENIGN:
        ok = not out.caught
        return ("quiet" if ok else "FALSE HIGH"), ok
    if not out.caught:
        return "MISSED", False
    if out.notes and out.notes[-1].startswith("joined"):
        return out.notes[-1], True
    if out.kind == SLOW:
        ok = bool(out.third_ok)
        return ("caught by 3rd msg" if ok else "LATE (after 3rd)"), ok
    return "caught", True


def fmt_minutes(m: float | None) -> str:
    """Minutes to the first high alert, for the table."""
    return "-" if m is None else f"{m:6.1f}"


def _minutes(values: list[float]) -> str:
    if not values:
        return f"{'-':>7} {'-':>7}"
    return f"{statistics.median(values):7.1f} {max(values):7.1f}"


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


def judge_hosts(seed: int, directory: Path) -> list[HostOutcome]:
    """The planted machines of a site ``judge`` has scanned, against its state database."""
    truth = json.loads((directory / TRUTH_FILE).read_text(encoding="utf-8"))
    store = open_store(directory / DB_NAME, readonly=True)
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
        o = HostOutcome(
            seed,
            h["kind"],
            h["host"],
            h["malicious"],
            fmt,
            users=tuple(sorted(a.lower() for a in h["users"])),
        )
        if mine:
            o.best = max(i.severity for i in mine).label
            o.named = tuple(sorted({a.lower() for i in mine for a in i.facts.get("accounts", [])}))
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


def print_kinds(results: list[SeedResult]) -> bool:
    """The per-scenario table of one site size; whether every target was met."""
    ok_all = True
    print(f"  {'scenario':<17} {'high+':>7} {'worst':>9} {'med min':>7} {'max min':>7}  target")
    for kind in (*HIJACKS, *BENIGN):
        outs = [o for r in results for o in r.outcomes if o.kind == kind]
        if not outs:
            continue
        caught = sum(o.caught for o in outs)
        if kind in HIJACKS:
            worst = min((o.best for o in outs), key=lambda s: RANK.get(s, -1))
            target = "high by 3rd message" if kind == SLOW else "high or above"
        else:
            worst = max((o.best for o in outs), key=lambda s: RANK.get(s, -1))
            target = "never high"
        mins = [o.minutes for o in outs if o.minutes is not None]
        met = all(verdict(o)[1] for o in outs)
        ok_all &= met
        print(
            f"  {kind:<17} {caught:>3}/{len(outs):<3} {worst:>9} {_minutes(mins)}  "
            f"{target}: {'ok' if met else 'MISSED'}"
        )
    return ok_all


def print_unplanted(results: list[SeedResult]) -> None:
    """The kinds asked for that the simulator could not plant, with the seeds and why
    (a held-out round combined with others may run out of free accounts)."""
    seeds: dict[tuple[str, str], list[int]] = defaultdict(list)
    for r in results:
        for kind, why in r.unplanted:
            seeds[kind, why].append(r.seed)
    for (kind, why), which in seeds.items():
        listed = " ".join(map(str, which))
        print(f"  NOT PLANTED  {kind:<17} seeds {listed}: {why}")
    for r in results:
        if r.grown:
            print(f"  GROWN        seed {r.seed} to {r.grown} accounts: every kind planted")


def print_benign(results: list[SeedResult]) -> bool:
    """The benign summary of one site size; whether its targets were met."""
    alarms = sum(len(r.false_alarms) for r in results)
    account_days = sum(r.account_days for r in results)
    rate = 100 * alarms / account_days if account_days else 0.0
    high = sum(len(r.benign_high) for r in results)
    reported = [a for r in results for a in r.alerts if RANK[a.severity] >= RANK["medium"]]
    explained = sum(a.explained for a in reported)
    share = 100 * explained / len(reported) if reported else 100.0
    hijack_mins = [
        o.minutes
        for r in results
        for o in r.outcomes
        if o.kind in HIJACKS and o.minutes is not None
    ]
    median = statistics.median(hijack_mins) if hijack_mins else float("nan")
    print(f"  benign accounts at high or above: {high} (target 0)")
    print(
        f"  alerts of medium or above outside hijacks: {alarms} over {account_days:,.0f} "
        f"account-days = {rate:.2f} per 100 accounts per day (target <= {MAX_FALSE_RATE:g})"
    )
    print(
        f"  median minutes from first bad message to high: {median:.1f} "
        f"(target <= {MEDIAN_MINUTES:g})"
    )
    print(f"  alerts (medium+) naming both sides or the decisive fact: {share:.0f}% (target 100%)")
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in results:
        for o in r.outcomes:
            if o.kind in BENIGN:
                c = counts[o.kind]
                c[0] += RANK.get(o.best, -1) >= RANK["medium"]
                c[1] += o.caught
                c[2] += 1
    print(f"  {'look-alike':<17} {'medium+':>8} {'high+':>6} of")
    for kind in BENIGN:
        if kind in counts:
            m, h, n = counts[kind]
            print(f"  {kind:<17} {m:>8} {h:>6} {n:>3}")
    return high == 0 and rate <= MAX_FALSE_RATE and median <= MEDIAN_MINUTES and share >= 100


def main() -> int:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(1, 11)))
    parser.add_argument("--sizes", type=int, nargs="+", default=[40, 300])
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--keep", type=Path, help="keep the simulated logs and databases here")
    parser.add_argument(
        "--geo",
        choices=("auto", "off"),
        default="auto",
        help="network identity: as installed (auto), or none (prefixes only, like a site "
        "without the geo extra or whose addresses resolve to nothing)",
    )
    parser.add_argument(
        "--forwarding",
        action="store_true",
        help="also plant filter rules (Service: Sieve): a forwarding hijack, a private "
        "forward set from the office, a long-standing forward and auto-replies",
    )
    parser.add_argument(
        "--admin",
        action="store_true",
        help="also plant administration from outside: a service provider's routine remote "
        "sessions and an administrator takeover from a hosting network",
    )
    parser.add_argument(
        "--lateral",
        action="store_true",
        help="also plant mail to the staff: internal phishing from a Tor exit's webmail "
        "session and an announcement to the whole staff from the office",
    )
    parser.add_argument(
        "--newcomer",
        action="store_true",
        help="also plant a new colleague's first week: introductions to the customers it "
        "takes over from the desk, then a day from home",
    )
    parser.add_argument(
        "--recon",
        action="store_true",
        help="also plant an intruder that reads the mailbox from a cloud server for days, "
        "then sends spam from it",
    )
    parser.add_argument(
        "--shifts",
        action="store_true",
        help="also plant what a held-out site may hold: a mail server outside the office "
        "whose office changes provider, a person on a commercial VPN, a new home provider, "
        "a dormant mailbox taken over from abroad, malware on a desk PC (no firewall log)",
    )
    parser.add_argument(
        "--noise",
        action="store_true",
        help="also plant the benign noise every site has: a phone retrying an old password "
        "for hours, copiers sending scans as a person or their own account, a web shop or "
        "CRM in a cloud sending as an account from some day on",
    )
    parser.add_argument(
        "--attacks",
        action="store_true",
        help="also plant attacks no issue names: one residential proxy that took several "
        "accounts, business e-mail compromise in the account's threads, a relay drip for "
        "another domain from many home lines",
    )
    parser.add_argument(
        "--heldout",
        action="store_true",
        help="also plant kinds no other group plants: a slow spray then days of reading, a "
        "mobile proxy on the owner's carrier, a replayed webmail session, a mailbox copied "
        "over IMAP; a hosted archive reading every mailbox, a new phone, a mailbox cleanup",
    )
    parser.add_argument(
        "--heldout2",
        action="store_true",
        help="also plant round two of them: spam from a desk PC on the LAN at night, an "
        "intruder on the office VPN, an auto-reply lure set from abroad; a field technician "
        "at customers' sites, an outside bookkeeper, a week of leave abroad",
    )
    parser.add_argument(
        "--heldout3",
        action="store_true",
        help="also plant round three, traces outside mail.log: mail from suppliers hidden in "
        "a folder, a phone paired from abroad, an alias added by a phished administrator; "
        "years of mail filed in an evening, a phone paired on holiday, an administrator at home",
    )
    parser.add_argument(
        "--heldout4",
        action="store_true",
        help="also plant round four: calendar-invitation spam from the webmail, a mailbox "
        "receiving a fraud's replies, a password checked then sold; customers invited to "
        "an event, junk deleted from a phone, a new laptop at home",
    )
    parser.add_argument(
        "--heldout5",
        action="store_true",
        help="also plant round five: one campaign spread thin over several accounts, spam "
        "mimicking the owner from its own home provider, password resets hidden; a leave's "
        "backlog answered, trade-fair follow-ups from a hotel, an assistant at home",
    )
    parser.add_argument(
        "--heldout6",
        action="store_true",
        help="also plant round six: a botnet guessing one password from hundreds of "
        "addresses then sending, a copier's scan account used from a rented server, a "
        "thread hijack from a VPN exit of the country; a brute force that fails, a copier "
        "moved to its maker's cloud, a first evening on a VPN app",
    )
    parser.add_argument(
        "--heldout7",
        action="store_true",
        help="also plant round seven: a stolen laptop used in its owner's hours, a few "
        "bank-change messages from a residential proxy's webmail, a shared role mailbox "
        "spamming; holiday greetings from home, a team in a co-working space, a night shift",
    )
    parser.add_argument(
        "--heldout8",
        action="store_true",
        help="also plant round eight: a password guessed once an hour for days, a lure "
        "while the owner is on leave, documents forwarded by hand to an outside address; a "
        "home PC with the old password, a trip through three countries, documents "
        "forwarded to one's own private address",
    )
    parser.add_argument(
        "--remote",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="a remote-first company: this share of the staff (0 to 1) works from home "
        "lines for good, mostly in the browser, about half of them in the office one day a week",
    )
    parser.add_argument(
        "--webmail-proxy",
        action="store_true",
        help="the web interface behind a reverse proxy on the LAN: every web login, failure "
        "and folder operation is logged at the proxy's address",
    )
    parser.add_argument(
        "--shift-work",
        action="store_true",
        help="a site round the clock: a third of the staff on rotating shifts (early, late, "
        "night) and a branch office abroad working its own hours",
    )
    parser.add_argument(
        "--ipv6",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="clients on IPv6: this share (0 to 1) of the staff's home lines and phones "
        "(privacy addresses, prefixes delegated anew) and of the attackers' servers and proxies",
    )
    parser.add_argument(
        "--hosting",
        type=int,
        default=0,
        metavar="N",
        help="a provider's server for N small companies, each on its own domain, office "
        "line (or none) and hours; the first is the provider's own staff on the LAN",
    )
    parser.add_argument(
        "--role-mailboxes",
        action="store_true",
        help="most of the staff also works in shared role mailboxes (info@, sales@...), "
        "each used by several people from their desks, home lines and phones",
    )
    parser.add_argument(
        "--country",
        choices=COUNTRIES,
        default="DE",
        help="the site's country (its people's home, mobile, hotel and cloud networks; "
        "travel and attackers from elsewhere), in a time zone of it",
    )
    parser.add_argument(
        "--first-scan",
        action="store_true",
        help="report from the first log line, as a new installation's first scan does "
        "(by default alerts count from week 2, or from the first hijack if that is sooner)",
    )
    parser.add_argument("--verbose", action="store_true", help="every outcome and false alarm")
    args = parser.parse_args()

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="kw-detect-"))
    workdir.mkdir(parents=True, exist_ok=True)
    by_size: dict[int, list[SeedResult]] = defaultdict(list)
    try:
        for users in args.sizes:
            for seed in args.seeds:
                optional = (
                    "forwarding",
                    "admin",
                    "lateral",
                    "newcomer",
                    "recon",
                    "shifts",
                    "noise",
                    "attacks",
                    "heldout",
                    "heldout2",
                    "heldout3",
                    "heldout4",
                    "heldout5",
                    "heldout6",
                    "heldout7",
                    "heldout8",
                    "webmail_proxy",
                    "shift_work",
                    "role_mailboxes",
                )
                extras = " ".join(x for x in optional if getattr(args, x))
                res = judge(
                    seed,
                    users,
                    args.days,
                    workdir,
                    args.geo,
                    extras,
                    args.country,
                    args.first_scan,
                    args.remote,
                    args.ipv6,
                    args.hosting,
                )
                by_size[users].append(res)
                print(
                    f"{users} accounts, seed {seed}: {res.lines:,} lines scanned in "
                    f"{res.scan_seconds:.1f} s, {len(res.false_alarms)} false alarms",
                    file=sys.stderr,
                )
                if res.grown:
                    print(f"  grown to {res.grown} accounts to plant every kind", file=sys.stderr)
                for kind, why in res.unplanted:
                    print(f"  NOT PLANTED: {kind}: {why}", file=sys.stderr)
                if args.keep is None:
                    shutil.rmtree(workdir / f"u{users}-seed{seed}", ignore_errors=True)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)

    ok_all = True
    for users, results in by_size.items():
        seeds = " ".join(str(r.seed) for r in results)
        print(
            f"\n== {users} accounts, {args.days} days, geo {args.geo}, country {args.country}, "
            f"seeds {seeds}{', first scan' if args.first_scan else ''}"
            f"{f', remote {args.remote:g}' if args.remote else ''}"
            f"{', webmail proxy' if args.webmail_proxy else ''}"
            f"{', shift work' if args.shift_work else ''}"
            f"{f', ipv6 {args.ipv6:g}' if args.ipv6 else ''}"
            f"{f', hosting {args.hosting}' if args.hosting else ''}"
            f"{', role mailboxes' if args.role_mailboxes else ''}"
        )
        ok_all &= print_kinds(results)
        print_unplanted(results)
        ok_all &= print_benign(results)
        ok_all &= report_hosts([h for r in results for h in r.hosts])
        if args.verbose:
            for r in results:
                for o in r.outcomes:
                    print(
                        f"  seed {r.seed} {o.kind:<17} {o.account:<34} {o.best:<9} "
                        f"{'-' if o.minutes is None else f'{o.minutes:.1f}'} {verdict(o)[0]}"
                        f"{'; ' + '; '.join(o.notes) if o.account == SITE else ''}"
                    )
                for a in r.false_alarms:
                    print(
                        f"  seed {r.seed} {a.when:%m-%d %H:%M} {a.user} {a.severity:<8} "
                        f"{a.summary[:300]}"
                    )
    missing = sorted(
        {k for r in (r for rs in by_size.values() for r in rs) for k, _ in r.unplanted}
    )
    print("\nall targets met" if ok_all else "\nSOME TARGETS MISSED")
    if missing:
        print(f"NOT PLANTED in some seed, so not tested there: {', '.join(missing)}")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
