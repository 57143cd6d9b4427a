"""``kerio-watch test-sink``, ``config check`` with sinks, and ``scan`` delivering."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kerio_watch.cli import main
from kerio_watch.exitcodes import ExitStatus
from logtools import recv_line

from .conftest import HTTPServer, free_port

T0 = dt.datetime(2026, 3, 10, 10, 0, 0)


def run(*args: str) -> Result:
    """Run the CLI in-process."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write_config(tmp_path: Path, body: str) -> Path:
    """A kerio-watch.toml with these tables."""
    path = tmp_path / "kerio-watch.toml"
    path.write_text(body, encoding="utf-8")
    return path


class TestTestSink:
    """Admins can check a destination before relying on it."""

    def test_sends_a_marked_test_alert(self, tmp_path: Path) -> None:
        """The sample is clearly a test and lands in the sink."""
        out = tmp_path / "alerts.jsonl"
        cfg = write_config(tmp_path, f'[[sinks]]\ntype = "jsonl"\nname = "file"\npath = "{out}"\n')
        result = run("test-sink", "--config", str(cfg), "file")
        assert result.exit_code == 0, result.output
        assert "OK: file accepted it" in result.stderr
        (record,) = [json.loads(x) for x in out.read_text().splitlines()]
        assert record["rule"] == "kerio_watch.test" and record["status"] == "test"
        assert record["severity"] == "high"
        assert "no action is needed" in record["summary"]

    def test_failure_exits_5_with_the_reason(
        self, tmp_path: Path, http_server: Callable[..., HTTPServer]
    ) -> None:
        """A failing destination prints FAILED and why, and exits 5: a service that
        cannot be used, as in the README's table (it exited 1, which the table keeps for
        an unexpected error to report)."""
        server = http_server((500,))
        cfg = write_config(
            tmp_path,
            '[[sinks]]\ntype = "webhook"\nname = "slack"\nformat = "slack"\n'
            f'url = "{server.url}"\n',
        )
        result = run("test-sink", "-c", str(cfg), "slack")
        assert result.exit_code == ExitStatus.INPUT_ERROR
        assert "FAILED: 127.0.0.1 answered HTTP 500" in result.stderr
        assert "secret-token-123" not in result.output + result.stderr
        assert len(server.requests) == 1

    def test_lists_sinks_masked_and_rejects_unknown_names(self, tmp_path: Path) -> None:
        """Without NAME: one line per sink, secrets masked. A wrong NAME lists the right ones."""
        cfg = write_config(
            tmp_path,
            '[[sinks]]\ntype = "webhook"\nname = "teams"\nformat = "teams"\n'
            'url = "https://example.webhook.office.com/SECRETPART"\n'
            '[[sinks]]\ntype = "command"\nname = "pager"\ncommand = ["/bin/true"]\n',
        )
        listed = run("test-sink", "-c", str(cfg))
        assert listed.exit_code == 0
        assert listed.stdout.splitlines() == [
            "teams (webhook): format=teams, url=********",
            "pager (command): command=[/bin/true]",
        ]
        wrong = run("test-sink", "-c", str(cfg), "slack")
        assert wrong.exit_code == ExitStatus.CONFIG_ERROR
        assert (
            "no sink named 'slack'" in wrong.stderr and "configured: teams, pager" in wrong.stderr
        )

    def test_without_a_configuration_file_says_how_to_give_one(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """No -c and no $KERIO_WATCH_CONFIG: the message says that no file was given and
        how to give one (it said ``<defaults>: no [[sinks]] configured``)."""
        monkeypatch.delenv("KERIO_WATCH_CONFIG", raising=False)
        result = run("test-sink", "email")
        assert result.exit_code == ExitStatus.CONFIG_ERROR
        assert result.stderr == (
            "kerio-watch: error: no [[sinks]] configured (no configuration file given: use "
            "-c FILE or $KERIO_WATCH_CONFIG; see docs/alerts.md for examples)\n"
        )
        cfg = write_config(tmp_path, "[site]\n")  # a file without sinks is named
        named = run("test-sink", "-c", str(cfg))
        assert named.exit_code == ExitStatus.CONFIG_ERROR
        assert f"error: {cfg}: no [[sinks]] configured (see docs/alerts.md" in named.stderr

    def test_config_check_masks_sink_secrets(self, tmp_path: Path) -> None:
        """config check prints sinks with the URL and header values masked."""
        cfg = write_config(
            tmp_path,
            '[[sinks]]\ntype = "webhook"\nurl = "https://hooks.slack.com/services/SECRETPART"\n'
            'headers = { Authorization = "Bearer SECRETTOKEN" }\n'
            '[[sinks]]\ntype = "email"\nhost = "mail.example.com"\nusername = "kw"\n'
            'password_env = "KW_SMTP"\nfrom = "kw@example.com"\nto = ["a@example.com"]\n',
        )
        result = run("config", "check", "-c", str(cfg))
        assert result.exit_code == 0, result.output
        assert "SECRETPART" not in result.stdout and "SECRETTOKEN" not in result.stdout
        sinks = tomllib.loads(result.stdout)["sinks"]
        assert sinks[0]["url"] == "********"
        assert sinks[0]["headers"] == {"Authorization": "********"}
        assert sinks[1]["password_env"] == "KW_SMTP"

    def test_command_secrets_are_masked(self, tmp_path: Path) -> None:
        """A command sink's env values and the secrets in its argv never print: not in
        the list, not while sending, not in config check. Names stay visible."""
        cfg = write_config(
            tmp_path,
            '[[sinks]]\ntype = "command"\nname = "pager"\n'
            'command = ["/bin/true", "--token=SECRET1", "-p", "SECRET2", "--team", "mail", '
            '"https://bob:SECRET3@pager.example.com/send?token=SECRET4"]\n'
            'env = { PAGER_TOKEN = "SECRET5", PAGER_TEAM = "SECRET6" }\n',
        )
        listed = run("test-sink", "-c", str(cfg))
        sent = run("test-sink", "-c", str(cfg), "pager")
        checked = run("config", "check", "-c", str(cfg))
        assert sent.exit_code == 0, sent.output
        for result in (listed, sent, checked):
            text = result.stdout + result.stderr
            assert "SECRET" not in text, text
        assert listed.stdout.strip() == (
            "pager (command): command=[/bin/true, --token=********, -p, ********, --team, mail, "
            "https://bob:********@pager.example.com/send?token=********], "
            "env={PAGER_TOKEN: ********, PAGER_TEAM: ********}"
        )
        sink = tomllib.loads(checked.stdout)["sinks"][0]
        assert sink["env"] == {"PAGER_TOKEN": "********", "PAGER_TEAM": "********"}
        assert sink["command"][:4] == ["/bin/true", "--token=********", "-p", "********"]

    def test_config_errors_name_sink_and_key(self, tmp_path: Path) -> None:
        """Invalid sink options fail config check with file, sink index and key."""
        cfg = write_config(
            tmp_path, '[[sinks]]\ntype = "syslog"\nprotocol = "relp"\ncooldown = "soon"\n'
        )
        result = run("config", "check", "-c", str(cfg))
        assert result.exit_code == ExitStatus.CONFIG_ERROR
        assert f"{cfg}: sinks[0]: protocol: expected one of" in result.stderr
        assert f"{cfg}: sinks[0]: cooldown: expected a duration" in result.stderr


class TestScanDelivers:
    """scan queues reported alerts for the sinks and delivers them after saving."""

    def logs(self, tmp_path: Path) -> Path:
        """A mail.log in which alice sends as an outside address (one medium alert)."""
        folder = tmp_path / "logs"
        folder.mkdir()
        path = folder / "mail.log"
        path.write_text(
            recv_line(T0, 1, 1, sender="alice@example.com", to="b@partner.test",
                      user="alice@example.com") + "\n"
            + recv_line(T0 + dt.timedelta(minutes=5), 1, 2, sender="ceo@evil.test",
                        to="x@victim.test", user="alice@example.com", host="203.0.113.9") + "\n"
        )  # fmt: skip
        return path

    def test_scan_writes_to_the_sinks(self, tmp_path: Path) -> None:
        """The alert reaches the jsonl sink; a refused webhook waits for retry; scan exits 0."""
        out = tmp_path / "alerts.jsonl"
        cfg = write_config(
            tmp_path,
            f'[[sinks]]\ntype = "jsonl"\nname = "file"\npath = "{out}"\n'
            f'[[sinks]]\ntype = "webhook"\nname = "hook"\nurl = "http://127.0.0.1:{free_port()}/x"\n',
        )
        db = tmp_path / "state.db"
        result = run("scan", "--db", str(db), "-c", str(cfg), str(self.logs(tmp_path)))
        assert result.exit_code == 0, result.output
        (record,) = [json.loads(x) for x in out.read_text().splitlines()]
        assert record["user"] == "alice@example.com"
        # decisive; the desk in use 5 minutes before (at_desk) escalates it to critical
        assert "kerio.mail.from_external" in record["rules"]
        assert record["summary"].startswith("Decisive: ")
        assert "sink file (jsonl): 1 sent" in result.stderr
        assert (
            "sink hook (webhook): 0 sent, 1 waiting (cooldown or retry); last error: "
            in result.stderr
        )

    def test_scan_with_a_hanging_webhook_reports_and_exits(
        self, tmp_path: Path, http_server: Callable[..., HTTPServer]
    ) -> None:
        """A webhook that answers after 30 s (timeout 1 s): scan still delivers the file,
        waits a bounded time for the webhook, reports both sinks and exits 0."""
        hanging = http_server((200,), delay=30)
        out = tmp_path / "alerts.jsonl"
        cfg = write_config(
            tmp_path,
            f'[[sinks]]\ntype = "jsonl"\nname = "file"\npath = "{out}"\n'
            f'[[sinks]]\ntype = "webhook"\nname = "hook"\nurl = "{hanging.url}"\ntimeout = "1s"\n',
        )
        start = time.monotonic()
        result = run("scan", "--db", str(tmp_path / "s.db"), "-c", str(cfg),
                     str(self.logs(tmp_path)))  # fmt: skip
        assert time.monotonic() - start < 1 + 5 + 3
        assert result.exit_code == 0, result.output
        assert len(out.read_text().splitlines()) == 1
        assert "sink file (jsonl): 1 sent" in result.stderr
        assert (
            "sink hook (webhook): 0 sent, 1 waiting (cooldown or retry); last error: "
            "127.0.0.1: no answer within 1 s" in result.stderr
        )

    def test_no_sinks(self, tmp_path: Path) -> None:
        """--no-sinks stores the alert but delivers nothing."""
        out = tmp_path / "alerts.jsonl"
        cfg = write_config(tmp_path, f'[[sinks]]\ntype = "jsonl"\npath = "{out}"\n')
        db = tmp_path / "state.db"
        result = run(
            "scan", "--db", str(db), "-c", str(cfg), "--no-sinks", str(self.logs(tmp_path))
        )
        assert result.exit_code == 0, result.output
        assert not out.exists()
        assert "sink " not in result.stderr

    def test_command_sink_from_scan(self, tmp_path: Path) -> None:
        """A command sink gets the alert JSON on stdin during a scan."""
        out = tmp_path / "from-command.json"
        script = f"import sys; open({str(out)!r}, 'w').write(sys.stdin.read())"
        cfg = write_config(
            tmp_path,
            '[[sinks]]\ntype = "command"\n'
            f'command = [{json.dumps(sys.executable)}, "-c", {json.dumps(script)}]\n',
        )
        result = run(
            "scan", "--db", str(tmp_path / "s.db"), "-c", str(cfg), str(self.logs(tmp_path))
        )
        assert result.exit_code == 0, result.output
        assert json.loads(out.read_text())["user"] == "alice@example.com"
