#!/usr/bin/env python3
"""Containment through Kerio's Administration API, on the simulator's planted hijacks.

For each hijack kind, the simulated site (``kerio_watch.simulate``) is replayed now, in
real time (``kerio_watch.simulate.replay``): history written at once, then every line
when the clock reaches it, into a folder a real ``kerio-watch follow`` process reads,
beside the TLS emulator of the API (``kerio_watch.simulate.kerio_api``) whose queue the
replay fills and whose containment the replay obeys (a contained account's further
messages are refused, removed queue messages are not sent).

1. **Containment run** (``dry_run = false``, actions at ``--severity``): seconds from
   writing the hijack's first message to the first containment write call reaching the
   API; split into the log time the evidence took (the first message to the line whose
   alert reached the severity) and the reaction (that line's alert to the API call).
   Then the rest of the hijack is played at once: recipient deliveries that left,
   against the same hijack without containment (the replay with an untouched server).
2. **Watch run** (no containment): when the queue signal (``kerio.queue.pile_up``)
   joined the incident, against the first bounce of the hijack (a failed delivery or a
   DSN to it in mail.log) and against the log-based signals of a ``scan`` of the site
   (``kerio.mail.bounces``, ``kerio.queue.backlog``), all relative to the first message.

The replay happens at today's time of day, not the simulated one (a night burst
replayed in the afternoon loses its odd-hours evidence): the scan of the original site
also gives the evidence time the hijack took at its planted hour. Run it with ``nice``
on a shared machine. Usage::

    python benchmarks/containment.py [--kinds night_burst ...] [--seed 3] [--severity high]
        [--poll-seconds 30] [--watch-timeout 600] [--order-wait SECONDS]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kerio_watch.simulate import Scenario, SimConfig, SimResult, simulate
from kerio_watch.simulate.kerio_api import KerioEmulator, make_self_signed
from kerio_watch.simulate.kerio_state import KerioState
from kerio_watch.simulate.replay import Replay

PASSWORD = "benchmark-password"  # noqa: S105 (the emulator's, on loopback)
SEVERITIES = ("info", "low", "medium", "high", "critical")
ZONE = "Europe/Berlin"


def kerio_watch() -> list[str]:
    """The command that runs this checkout's kerio-watch."""
    exe = Path(sys.executable).with_name("kerio-watch")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "kerio_watch"]


@dataclass
class Live:
    """One replay with its emulator and follower."""

    replay: Replay
    emulator: KerioEmulator
    proc: subprocess.Popen[str]
    folder: Path
    stop: threading.Event
    thread: threading.Thread

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.proc.terminate()
        self.proc.wait(30)
        self.emulator.stop()

    def alerts(self) -> list[dict[str, Any]]:
        text = (self.folder / "out.txt").read_text(encoding="utf-8")
        return [json.loads(x) for x in text.splitlines() if x.startswith("{")]

    def incident(self, account: str) -> dict[str, Any] | None:
        try:
            with sqlite3.connect(f"file:{self.folder / 'state.db'}?mode=ro", uri=True) as db:
                row = db.execute(
                    "SELECT data FROM incidents WHERE key = ? ORDER BY updated DESC", (account,)
                ).fetchone()
        except sqlite3.Error:
            return None
        return json.loads(row[0]) if row else None


def start_live(
    sim: SimResult, hijack: Scenario, folder: Path, contain: str, args: Any, before: int = 60
) -> Live:
    """Emulator, replay history, follower, paced replay thread."""
    folder.mkdir(parents=True)
    state = KerioState(ZoneInfo(ZONE))
    for account in sim.accounts:
        state.add_account(account)
    state.add_group("kerio-watch blocked")
    cert, key = make_self_signed(folder / "tls")
    emulator = KerioEmulator(state, cert, key, {"admin": PASSWORD})
    emulator.start()
    secret = folder / "password"
    secret.write_text(PASSWORD)
    secret.chmod(0o600)
    replay = Replay(sim.directory, folder / "logs", ZONE, hijack, state, lead=15.0, before=before)
    replay.write_history()
    config = folder / "kerio-watch.toml"
    config.write_text(
        sim.config_toml + f'\n[kerio_api]\nserver = "{emulator.server}"\nusername = "admin"\n'
        f'password_file = "{secret}"\nfingerprint = "{emulator.fingerprint}"\n'
        f"poll_seconds = {args.poll_seconds}\n\n[kerio_api.contain]\n{contain}\n"
    )
    proc = subprocess.Popen(
        [*kerio_watch(), "follow", "-c", str(config), "--db", str(folder / "state.db"),
         "--format", "jsonl", "--poll", "0.2", *order_wait(args), str(folder / "logs")],
        stdout=(folder / "out.txt").open("w"), stderr=(folder / "err.txt").open("w"), text=True,
    )  # fmt: skip
    stop = threading.Event()
    thread = threading.Thread(target=replay.run, args=(stop,), daemon=True)
    thread.start()
    return Live(replay, emulator, proc, folder, stop, thread)


