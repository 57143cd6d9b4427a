"""What ``scan --format jsonl`` prints when a save fails (a full disk, exit status 7) and
the same scan is run again: each alert once, as one scan prints it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from faultlib import site_lines
from kerio_watch.cli import main
from kerio_watch.cli import scan as scan_cli
from kerio_watch.pipeline import Pipeline
from kerio_watch.pipeline.autosave import Autosave


def printed(stdout: str) -> list[tuple[str, str, str]]:
    """(id, account, rule) of each alert printed."""
    rows = [json.loads(x) for x in stdout.splitlines() if x.startswith("{")]
    return [(r["id"], r["user"], r["rule"]) for r in rows]


def test_a_full_disk_prints_no_alert_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkpoint every half hour of log time; the fourth cannot be written (the disk is
    full): exit status 7, and the same scan run again continues from the third. The
    alerts printed by the two runs are those of one scan, each once. The alerts were
    printed as they were raised, before their save: those after the last checkpoint
    that was written were printed again by the continuation (2 of 9 here)."""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "mail.log").write_text("".join(x + "\n" for x in site_lines(400)))
    runner = CliRunner()

    def scan(db: str) -> Any:
        return runner.invoke(main, ["scan", "--db", str(tmp_path / db), "-f", "jsonl", str(logs)])

    one = scan("one.db")
    assert one.exit_code == 0, one.output
    monkeypatch.setattr(scan_cli, "Autosave", lambda _seconds: Autosave(0, seconds_of_log=1800))
    write = Pipeline._write
    calls = []

    def full(self: Pipeline, store: Any, alerts: Any) -> None:
        calls.append(len(alerts))
        if len(calls) == 4:
            raise sqlite3.OperationalError("database or disk is full")
        write(self, store, alerts)

    monkeypatch.setattr(Pipeline, "_write", full)
    first = scan("two.db")
    assert first.exit_code == 7, first.output
    monkeypatch.setattr(Pipeline, "_write", write)
    again = scan("two.db")
    assert again.exit_code == 0, again.output
    assert calls[3] > 0  # alerts raised after the last checkpoint written
    assert printed(first.stdout) + printed(again.stdout) == printed(one.stdout)
