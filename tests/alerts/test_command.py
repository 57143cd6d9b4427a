"""The command sink with real programs (``python -c`` reading stdin); never a shell."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kerio_watch.alerts.command import CommandSink
from kerio_watch.alerts.jsonl import alert_record
from kerio_watch.errors import SinkError
from kerio_watch.values.alert import Alert

COPY_STDIN = (
    "import os, sys; data = sys.stdin.read(); "
    "open(sys.argv[1], 'w').write(data + os.environ['KERIO_WATCH_SEVERITY'] + ' ' "
    "+ os.environ['KERIO_WATCH_INCIDENT'] + ' ' + os.environ['PAGER_TEAM'])"
)


def sink(*argv: str, **table: Any) -> CommandSink:
    """A command sink running ``argv``."""
    s = CommandSink.from_table({"type": "command", "command": list(argv), **table})
    assert isinstance(s, CommandSink)
    return s


class TestRun:
    """The program gets the alert JSON on stdin and a few environment variables."""

    def test_alert_json_on_stdin(self, tmp_path: Path, alert: Callable[..., Alert]) -> None:
        """stdin is the jsonl record; KERIO_WATCH_* and configured env are set."""
        out = tmp_path / "out.txt"
        a = alert()
        sink(sys.executable, "-c", COPY_STDIN, str(out), env={"PAGER_TEAM": "mail"}).send(a)
        text = out.read_text()
        line, _, tail = text.partition("\n")
        assert json.loads(line) == alert_record(a)
        assert tail == "high 12 mail"

    def test_no_shell_for_hostile_content(
        self, tmp_path: Path, hostile: Callable[..., Alert]
    ) -> None:
        """Shell syntax in an alert is data: nothing is executed."""
        marker = tmp_path / "pwned"
        a = hostile(user=f"x$(touch {marker}); touch {marker} `touch {marker}`")
        out = tmp_path / "out.txt"
        sink(sys.executable, "-c", COPY_STDIN, str(out), env={"PAGER_TEAM": "t"}).send(a)
        assert not marker.exists()
        assert json.loads(out.read_text().splitlines()[0])["user"] == a.user


class TestFailures:
    """Non-zero exit, timeouts and missing programs are delivery failures."""

    def test_non_zero_exit_with_stderr(self, alert: Callable[..., Alert]) -> None:
        """The exit status and the end of stderr are in the message."""
        script = (
            "import sys; sys.stdin.read(); print('pager API down', file=sys.stderr); sys.exit(3)"
        )
        with pytest.raises(SinkError, match="failed \\(exit status 3\\): pager API down"):
            sink(sys.executable, "-c", script).send(alert())

    def test_timeout_kills_the_program(self, alert: Callable[..., Alert], tmp_path: Path) -> None:
        """A program still running at the time box is killed with its children."""
        child = tmp_path / "child-alive"
        grandchild = f"import time; time.sleep(1.0); open({str(child)!r}, 'w')"
        program = tmp_path / "slow.py"
        program.write_text(
            "import subprocess, sys, time\n"
            f"subprocess.Popen([sys.executable, '-c', {grandchild!r}])\n"
            "time.sleep(30)\n"
        )
        start = time.monotonic()
        with pytest.raises(SinkError, match=r"did not finish within 0\.5 s \(killed\)"):
            sink(sys.executable, str(program), timeout=0.5).send(alert())
        assert time.monotonic() - start < 5
        time.sleep(max(0.0, start + 1.4 - time.monotonic()))
        assert not child.exists(), "the grandchild survived the timeout"

    def test_program_not_found(self, alert: Callable[..., Alert]) -> None:
        """A bare name not on PATH says so; a missing path too."""
        with pytest.raises(SinkError, match="not found on PATH"):
            sink("kerio-watch-no-such-program").send(alert())
        with pytest.raises(SinkError, match="cannot run /nonexistent/notify"):
            sink("/nonexistent/notify").send(alert())


class TestValidation:
    """The command must be an argv list."""

    def test_string_command_is_refused(self) -> None:
        """A shell-style string is not accepted (there is no shell)."""
        problems = CommandSink.validate({"type": "command", "command": "notify --all"})
        assert problems and problems[0].startswith("command: expected a list of strings")

    def test_empty_command(self) -> None:
        """An empty list is refused with an example."""
        problems = CommandSink.validate({"type": "command", "command": []})
        assert any("no shell: the program is run directly" in p for p in problems)
