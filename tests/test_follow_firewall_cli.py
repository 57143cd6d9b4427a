"""``kerio-watch follow`` on a live firewall log, rotated while it runs: nothing is lost.

The real CLI as a subprocess with a real database: kern.log grows, is renamed (with a
line written to the old file after the rename) and created again; every connection line
is processed exactly once (the follower's totals, the detector's count and the hourly
SMTP activity agree), and the infected machine's alert is printed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from fwlines import audit_line, netfilter_line

PC = "192.168.1.41"
T0 = dt.datetime(2026, 3, 10, 10, 0, 0)


def kern(n: int) -> str:
    return netfilter_line(T0 + dt.timedelta(seconds=n), PC, f"198.51.{100 + n // 250}.{n % 250}",
                          sport=20000 + n)  # fmt: skip


def append(path: Path, lines: list[str]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write("".join(x + "\n" for x in lines))


def wait_for(predicate: Callable[[], object], timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def stats(db: Path) -> dict[str, object]:
    if not db.exists():
        return {}
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'follow.stats'").fetchone()
    except sqlite3.Error:
        return {}
    return json.loads(row[0]) if row and row[0] else {}


def test_follow_reads_a_rotated_kern_log_exactly_once(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    db = tmp_path / "state.db"
    append(logs / "audit.log", [audit_line(T0 - dt.timedelta(hours=1), "alice@example.com", PC)])
    # written an hour before the kern.log lines, at its time (just written, the login an
    # hour old is a log written late: follow waits for it up to --order-wait, 30 s)
    hour_ago = time.time() - 3600
    os.utime(logs / "audit.log", (hour_ago, hour_ago))
    path = logs / "kern.log"
    append(path, [kern(n) for n in range(60)])
    out = (tmp_path / "out.txt").open("w")
    err = (tmp_path / "err.txt").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kerio_watch", "follow", "--db", str(db), "--format", "jsonl",
         "--poll", "0.05", str(logs)],
        stdout=out, stderr=err, text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: stats(db).get("lines") == 61)
        with path.open("a", encoding="utf-8") as writer:  # rsyslog keeps its handle open
            writer.write("".join(kern(n) + "\n" for n in range(60, 100)))
            writer.flush()
            path.rename(logs / "kern.log.1")
            writer.write(kern(100) + "\n")  # written to the old file after the rename
        append(path, [kern(n) for n in range(101, 200)])
        wait_for(lambda: stats(db).get("lines") == 201)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
        out.close()
        err.close()
    totals = stats(db)
    assert totals["events"] == {"connection": 200, "login_succeeded": 1}
    assert totals["unparsed"] == 0
    with sqlite3.connect(db) as conn:
        (smtp,) = conn.execute("SELECT sum(count) FROM activity WHERE kind = 'smtp'").fetchone()
        (state,) = conn.execute(
            "SELECT data FROM detector_state WHERE name = 'direct_smtp'"
        ).fetchone()
    assert smtp == 200
    assert json.loads(state)["seen"] == 200
    alerts = [
        json.loads(x) for x in (tmp_path / "out.txt").read_text().splitlines() if x[:1] == "{"
    ]
    ranks = ("info", "low", "medium", "high", "critical")
    best = max(ranks.index(str(a["severity"])) for a in alerts if a["source_ip"] == PC)
    assert ranks[best] in ("high", "critical")
    assert all(a["user"] is None for a in alerts)
