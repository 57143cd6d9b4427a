#!/usr/bin/env python3
"""Throughput and memory of ``kerio-watch scan`` against the seed's Perl check.

Generates a mail.log of ``--lines`` lines (default 2,000,000) with the demo simulator,
then times, on that same file:

- ``kerio-watch scan`` (every detector, a fresh state database), as a subprocess, with
  its peak resident memory (``ru_maxrss`` of the child);
- ``kerio-watch parse``-free baseline: reading and parsing only (``--parse-only``);
- ``kerio-watch scan`` with only the From/User detector (what the seed checks; the
  learner, Queue-ID joins, incidents and the state database still run);
- the seed's Perl From/User check (``seed_check.pl``): found with ``--seed-check``, the
  ``KERIO_WATCH_SEED_CHECK`` environment variable, or as ``shared/seeds/seed_check.pl``
  beside the checkout or beside any folder above it. When it (or ``perl``) is not found
  the benchmark says so loudly, and ``--require-seed`` makes that an error;
- each ``scan`` with both engines (``--engine python`` and, when the Rust extension is
  built, ``--engine native``);
- the parse stage alone, in this process: reading, framing and parsing every line and
  the Queue-ID join, by the Python engine's code and by the native core
  (``_native.scan_counts``);
- with ``--floor``, what plain CPython costs on the same file before any detection:
  reading and decoding the lines, one regular expression per ``Recv:`` line, and the
  seed's check itself written in Python. These rows show how much of the Perl check's
  time a Python program spends just getting at the fields.

With ``--site``, the input is a realistic site instead: every log the simulator writes
for ``--users`` accounts over four weeks (mail, audit, security, operations, spam,
warning, config and firewall logs; about 215,000 lines for the default 40 accounts),
scanned with the site's own configuration, start-up included; the Perl check reads its
mail.log (the only log it understands).

It prints wall and CPU seconds (user + system: the steadier figure on a shared machine),
lines per second and the ratios to the Perl check (>= 1.0 means at least as
fast as the seed's check), and the size of the state database the scan left. Usage::

    python benchmarks/throughput.py [--lines 2000000 | --site [--users 40]] [--keep DIR]
        [--repeat 3] [--floor] [--seed-check PATH] [--require-seed]
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import kerio_watch as kerio_watch_package
from kerio_watch.detect import DETECTORS
from kerio_watch.enrich.messages import MessageTracker
from kerio_watch.events import MessageDelivery, MessageReceived
from kerio_watch.formats.mail import MailParser
from kerio_watch.native import load_extension
from kerio_watch.simulate import SimConfig, simulate
from kerio_watch.sources.files import LogFile, read_records
from kerio_watch.store import open_store
from kerio_watch.store.sqlite import db_files, db_stat

ROOT = Path(__file__).resolve().parents[1]
SEED_ENV = "KERIO_WATCH_SEED_CHECK"
SEED_RELATIVE = Path("shared") / "seeds" / "seed_check.pl"


def find_seed_check(given: Path | None) -> tuple[Path | None, str]:
    """The seed's Perl check and where it came from, or None and why not."""
    if given is not None:
        return (given, "--seed-check") if given.is_file() else (None, f"{given} does not exist")
    env = os.environ.get(SEED_ENV)
    if env:
        path = Path(env)
        return (path, SEED_ENV) if path.is_file() else (None, f"{SEED_ENV}={env} does not exist")
    for folder in ROOT.parents:
        if (folder / SEED_RELATIVE).is_file():
            return folder / SEED_RELATIVE, f"found above the checkout in {folder}"
    return None, f"no {SEED_RELATIVE} beside {ROOT} or any folder above it"


def warn_no_seed(why: str) -> None:
    """Say loudly that the Perl row is missing (the comparison is the point)."""
    bar = "!" * 78
    print(
        f"{bar}\nWARNING: the seed's Perl check will NOT run: {why}.\n"
        f"Pass --seed-check PATH or set {SEED_ENV}; the ratios to Perl are missing.\n{bar}",
        file=sys.stderr,
    )


def compile_package() -> str:
    """Byte-compile the installed package, as ``pip install`` does.

    An editable install run with ``PYTHONDONTWRITEBYTECODE`` set (as on the project's
    machines) leaves no ``__pycache__``, and every timed scan would then compile its
    modules first: 0.14 s of a scan's start-up, which a user's installation never pays.
    """
    package = Path(kerio_watch_package.__file__).parent
    try:
        compiled = compileall.compile_dir(package, quiet=1)
    except OSError as exc:
        return f"not byte-compiled ({exc}): start-up includes compiling"
    return "byte-compiled" if compiled else "byte-compiling failed: start-up includes compiling"


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


