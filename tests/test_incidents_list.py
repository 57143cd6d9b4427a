"""``kerio-watch incidents``: a critical incident that waits for a decision is never
buried under newer low ones, nor cut by --limit, and a cut list says so."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kerio_watch.cli import incidents as incidents_cli
from kerio_watch.cli import main
from kerio_watch.cli.output import OutputConsole
from kerio_watch.severity import Severity
from kerio_watch.store import open_store
from kerio_watch.values.incident import Incident
from kerio_watch.values.signal import Signal

DAY = 86400
START = 1_774_000_000


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A week-old critical hijack (open), a resolved high one, then 150 newer low and
    info incidents (a busy site's password guessers and odd logins)."""
    path = tmp_path / "state.db"
    store = open_store(path)
    incidents = [
        Incident(1, "victim@example.com", START, START + 600, "open", Severity.CRITICAL, 200),
        Incident(2, "handled@example.com", START + 60, START + 700, "resolved", Severity.HIGH, 90),
    ]
    for i in range(150):
        sev = Severity.LOW if i % 2 else Severity.INFO
        t = START + DAY + i * 3600
        incidents.append(Incident(3 + i, f"ip:198.51.100.{i}", t, t + 60, "open", sev, 40))
    try:
        with store.transaction():
            store.save_incidents(incidents)
    finally:
        store.close()
    return path


def ids(result: Result) -> list[int]:
    assert result.exit_code == 0, result.output
    return [json.loads(line)["id"] for line in result.stdout.splitlines()]


def test_the_waiting_critical_comes_first_despite_newer_ones(db: Path) -> None:
    """Newest first alone put it at row 151, past the default --limit of 100."""
    listed = ids(run("incidents", "--db", str(db), "-f", "jsonl"))
    assert listed[0] == 1
    assert len(listed) == 100
    assert listed[1:4] == [152, 151, 150]  # the rest newest first
    assert 2 not in listed  # a decided one is not pinned


def test_the_list_shows_it_first_and_says_what_the_limit_left_out(db: Path) -> None:
    out = run("incidents", "--db", str(db), "--limit", "5")
    assert out.exit_code == 0
    lines = out.stdout.splitlines()
    first_row = next(line for line in lines if line.startswith("#"))
    assert "victim@example.com" in first_row and "critical" in first_row
    assert "5 of 152 incidents shown (--limit 5; --limit 0 lists all)" in out.stdout


def test_limit_zero_lists_all_instead_of_saying_no_incidents(db: Path) -> None:
    """--limit 0 printed "No incidents." on a database of 152."""
    listed = ids(run("incidents", "--db", str(db), "--limit", "0", "-f", "jsonl"))
    assert len(listed) == 152 and listed[0] == 1
    table = run("incidents", "--db", str(db), "--limit", "0")
    assert "No incidents" not in table.stdout and "incidents shown" not in table.stdout
    negative = run("incidents", "--db", str(db), "--limit", "-1")
    assert negative.exit_code == 2


def test_filters_still_hold(db: Path) -> None:
    """Pinning never adds what a filter leaves out."""
    assert ids(run("incidents", "--db", str(db), "--status", "resolved", "-f", "jsonl")) == [2]
    low_up = ids(run("incidents", "--db", str(db), "--min-severity", "low", "-f", "jsonl"))
    assert low_up[0] == 1 and 2 in low_up and len(low_up) == 77


def test_a_narrow_terminal_shows_why_folded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a 100-column terminal the explanation of a quiet incident is there, folded:
    its long status used to push the "why" column off the screen."""
    store = open_store(tmp_path / "state.db")
    inc = Incident(1, "victim@example.com", START, START, first_signal=START)
    why = (
        "victim@example.com sent mail via SMTP from 203.0.113.7, never seen (a network it "
        "never used in Example Networks Incorporated, ZZ; usually 192.168.10.23)"
    )
    inc.add(Signal("kerio.net.new_host", inc.key, START, 50, why, side="access"))
    inc.quiet_since, inc.updated = START + 600, START + 900
    with store.transaction():
        store.save_incidents([inc])
    store.close()
    screen = io.StringIO()
    terminal = OutputConsole(file=screen, force_terminal=True, width=100, color_system=None)
    monkeypatch.setattr(incidents_cli, "make_console", lambda *_a, **_k: terminal)
    assert run("incidents", "--db", str(tmp_path / "state.db")).exit_code == 0
    rows = [line for line in screen.getvalue().splitlines() if line.startswith("│")]
    assert rows and max(len(line) for line in rows) <= 100
    shown = " ".join(" ".join(line.split("│")[-2].split()) for line in rows)
    assert "…" not in shown and "never seen" in shown and "Incorporated" in shown


def test_the_time_note_keeps_its_brackets(db: Path) -> None:
    """Off a terminal the note under the list read "set  timezone": rich took
    "[site]" for markup and dropped it."""
    out = run("incidents", "--db", str(db), "--limit", "5")
    assert out.exit_code == 0, out.output
    assert "times in UTC (time zone unknown: set [site] timezone)" in out.stdout
