"""``kerio-watch status`` (and the demo) as text: what comes from outside, or from a
path, is shown as written, never read as rich markup."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from rich.console import Console

from kerio_watch.cli import main
from kerio_watch.cli.status_text import print_status


def report(**changes: Any) -> dict[str, Any]:
    """A status report as :func:`kerio_watch.cli.follow.status_report` makes it."""
    base: dict[str, Any] = {
        "running": False,
        "pid": None,
        "writer": None,
        "db": "/var/lib/kerio-watch/state.db",
        "last_engine": None,
        "engine": "python",
        "activity": None,
        "db_bytes": 1_000_000,
        "heartbeat_age_seconds": None,
        "heartbeat": None,
        "last_checkpoint": None,
        "last_event": None,
        "totals": {"lines": 0, "events": {}, "unparsed": 0, "implausible": 0, "alerts": 0},
        "implausible_lines": [],
        "files": [],
        "skipped": [],
        "open_incidents": {},
        "sinks": [],
        "kerio_api": None,
    }
    return {**base, **changes}


def shown(data: dict[str, Any]) -> str:
    out = io.StringIO()
    print_status(Console(file=out, width=200, color_system=None), data)
    return out.getvalue()


def sink(**changes: Any) -> dict[str, Any]:
    base = {"name": "ops", "type": "webhook", "enabled": True, "ok": True, "last_error": None}
    return {**base, "pending": 0, "sent": 3, "failed": 0, **changes}


def test_a_sinks_error_with_brackets_is_shown_as_written() -> None:
    """A server's answer in the error ("[/nope]") once stopped status with a markup
    error, and "[bold]" was taken as a style."""
    text = shown(
        report(
            db="/srv/[/x]/state.db",
            sinks=[sink(name="ops[/a]", ok=False, last_error="HTTP 500: [bold]no[/bold] [/nope]")],
        )
    )
    assert "state: /srv/[/x]/state.db" in text
    assert "sink ops[/a]: failing: HTTP 500: [bold]no[/bold] [/nope]; 0 pending" in text


def test_a_disabled_sink_says_so() -> None:
    """A sink switched off with enabled = false is not shown as an idle healthy one."""
    text = shown(report(sinks=[sink(enabled=False, sent=0)]))
    assert "sink ops: disabled (enabled = false); 0 pending, 0 sent, 0 failed" in text
    assert "sink ops: ok" in shown(report(sinks=[sink()]))


def test_the_demo_in_a_folder_with_brackets(tmp_path: Path) -> None:
    """The demo's first line names its folder as written ('[/x]' in the path was taken
    as markup: an internal error before anything was simulated)."""
    folder = tmp_path / "site[/x]"
    result = CliRunner().invoke(main, ["demo", "--dir", str(folder), "--days", "7", "--users", "5"])
    assert result.exit_code == 0, result.output
    assert f"Kerio Connect site in {folder} ..." in result.output