def generate_site(directory: Path, users: int) -> Path:
    """A simulated site (every log, the default four weeks) in ``directory``."""
    start = time.perf_counter()
    simulate(SimConfig(seed=7, users=users), directory)
    took = time.perf_counter() - start
    print(f"generated a site of {users} accounts: {len(site_logs(directory))} logs in {took:.1f} s")
    return directory


def site_logs(folder: Path) -> list[Path]:
    """The log files of a simulated site."""
    return sorted(p for p in folder.iterdir() if p.suffix == ".log")


Timing = tuple[float, float, int]
"""(wall seconds, CPU seconds, peak MB) of one run; the CPU time (user + system) is
the steadier figure on a shared machine, where other work stretches the wall time."""


def timed(cmd: list[str]) -> Timing:
    """Wall and CPU seconds and peak RSS in MB of the command itself.

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
        pid, code, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.02)
    took = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(code)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    peak = hwm or usage.ru_maxrss
    return took, usage.ru_utime + usage.ru_stime, peak // 1024


RECV = re.compile(
    r"Recv: Queue-ID: ([^,]*), Service: ([^,]*), From: <([^>]*)>, To: (<[^>]*>(?:, <[^>]*>)*), "
    r"Size: (\d+)(?:, Sender-Host: ([^,]*))?(?:, User: ([^,]*))?(?:, SSL: (yes|no))?"
    r"(?:, Report: ([^,]*))?(?:, Subject: (.*?))?(?:, Msg-Id: <(.*)>)?$"
)


def floor(log: Path) -> dict[str, Timing]:
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

    return {
        "Python: read + decode lines": measure(read_decode),
        "Python: + one regex per Recv line": measure(one_regex),
        "Python: the seed's check": measure(seed_in_python),
    }


def cpu_now() -> float:
    """CPU seconds (user + system) this process has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(fn: Callable[[], object]) -> Timing:
    """Wall and CPU seconds of one call in this process (no peak)."""
    wall, cpu = time.perf_counter(), cpu_now()
    fn()
    return time.perf_counter() - wall, cpu_now() - cpu, 0


def parse_stage(log: Path) -> dict[str, Timing]:
    """Seconds the parse stage alone takes, in this process: every line read, framed
    and parsed, and the Queue-ID join, by the Python engine's code and the native core."""

    def python_stage() -> None:
        parser, tracker = MailParser(), MessageTracker()
        for rec in read_records(LogFile(str(log), "mail")):
            event = parser.parse(rec.message, rec.ts, rec.raw)
            if event.__class__ is MessageReceived:
                if event.user is not None and not event.is_dsn:
                    tracker.received(event, event.user)
            elif event.__class__ is MessageDelivery:
                tracker.delivered(event)

    out = {"Python engine: read+frame+parse+join": measure(python_stage)}
    module, _why = load_extension()
    if module is not None:
        out["native core: read+frame+parse+join"] = measure(lambda: module.scan_counts(str(log)))
    return out


FROM_ONLY = "".join(
    f"[detectors.{name}]\nenabled = false\n" for name in DETECTORS if name != "from_mismatch"
)
"""Every detector but the seed's own check (made from the registry, so that a new
detector is never timed in the From/User row)."""


def arguments() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument(
        "--site", action="store_true", help="a realistic simulated site (every log) instead"
    )
    parser.add_argument("--users", type=int, default=40, help="accounts of the --site")
    parser.add_argument("--keep", type=Path, help="keep the generated log in this folder")
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs")
    parser.add_argument(
        "--floor", action="store_true", help="also time plain-Python reading and parsing"
    )
    parser.add_argument("--seed-check", type=Path, help=f"the seed's Perl check (or {SEED_ENV})")
    parser.add_argument(
        "--require-seed", action="store_true", help="fail when the Perl check cannot run"
    )
    return parser.parse_args()


def engines() -> list[str]:
    """The engines this installation can run."""
    return ["python", "native"] if load_extension()[0] is not None else ["python"]


def best(runs: list[Timing]) -> Timing:
    """The best of several runs: least wall and least CPU time, highest peak seen."""
    return min(r[0] for r in runs), min(r[1] for r in runs), max(r[2] for r in runs)


