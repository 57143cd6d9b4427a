#!/usr/bin/env python3
"""Page times of the dashboard over a real state database, with and without its cache.

Opens the dashboard (the Flask application, in this process, logged in with a token) over
``--db`` (for example the database ``benchmarks/throughput.py --keep DIR`` leaves in DIR),
or over a freshly scanned demo site when none is given, and times each page: the home
page twice (the second served from the report cache), then the other pages. Also prints
the database's size and the hours of activity it holds. Usage::

    python benchmarks/dashboard.py [--db state.db] [--repeat 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kerio_watch.config import Config
from kerio_watch.simulate import SimConfig, simulate
from kerio_watch.store import open_store
from kerio_watch.store.sqlite import db_stat
from kerio_watch.web.app import create_app
from kerio_watch.web.cache import ReportCache
from kerio_watch.web.settings import WebSettings

TOKEN = "bench-" + "x" * 32


def demo_db(folder: Path) -> Path:
    """Simulate a 40-account site for four weeks and scan it into a new database."""
    site = simulate(SimConfig(seed=1, days=28, users=40), folder / "logs")
    db = folder / "state.db"
    exe = Path(sys.executable).with_name("kerio-watch")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "kerio_watch"]
    subprocess.run(
        [*cmd, "scan", "--no-progress", "--db", str(db), str(site.files["mail"].parent)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return db


def main() -> int:
    """Time the pages and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="state database (default: a scanned demo)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N for each page")
    args = parser.parse_args()
    db = args.db or demo_db(Path(tempfile.mkdtemp(prefix="kw-dash-")))

    store = open_store(db, readonly=True)
    try:
        span = store.activity_span()
        accounts = store.accounts()
        serious = store.incidents(min_severity=3, limit=1)
        first_incident = serious[0] if serious else None
    finally:
        store.close()
    hours = 0 if span is None else (span[1] - span[0]) // 3600 + 1
    size = sum(db_stat(db)[::2]) / 1e6
    print(f"{db}: {size:,.1f} MB, {hours:,} hours of activity, {len(accounts):,} accounts")

    app = create_app(WebSettings(), db, Config(), None, TOKEN)
    reports: ReportCache = app.extensions["kerio_watch.reports"]
    client = app.test_client()
    client.get(f"/login?token={TOKEN}")

    def timed(path: str) -> float:
        start = time.perf_counter()
        response = client.get(path)
        took = time.perf_counter() - start
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
        return took

    print(f"{'page':44} {'seconds':>8}")
    print(f"{'/ (first load: builds the 7-day report)':44} {timed('/'):8.3f}")
    built = reports.builds
    again = min(timed("/") for _ in range(args.repeat))
    print(f"{'/ (again: the report from the cache)':44} {again:8.3f}")
    if reports.builds != built:
        raise SystemExit("the second load rebuilt the report")
    pages = [
        "/incidents",
        "/incidents?status=all",
        "/incidents?status=all&sort=score&order=asc&page=2",
        "/accounts",
        "/report",
    ]
    if accounts:
        pages.append(f"/accounts/{accounts[0]}")
    if first_incident is not None:
        pages.append(f"/incidents/{first_incident.id}")
        if first_incident.source_ips:
            pages.append(f"/addresses/{first_incident.source_ips[0]}")
    for page in pages:
        print(f"{page[:44]:44} {min(timed(page) for _ in range(args.repeat)):8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
