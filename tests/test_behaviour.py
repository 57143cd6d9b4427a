"""Behaviour identity: what simulated sites produce, exactly as recorded.

The alerts (ids included), the incidents and ``status`` of a few simulated sites are
compared with the records in ``tests/golden/``. A change in the middle of the pipeline
that is meant to keep behaviour (a refactoring, a second engine) must leave them equal;
a change meant to alter detection re-records them, and the diff of the records shows
reviewers what changed::

    KERIO_WATCH_RECORD=1 .venv/bin/pytest tests/test_behaviour.py

Each site is scanned in two runs (the first half of its days, then all of it), so the
state carried between runs (profiles, open incidents, watermarks) is covered too.
Both engines must match the same records: CI runs the suite once per engine.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kerio_watch.cli import main
from kerio_watch.simulate import CONFIG_FILE, SimConfig, simulate

GOLDEN = Path(__file__).parent / "golden"
SITES = {
    "seed1-24users": SimConfig(seed=1, users=24, days=15),
    "seed2-16users": SimConfig(seed=2, users=16, days=15),
    "seed5-30users": SimConfig(seed=5, users=30, days=12),
}
STATUS_VOLATILE = ("db", "db_bytes", "engine", "last_engine")
"""``status`` keys that depend on the machine, the path or the engine, not on behaviour."""


def _run(args: list[str]) -> str:
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code in (0, 4), result.output
    return result.stdout


def _jsonl(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _scan(logs: Path, db: Path, until: date | None) -> list[Any]:
    args = ["scan", "--db", str(db), "--config", str(logs / CONFIG_FILE), "--no-sinks"]
    args += ["-f", "jsonl", "--min-severity", "info", str(logs)]
    if until is not None:
        # The first run reads the Kerio logs' lines before ``until`` (local time); the
        # firewall log is read by the second run only.
        part = logs.parent / "part"
        part.mkdir(exist_ok=True)
        for path in logs.iterdir():
            lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
            if path.suffix == ".log" and lines and lines[0].startswith("["):
                kept = [line for line in lines if _day(line) < until]
                (part / path.name).write_text("".join(kept), encoding="utf-8")
            elif path.name == CONFIG_FILE:
                (part / path.name).write_text("".join(lines), encoding="utf-8")
        args[-1] = str(part)
    return _jsonl(_run(args))


def _day(line: str) -> date:
    return datetime.strptime(line[1:12], "%d/%b/%Y").date()


def _behaviour(tmp_path: Path, config: SimConfig) -> dict[str, Any]:
    logs = tmp_path / "logs"
    simulate(config, logs)
    db = tmp_path / "state.db"
    middle = config.start + timedelta(days=config.days // 2)
    first = _scan(logs, db, middle)
    second = _scan(logs, db, None)
    incidents = _jsonl(
        _run(["incidents", "--db", str(db), "--status", "all", "-f", "jsonl", "--limit", "100000"])
    )
    status = json.loads(_run(["status", "--db", str(db), "-f", "json"]))
    for key in STATUS_VOLATILE:
        status.pop(key, None)
    return {"first_run": first, "second_run": second, "incidents": incidents, "status": status}


def _dump(record: dict[str, Any]) -> str:
    """One line per alert and per incident, so a diff of the records reads line by line."""
    lines = ["{"]
    for i, (key, value) in enumerate(sorted(record.items())):
        comma = "," if i < len(record) - 1 else ""
        if isinstance(value, list) and value:
            items = [json.dumps(v, sort_keys=True, ensure_ascii=False) for v in value]
            lines.append(f"{json.dumps(key)}: [")
            lines.extend(f"  {item}," for item in items[:-1])
            lines.append(f"  {items[-1]}")
            lines.append(f"]{comma}")
        else:
            lines.append(f"{json.dumps(key)}: {json.dumps(value, sort_keys=True)}{comma}")
    return "\n".join([*lines, "}"]) + "\n"


@pytest.mark.parametrize("name", sorted(SITES))
def test_behaviour_is_as_recorded(tmp_path: Path, name: str) -> None:
    got = _behaviour(tmp_path, SITES[name])
    path = GOLDEN / f"behaviour-{name}.json"
    if os.environ.get("KERIO_WATCH_RECORD"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(_dump(got), encoding="utf-8")
    want = json.loads(path.read_text(encoding="utf-8"))
    assert got["status"] == want["status"]
    assert got["incidents"] == want["incidents"]
    assert got["first_run"] == want["first_run"]
    assert got["second_run"] == want["second_run"]