def run_scans(
    inputs: list[Path], work: Path, repeat: int, config: Path | None = None
) -> dict[str, Timing]:
    """Best-of-``repeat`` scans: From/User only and all detectors, with each engine
    (with the site's ``config`` when given)."""
    db = work / "bench.db"

    def scan(engine: str, *options: str) -> Timing:
        for file in (*db_files(db), db.with_name(db.name + ".journal")):
            file.unlink(missing_ok=True)  # the journal too: else the new file looks damaged
        cmd = [*kerio_watch(), "--engine", engine, "scan", "--no-progress", "--db", str(db)]
        return timed([*cmd, *options, *map(str, inputs)])

    site = config.read_text(encoding="utf-8") + "\n" if config is not None else ""
    from_only = work / "from-only.toml"
    from_only.write_text(site + FROM_ONLY, encoding="utf-8")
    full = ("--config", str(config)) if config is not None else ()
    results: dict[str, Timing] = {}
    for engine in engines():
        results[f"scan, From/User only ({engine})"] = best(
            [scan(engine, "--config", str(from_only)) for _ in range(repeat)]
        )
        results[f"scan, all detectors ({engine})"] = best(
            [scan(engine, *full) for _ in range(repeat)]
        )
    return results


def report_ratios(results: dict[str, Timing], perl: Timing | None) -> None:
    """Perl time / each row's time (wall and CPU), and the native core against the
    Python engine's parse stage."""
    print()
    if perl is None:
        print("ratios to the seed's Perl check: not measured (the Perl check did not run)")
    else:
        print(f"{'ratio Perl time / time of':49} {'wall':>6} {'cpu':>6}")
        for name, (wall, cpu, _peak) in results.items():
            if name != "seed Perl check":
                print(f"  {name:47} {perl[0] / wall:6.2f} {perl[1] / cpu:6.2f}")
    python = results.get("Python engine: read+frame+parse+join")
    core = results.get("native core: read+frame+parse+join")
    if python and core:
        print(
            f"parse stage, native core vs Python engine: {python[0] / core[0]:.1f}x (wall), "
            f"{python[1] / core[1]:.1f}x (cpu)"
        )


def main() -> int:
    """Run the benchmark and print the table."""
    args = arguments()
    seed_check, where = find_seed_check(args.seed_check)
    perl = shutil.which("perl")
    if seed_check is None or perl is None:
        why = where if seed_check is None else "perl is not installed"
        warn_no_seed(why)
        if args.require_seed:
            return 2
    work = args.keep or Path(tempfile.mkdtemp(prefix="kw-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    log = work / "mail.log"
    if not log.exists():
        if args.site:
            generate_site(work, args.users)
        else:
            log = generate(work, args.lines)
    inputs = site_logs(work) if args.site else [log]
    config = work / "kerio-watch.toml" if args.site else None
    lines = sum(1 for path in inputs for _ in path.open("rb"))
    results: dict[str, Timing] = {}
    if seed_check is not None and perl is not None:
        print(f"seed Perl check: {seed_check} ({where})")
        cmd = [perl, str(seed_check), str(log), "example.com"]
        results["seed Perl check"] = best([timed(cmd) for _ in range(args.repeat)])
    print(f"kerio_watch package: {compile_package()}")
    results.update(run_scans(inputs, work, args.repeat, config))
    stages = [parse_stage(log) for _ in range(args.repeat)]
    for name in stages[0]:
        results[name] = best([stage[name] for stage in stages])
    if args.floor:
        results.update(floor(log))

    size = sum(path.stat().st_size for path in inputs) / 1e6
    what = (
        f"{len(inputs)} logs of a site, mail.log {log.stat().st_size / 1e6:,.0f} MB"
        if args.site
        else "mail.log"
    )
    print(f"\n{lines:,} lines ({what}), {size:,.0f} MB, {os.cpu_count()} CPUs")
    print(f"{'what':40} {'wall s':>7} {'cpu s':>7} {'lines/s':>10} {'peak MB':>8}")
    for name, (wall, cpu, peak) in results.items():
        print(f"{name:40} {wall:7.2f} {cpu:7.2f} {lines / wall:10,.0f} {peak or '-':>8}")
    store = open_store(work / "bench.db", readonly=True)
    try:
        span = store.activity_span()
    finally:
        store.close()
    hours = 0 if span is None else (span[1] - span[0]) // 3600 + 1
    size = sum(db_stat(work / "bench.db")[::2]) / 1e6
    print(f"state database after the last scan: {size:,.1f} MB (with its WAL), {hours:,} hours")
    report_ratios(results, results.get("seed Perl check"))
    if seed_check is None or perl is None:
        warn_no_seed(where if seed_check is None else "perl is not installed")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