def order_wait(args: Any) -> list[str]:
    """follow's ``--order-wait``, when given."""
    return [] if args.order_wait is None else ["--order-wait", str(args.order_wait)]


CONTAIN = ("Users.set", "IpAddressGroups.create")
"""The API's containment write calls."""


def wait(predicate: Any, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def iso_ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def containment_run(
    sim: SimResult, hijack: Scenario, work: Path, args: Any, evidence: float | None
) -> dict[str, Any]:
    """Seconds to containment and what left before it. The paced part starts a minute
    before the line the scan found alerting (the login, for a guessed password)."""
    actions = '["stop_sending", "remove_queued", "block_ip"]'
    contain = f"actions = {{ {args.severity} = {actions} }}\ndry_run = false"
    before = 60 + int(max(0.0, -(evidence or 0.0)))
    folder = work / f"{hijack.kind}-contain"
    live = start_live(sim, hijack, folder, contain, args, before)
    r, emulator = live.replay, live.emulator
    rank = SEVERITIES.index(args.severity)

    def reached() -> tuple[dict[str, Any], float | None] | None:
        """The first alert about the account at the severity, and the first containment
        write call after it (another account's alert may have been contained before)."""
        alerts = [a for a in live.alerts() if a["user"] == r.account
                  and SEVERITIES.index(a["severity"]) >= rank
                  and iso_ts(a["time"]) >= r.first_bad - before]  # fmt: skip
        if not alerts:
            return None
        at = iso_ts(alerts[0]["time"])
        calls = [t for t, m in emulator.log if m in CONTAIN and t >= at]
        return alerts[0], calls[0] if calls else None

    try:
        ok = wait(lambda: (reached() or ({}, None))[1] is not None,
                  r.start_wall - time.time() + args.contain_timeout)  # fmt: skip
        writes = [t for t, m in emulator.log if m in CONTAIN]
        first = r.stats.first_written or float(r.first_bad)
        out: dict[str, Any] = {"contained": ok, "earlier_writes": 0}
        trigger, call = reached() or ({}, None)
        if call is not None:
            out["total_s"] = call - first
            out["evidence_s"] = iso_ts(trigger["time"]) - r.first_bad
            out["reaction_s"] = call - iso_ts(trigger["time"])
            out["rules"] = trigger["rules"]
            out["earlier_writes"] = len([t for t in writes if t < call])
        out["local_time"] = datetime.fromtimestamp(r.first_bad, ZoneInfo(ZONE)).strftime("%a %H:%M")
    finally:
        live.close()
    r.finish()
    out["delivered"] = r.stats.delivered
    out["refused"] = r.stats.refused
    out["not_sent"] = r.stats.not_sent
    untouched = Replay(sim.directory, work / "none", ZONE, hijack, KerioState(ZoneInfo(ZONE)))
    untouched.finish()
    out["delivered_without"] = untouched.stats.delivered
    out["accepted_without"] = untouched.stats.accepted
    return out


def watch_run(sim: SimResult, hijack: Scenario, work: Path, args: Any) -> dict[str, Any]:
    """When the queue signal joined the incident, against the first bounce."""
    live = start_live(sim, hijack, work / f"{hijack.kind}-watch", "", args)
    r = live.replay

    def queue_signal() -> float | None:
        inc = live.incident(r.account)
        for s in (inc or {}).get("signals", []):
            if s["rule"] == "kerio.queue.pile_up":
                return float(s["ts"])
        return None

    try:
        wait(lambda: queue_signal() is not None, r.start_wall - time.time() + args.watch_timeout)
        signal = queue_signal()
    finally:
        live.close()
    out: dict[str, Any] = {"queue_signal_s": None if signal is None else signal - r.first_bad}
    if r.stats.first_bounce is not None:
        out["first_bounce_s"] = float(r.stats.first_bounce - r.first_bad)
    return out


def scan_original(sim: SimResult, work: Path, severity: str) -> dict[str, dict[str, Any]]:
    """Per hijack kind: offsets of the log-based signals, and of the first alert at
    ``severity``, from its first message, at the planted hour (a scan of the site)."""
    db = work / "scan.db"
    done = subprocess.run(
        [*kerio_watch(), "scan", "-c", str(sim.directory / "kerio-watch.toml"), "--db", str(db),
         "--no-progress", "--format", "jsonl", str(sim.directory)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    alerts = [json.loads(x) for x in done.stdout.splitlines() if x.startswith("{")]
    rank = SEVERITIES.index(severity)
    out: dict[str, dict[str, Any]] = {}
    with sqlite3.connect(db) as conn:
        for s in sim.scenarios:
            start = s.start.timestamp()
            first: dict[str, Any] = {}
            for (data,) in conn.execute("SELECT data FROM incidents WHERE key = ?", (s.account,)):
                for sig in json.loads(data)["signals"]:
                    offset = float(sig["ts"] - start)
                    if offset >= -3600:
                        first[sig["rule"]] = min(first.get(sig["rule"], offset), offset)
            hits = [
                iso_ts(a["time"]) - start
                for a in alerts
                if a["user"] == s.account
                and SEVERITIES.index(a["severity"]) >= rank
                and iso_ts(a["time"]) >= start - 3600
            ]
            first["evidence"] = float(min(hits)) if hits else None
            out[s.kind] = first
    return out


def fmt(value: Any, unit: str = " s") -> str:
    return (
        "-" if value is None else f"{value:+.1f}{unit}" if isinstance(value, float) else str(value)
    )


SEVERITY = ["high"]


def report(kind: str, c: dict[str, Any], w: dict[str, Any], scan: dict[str, Any]) -> None:
    print(f"\n== {kind} (replayed at {c.get('local_time')} local time)")
    if c["earlier_writes"]:
        print(f"({c['earlier_writes']} containment write calls came before, on other alerts)")
    print(f"containment: {'yes' if c['contained'] else 'NO'}; first message -> first write "
          f"call {fmt(c.get('total_s'))} (evidence {fmt(c.get('evidence_s'))} of log time, "
          f"reaction {fmt(c.get('reaction_s'))}); alert rules {c.get('rules')}")  # fmt: skip
    print(
        f"at the planted hour (scan of the original logs) the first {SEVERITY[0]} alert came "
        f"{fmt(scan.get('evidence'))} after the first message"
    )
    print(f"recipient deliveries that left: {c['delivered']} with containment, "
          f"{c['delivered_without']} without ({c['accepted_without']} spam messages planted; "
          f"{c['refused']} refused, {c['not_sent']} queued deliveries removed)")  # fmt: skip
    if not w:
        return
    print(f"queue signal {fmt(w.get('queue_signal_s'))} after the first message; first bounce "
          f"{fmt(w.get('first_bounce_s'))}; lead over it "
          f"{fmt(_lead(w.get('first_bounce_s'), w.get('queue_signal_s')))}")  # fmt: skip
    for rule in ("kerio.mail.bounces", "kerio.queue.backlog"):
        at = scan.get(rule)
        print(f"  {rule} (scan): {fmt(at)}; queue signal lead "
              f"{fmt(_lead(at, w.get('queue_signal_s')))}")  # fmt: skip


def _lead(later: float | None, queue: float | None) -> float | None:
    return None if later is None or queue is None else later - queue


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kinds", nargs="+", default=["night_burst"])
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--severity", default="high", choices=SEVERITIES[1:])
    parser.add_argument("--poll-seconds", type=float, default=30.0)
    parser.add_argument("--contain-timeout", type=float, default=300.0)
    parser.add_argument("--watch-timeout", type=float, default=600.0)
    parser.add_argument("--skip-watch", action="store_true")
    parser.add_argument("--order-wait", type=float, help="follow's --order-wait")
    args = parser.parse_args()
    SEVERITY[0] = args.severity
    work = Path(tempfile.mkdtemp(prefix="kw-contain-"))
    try:
        sim = simulate(SimConfig(seed=args.seed, users=args.users, days=args.days), work / "site")
        scan = scan_original(sim, work, args.severity)
        for kind in args.kinds:
            hijack = next(s for s in sim.scenarios if s.kind == kind)
            c = containment_run(sim, hijack, work, args, scan.get(kind, {}).get("evidence"))
            w = {} if args.skip_watch else watch_run(sim, hijack, work, args)
            report(kind, c, w, scan.get(kind, {}))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
