"""Helpers for the fault-injection tests (``tests/faults``): data, the CLI, sinks.

Everything runs the real ``kerio-watch`` (as a subprocess where a process matters) on
real files and a real SQLite database.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

from kerio_watch.store import open_store
from kerio_watch.values.alert import Alert
from logtools import kerio_stamp, recv_line

MAX_HOUR = int(dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC).timestamp())
"""The last whole hour datetime can hold (UTC)."""

T0 = dt.datetime(2026, 3, 10, 8, 0, 0)


def site_lines(messages: int, spacing: int = 50, users: int = 16) -> list[str]:
    """A mail.log of ``messages`` sends (with their delivery lines) by ``users`` accounts,
    one every ``spacing`` seconds; from the 40th, every 40th is sent by a hijacked account
    (another one each time, from an address of its own: one alert per account, an
    address shared by several hijacks would escalate the later ones in a second alert),
    so alerts are spread over the whole log."""
    lines = []
    for n in range(messages):
        bad = n >= 40 and n % 40 == 20
        user = f"u{(n // 40) % users if bad else n % users}@example.com"
        when = T0 + dt.timedelta(seconds=spacing * n)
        recv = recv_line(
            when,
            1,
            n,
            sender=f"boss{n}@evil.test" if bad else user,
            to=f"p{n % 5}@partner.test",
            user=user,
            host=f"203.0.113.{n // 40}" if bad else f"192.168.1.{10 + n % 16}",
        )
        qid = recv.split("Queue-ID: ")[1][:17]
        lines += [
            recv,
            f"{kerio_stamp(when + dt.timedelta(seconds=2))} Sent: Queue-ID: {qid}, Recipient: "
            f"<p{n % 5}@partner.test>, Result: delivered, Status: 2.0.0 , Remote-Host: "
            f"198.51.100.25, Msg-Id: <{n}@mail.example.com>",
        ]
    return lines


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kerio_watch", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def sink_config(tmp_path: Path) -> Path:
    """A file sink that gets every alert at once (no merging, no cap)."""
    config = tmp_path / "kw.toml"
    config.write_text(
        f'[[sinks]]\ntype = "jsonl"\nname = "file"\npath = "{tmp_path / "sink.jsonl"}"\n'
        'min_severity = "info"\ncooldown = "0"\nmax_per_hour = 0\n',
        encoding="utf-8",
    )
    return config


def delivered(tmp_path: Path) -> Counter[tuple[str, str, str]]:
    """(user, rule, time) of every alert the file sink received, with repeats."""
    path = tmp_path / "sink.jsonl"
    if not path.exists():
        return Counter()
    # Only whole lines: the follower may be writing the last one while it is read.
    whole = path.read_text().split("\n")[:-1]
    rows = [json.loads(x) for x in whole if x.strip()]
    return Counter((r["user"], r["rule"], r["time"]) for r in rows)


def scanned(tmp_path: Path, lines: list[str]) -> Counter[tuple[str, str, str]]:
    """What one scan of all the lines into a fresh database raises."""
    folder = tmp_path / "reference"
    folder.mkdir()
    (folder / "mail.log").write_text("\n".join(lines) + "\n")
    result = cli("scan", "--db", str(tmp_path / "ref.db"), "--format", "jsonl", str(folder))
    rows = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    return Counter((r["user"], r["rule"], r["time"]) for r in rows)


def poison(db: Path) -> None:
    """What a database holds after a year-9999 clock (or an older version's scan): an
    hour of activity, an incident and an alert at the very end of the range."""
    store = open_store(db)
    try:
        with store.transaction():
            store.add_activity(
                {(MAX_HOUR // 3600, "alice@example.com", "send", "SMTP|1.2.3.4|x"): 3}
            )
            (inc,) = store.incidents(key="alice@example.com", limit=1)
            inc.updated = MAX_HOUR + 3599
            store.save_incidents([inc])
            (alert,) = store.alerts(limit=1)
            data = alert.to_dict()
            data["ts"], data["id"] = MAX_HOUR + 3599, "9999-1"
            store.save_alerts([(Alert.from_dict(data), True)])
    finally:
        store.close()


def shifted(line: str, hours: float) -> str:
    """The line as the server writes it with its clock moved by ``hours`` (its stamp and
    its Queue-ID's time, which the same clock writes)."""
    when = dt.datetime.strptime(line[1:21], "%d/%b/%Y %H:%M:%S") + dt.timedelta(hours=hours)
    out = kerio_stamp(when) + line[22:]
    found = re.search(r"Queue-ID: ([0-9a-f]{8})-", out)
    if found:
        moved = int(found.group(1), 16) + int(hours * 3600)
        out = out.replace(found.group(1), f"{moved:08x}")
    return out


def counted(db: Path) -> tuple[int, int]:
    """(sends in the activity table, the newest watermark) of a database."""
    with sqlite3.connect(db) as conn:
        sends = conn.execute("SELECT sum(count) FROM activity").fetchone()[0]
        mark = conn.execute("SELECT max(ts) FROM watermarks").fetchone()[0]
    return int(sends), int(mark)
