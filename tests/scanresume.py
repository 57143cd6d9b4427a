"""Scans interrupted and continued, compared with one uninterrupted scan, table by table.

A simulated site (several logs merged: mail, security, audit and a firewall log) with
lines that make the time guard hold (a glitch dated a day and more ahead, two lines
long, and a confirmed jump of a log's clock) is scanned once without interruption, and
again killed after a given number of records (the in-memory work is lost, as with
``kill -9``: only what a checkpoint committed is kept), then scanned again. The
database of the second must equal the first's, row for row, and the jsonl sink must
have received each alert once.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kerio_watch import native
from kerio_watch.cli import scan as scan_cli
from kerio_watch.native import reader
from kerio_watch.pipeline.autosave import Autosave
from kerio_watch.simulate import CONFIG_FILE, SimConfig, simulate
from kerio_watch.sources.files import LogFile, Record

TABLES = {
    "alerts": "SELECT * FROM alerts ORDER BY id",
    "incidents": "SELECT * FROM incidents ORDER BY id",
    "profiles": "SELECT account, data FROM profiles ORDER BY account",
    "activity": "SELECT * FROM activity ORDER BY 1, 2, 3, 4",
    "watermarks": "SELECT * FROM watermarks WHERE ts != 0 ORDER BY log",
    "ip_state": "SELECT ip, data FROM ip_state ORDER BY ip",
    "detector_state": "SELECT name, data FROM detector_state ORDER BY name",
    "deliveries": "SELECT sink, kind, alert_id, status FROM deliveries ORDER BY alert_id, sink",
}
VOLATILE_META = ("engine",)
"""Metadata of the run, not of the logs."""


class Killed(BaseException):
    """The process died (``kill -9``): nothing after the last commit is kept."""


@dataclass(frozen=True)
class Site:
    """A simulated site's logs and the configuration scanned with (a jsonl sink)."""

    logs: Path
    config: Path

    def sent(self, tmp: Path) -> list[str]:
        """The alert ids the jsonl sink of the database beside ``tmp`` received."""
        path = tmp / "sent.jsonl"
        if not path.exists():
            return []
        return [json.loads(x)["id"] for x in path.read_text().splitlines() if x.strip()]


def make_site(root: Path, seed: int = 3, users: int = 12, days: int = 6) -> Site:
    """A site with several logs, and lines the time guard holds (see the module)."""
    logs = root / "logs"
    simulate(SimConfig(seed=seed, users=users, days=days), logs)
    _hold_lines(logs / "security.log", 0.4, 30, 2)  # a glitch: held, then set aside
    _hold_lines(logs / "audit.log", 0.7, 30, 4)  # agreeing lines: the log's clock moved
    config = root / "kw.toml"
    text = (logs / CONFIG_FILE).read_text()
    config.write_text(text + '\n[[sinks]]\ntype = "jsonl"\npath = "SENT"\n')
    return Site(logs, config)


def _hold_lines(path: Path, where: float, hours: int, count: int) -> None:
    """Date ``count`` lines from ``where`` (a share of the file) ``hours`` later."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = int(len(lines) * where)
    for i in range(at, at + count):
        stamp = dt.datetime.strptime(lines[i][1:21], "%d/%b/%Y %H:%M:%S")
        moved = (stamp + dt.timedelta(hours=hours)).strftime("%d/%b/%Y %H:%M:%S")
        lines[i] = f"[{moved}]{lines[i][22:]}"
    path.write_text("".join(lines), encoding="utf-8")


def scan(
    site: Site,
    work: Path,
    autosave: Autosave | None = None,
    kill_after: int | None = None,
    engine: str | None = None,
) -> None:
    """One scan of the site into ``work/s.db`` (its sink writes ``work/sent.jsonl``);
    killed after ``kill_after`` records; with ``engine`` (default: as the tests run)."""
    work.mkdir(exist_ok=True)
    config = work / "kw.toml"
    config.write_text(site.config.read_text().replace("SENT", str(work / "sent.jsonl")))
    with pytest.MonkeyPatch.context() as patch:
        if engine is not None:
            patch.setattr(native, "_requested", engine)
        if kill_after is not None:
            real = reader.scan_records

            def killed(*args: Any) -> Iterator[Record]:
                for n, rec in enumerate(real(*args), 1):
                    if n > kill_after:
                        raise Killed
                    yield rec

            patch.setattr(scan_cli, "scan_records", killed)
        scan_cli.run_scan(
            (str(site.logs),), config, work / "s.db", None, False, delivery=[], autosave=autosave
        )


Read = list[tuple[str, int, int, bool]]
"""Files a reader read: (name, first line passed over, offset, continued)."""


@contextmanager
def readers() -> Iterator[dict[str, Read]]:
    """Which reader of the native engine read each file (``"native"``: the core,
    ``"python"``: the Python reader), and from where."""
    used: dict[str, Read] = {"native": [], "python": []}
    with pytest.MonkeyPatch.context() as patch:
        for name, attr in (("native", "native_records"), ("python", "_python_records")):
            patch.setattr(reader, attr, _spy(used[name], getattr(reader, attr)))
        yield used


def _spy(used: Read, real: Any) -> Any:
    def spy(log_file: LogFile, *args: Any) -> Iterator[Record]:
        used.append((Path(log_file.path).name, log_file.start, log_file.offset, log_file.continued))
        return real(log_file, *args)  # type: ignore[no-any-return]

    return spy


def tables(db: Path) -> dict[str, list[Any]]:
    """Every table that holds what a scan found and learned, and the metadata."""
    with sqlite3.connect(db) as conn:
        got: dict[str, list[Any]] = {k: conn.execute(q).fetchall() for k, q in TABLES.items()}
        # as data: the order of an object's keys is that of a dictionary restored
        got["detector_state"] = [(n, json.loads(d)) for n, d in got["detector_state"]]
        meta = conn.execute("SELECT key, value FROM meta ORDER BY key").fetchall()
    got["meta"] = [(k, v) for k, v in meta if k not in VOLATILE_META]
    return got


def differences(got: dict[str, list[Any]], want: dict[str, list[Any]]) -> dict[str, str]:
    """Per table that differs: how (rows only in one, first of each).

    ``ip_state`` may hold more rows: a checkpoint saves each address that failed logins,
    and the detector forgets one quiet for a day without deleting its row (pruned after
    a week, :data:`~kerio_watch.pipeline.persist.IP_STATE_DAYS`; a run reads only those
    active since its last hourly forgetting): the rows of ``want`` are there, the
    others were quiet for a day at the end.
    """
    out = {}
    for name, b in want.items():
        a = got[name]
        if name == "ip_state":
            end = next(d["now"] for n, d in want["detector_state"] if n == "pipeline")
            a = [r for r in a if r in b or json.loads(r[1])["updated"] >= end - 86400]
        if a != b:
            extra = [r for r in a if r not in b][:2]
            missing = [r for r in b if r not in a][:2]
            out[name] = f"{len(a)} rows vs {len(b)}; extra {extra!r:.600}; missing {missing!r:.600}"
    return out
