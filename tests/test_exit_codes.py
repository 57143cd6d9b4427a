"""Exit codes exactly as in the README table: 1 is only ever an unexpected error (issue 12).

Each case was a finding: ``ack 999``, ``user`` with an unknown address, ``incidents`` and
``report`` with a missing ``--db`` and ``serve`` without its dependencies exited 1; a bad
``--since`` exited 3 ("invalid configuration").
"""

from __future__ import annotations

import builtins
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kerio_watch.cli import main
from kerio_watch.exitcodes import ExitStatus
from logtools import SAMPLES
from sitelogs import Site


def run(*args: str, input: str | None = None) -> Result:
    """The CLI in-process; errors are reported, never raised."""
    return CliRunner().invoke(main, list(args), input=input)


class TestNotFound:
    def test_ack_of_an_unknown_incident_is_a_usage_error(self, site: Site) -> None:
        """``ack 999``: the incident does not exist, so the command was used wrongly (2)."""
        result = run("ack", "999", "--resolve", "--db", str(site.db))
        assert result.exit_code == ExitStatus.USAGE, result.output
        assert "no incident 999" in result.stderr
        assert "internal error" not in result.stderr

    def test_user_with_an_unknown_address_is_a_usage_error(self, scanned_site: Site) -> None:
        """``user nobody@...``: no such account (2), with the hint."""
        result = run("user", "nobody@example.com", "--db", str(scanned_site.db))
        assert result.exit_code == ExitStatus.USAGE, result.output
        assert "no such account" in result.stderr

    def test_incidents_show_of_an_unknown_incident(self, scanned_site: Site) -> None:
        """``incidents show 999`` is the same mistake as ``ack 999``."""
        result = run("incidents", "show", "999", "--db", str(scanned_site.db))
        assert result.exit_code == ExitStatus.USAGE, result.output
        assert "no incident 999" in result.stderr


class TestMissingDatabase:
    @pytest.mark.parametrize(
        "command",
        [
            ["incidents"],
            ["incidents", "show", "1"],
            ["report"],
            ["user", "alice@example.com"],
            ["status"],
            ["serve"],
            ["ack", "1", "--resolve"],
            ["db", "check"],  # it said DAMAGED, exit 7
        ],
    )
    def test_a_missing_database_is_a_missing_input(
        self, tmp_path: Path, command: list[str]
    ) -> None:
        """A ``--db`` that does not exist is a path that cannot be used (5), not a bug (1)."""
        missing = tmp_path / "none.db"
        result = run(*command, "--db", str(missing))
        assert result.exit_code == ExitStatus.INPUT_ERROR, result.output
        assert "no such database" in result.stderr
        assert not missing.exists()  # nothing was created by looking


def log_folder(tmp_path: Path) -> Path:
    """A log folder: security.log, a rotated mail.log.1 and the live mail.log."""
    folder = tmp_path / "logs"
    folder.mkdir()
    shutil.copy(SAMPLES / "security.log", folder / "security.log")
    shutil.copy(SAMPLES / "mail.log", folder / "mail.log.1")
    shutil.copy(SAMPLES / "mail.log", folder / "mail.log")
    return folder


def without_permission(path: Path) -> list[str] | None:
    """A command prefix under which ``path`` (mode 000) cannot be read; None when no
    such run can be made here (root, who reads anything, without setpriv)."""
    path.chmod(0)
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--"]
    works = subprocess.run([*prefix, "true"], capture_output=True, check=False)
    denied = subprocess.run([*prefix, "cat", str(path)], capture_output=True, check=False)
    return prefix if works.returncode == 0 and denied.returncode != 0 else None


class TestUnreadableLogInAFolder:
    """A log in a folder that cannot be read (issue: scan and parse said "internal error:
    PermissionError", exit 1): named with why, exit 5, as when it is named itself."""

    @pytest.mark.parametrize("command", [["scan", "--db", "{db}"], ["parse"]])
    def test_scan_and_parse_name_it(
        self, tmp_path: Path, deny_reading: Callable[[Path], None], command: list[str]
    ) -> None:
        folder = log_folder(tmp_path)
        deny_reading(folder / "mail.log")
        args = [a.replace("{db}", str(tmp_path / "s.db")) for a in command]
        result = run(*args, str(folder))
        assert result.exit_code == ExitStatus.INPUT_ERROR, result.output
        assert f"{folder / 'mail.log'}: permission denied (run as a user" in result.stderr
        assert "internal error" not in result.stderr
        assert not (tmp_path / "s.db").exists()

    @pytest.mark.parametrize("engine", ["python", "auto"])
    def test_without_the_permission(self, tmp_path: Path, engine: str) -> None:
        """For real (mode 000; as root without the capabilities that bypass it), with
        either engine (the native reader's error named no file)."""
        folder = log_folder(tmp_path)
        prefix = without_permission(folder / "mail.log")
        if prefix is None:
            pytest.skip("cannot run without permission to read a file here")
        config = tmp_path / "kw.toml"
        config.write_text('[site]\ntimezone = "Europe/Berlin"\n')
        argv = [sys.executable, "-m", "kerio_watch", "--engine", engine, "scan"]
        argv += ["-c", str(config), "--db", str(tmp_path / "s.db"), str(folder)]
        result = subprocess.run(
            [*prefix, *argv], capture_output=True, text=True, check=False, timeout=120
        )
        assert result.returncode == ExitStatus.INPUT_ERROR, result.stderr
        assert f"{folder / 'mail.log'}: permission denied" in result.stderr


def _interrupt(*_args: object, **_kwargs: object) -> None:
    raise KeyboardInterrupt


def _saved_lines(db: Path) -> int:
    """How many log lines the database says were processed (0: nothing was saved)."""
    if not db.exists():
        return 0
    with sqlite3.connect(db) as con:
        return int(con.execute("SELECT count(*) FROM watermarks").fetchone()[0])


class TestInterrupted:
    """Ctrl-C in a scan said "kerio-watch: interrupted" alone: an administrator who
    stopped an hour-long backfill near its end did not know what it saved. It says what
    was kept: nothing before its first checkpoint, else up to where its last one got
    (``tests/faults/test_scan_resume.py``), everything once its final save committed."""

    def scan(self, tmp_path: Path) -> Result:
        db = tmp_path / "s.db"
        return run("scan", "--no-sinks", "--db", str(db), str(log_folder(tmp_path)))

    def test_before_the_save_nothing_was_kept(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr("kerio_watch.pipeline.core.Pipeline.run", _interrupt)
        result = self.scan(tmp_path)
        assert result.exit_code == 130 == int(ExitStatus.ERROR_CTRL_C), result.output
        assert "kerio-watch: interrupted: nothing of this scan was saved" in result.stderr
        assert "run it again" in result.stderr
        assert _saved_lines(tmp_path / "s.db") == 0

    def test_during_the_save_its_transaction_is_undone_and_said(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Inside the save's transaction (its last hook): rolled back, so not kept."""
        monkeypatch.setattr("kerio_watch.cli.scan._hand_over", _interrupt)
        result = self.scan(tmp_path)
        assert result.exit_code == 130, result.output
        assert "nothing of this scan was saved" in result.stderr
        assert _saved_lines(tmp_path / "s.db") == 0

    def test_after_the_commit_the_results_were_kept(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr("kerio_watch.pipeline.core.Pipeline.flush_journal", _interrupt)
        result = self.scan(tmp_path)
        assert result.exit_code == 130, result.output
        assert "interrupted: it had read every line and its results were saved" in result.stderr
        assert "nothing" not in result.stderr
        assert _saved_lines(tmp_path / "s.db") > 0


POSTFIX = (
    "Dec  7 01:00:01 mx postfix/smtpd[1234]: connect from unknown[203.0.113.4]\n"
    "Dec  7 01:00:02 mx postfix/smtpd[1234]: NOQUEUE: reject: RCPT from unknown[203.0.113.4]: "
    "554 5.7.1 <a@example.com>: Relay access denied\n"
)


class TestAnotherProgramsLog:
    """A Postfix log (a syslog file, framed as Kerio's logs forwarded to a syslog server
    are) was taken: "No alerts." and exit 0, as if it had been looked at. No line of it
    is Kerio's: it is named, with what kerio-watch reads, and the scan exits 5."""

    def test_alone_it_is_no_kerio_log(self, tmp_path: Path) -> None:
        log = tmp_path / "maillog"
        log.write_text(POSTFIX)
        result = run("scan", "--db", str(tmp_path / "s.db"), str(log))
        assert result.exit_code == ExitStatus.INPUT_ERROR, result.output
        assert f"{log}: none of its lines is from a Kerio Connect log" in result.stderr
        assert f"error: no Kerio Connect log lines in {log} (another program's log?" in (
            result.stderr
        )

    def test_beside_kerio_logs_it_is_named(self, tmp_path: Path) -> None:
        """Beside a Kerio log the scan goes on (exit 0) and names the stranger."""
        folder = log_folder(tmp_path)
        (folder / "maillog").write_text(POSTFIX)
        result = run("scan", "--db", str(tmp_path / "s.db"), str(folder))
        assert result.exit_code == 0, result.output
        assert f"{folder / 'maillog'}: none of its lines is from a Kerio Connect log" in (
            result.stderr
        )
        assert "mail.log: none of its lines" not in result.stderr


class TestErrorsAreEscaped:
    def test_a_file_name_reaches_the_terminal_escaped(self, tmp_path: Path) -> None:
        """An error names files, and a syslog server names its files by the sending host
        (``/var/log/remote/%HOSTNAME%.log``): a name with ESC reached the terminal raw
        (click strips colours only when the output is not a terminal)."""
        folder = tmp_path / "remote"
        folder.mkdir()
        (folder / "host\x1b]0;owned\x07\x1b[2J.log").write_text("hello\n")
        result = CliRunner().invoke(
            main, ["scan", "--db", str(tmp_path / "s.db"), str(folder)], color=True
        )
        assert result.exit_code == ExitStatus.INPUT_ERROR, result.output
        assert "\x1b" not in result.stderr and "\x07" not in result.stderr
        assert "host\\x1b]0;owned\\x07\\x1b[2J.log" in result.stderr


class TestBadValues:
    @pytest.mark.parametrize(
        "args",
        [
            ["report", "--since", "yesterday"],
            ["report", "--until", "tomorrow"],
            ["user", "alice@example.com", "--since", "yesterday"],
        ],
    )
    def test_a_bad_time_is_a_usage_error(self, scanned_site: Site, args: list[str]) -> None:
        """A bad ``--since``/``--until`` is wrong usage (2), naming the option."""
        result = run(*args, "--db", str(scanned_site.db))
        assert result.exit_code == ExitStatus.USAGE, result.output
        assert args[-2] in result.stderr

    def test_scan_with_a_bad_since(self, scanned_site: Site, tmp_path: Path) -> None:
        """``scan --since yesterday`` is wrong usage too (it was 3)."""
        result = run(
            "scan", "--db", str(tmp_path / "s.db"), "--since", "yesterday", str(scanned_site.logs)
        )
        assert result.exit_code == ExitStatus.USAGE, result.output
        assert "--since" in result.stderr

    def test_since_after_until(self, scanned_site: Site) -> None:
        """A period that ends before it starts: wrong usage."""
        result = run(
            "report",
            "--db",
            str(scanned_site.db),
            "--since",
            "2026-03-20",
            "--until",
            "2026-03-19",
        )
        assert result.exit_code == ExitStatus.USAGE, result.output


class TestServeWithoutItsDependencies:
    def test_names_the_fix_and_exits_3(
        self, scanned_site: Site, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A broken install (Flask missing) is an installation problem (3), and the hint
        is a command that works where kerio-watch was installed from."""
        real_import = builtins.__import__

        def no_flask(name: str, *args: Any, **kwargs: Any) -> Any:
            if name == "flask" or name.startswith("flask."):
                raise ModuleNotFoundError("No module named 'flask'", name="flask")
            return real_import(name, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", no_flask)
        for module in [m for m in sys.modules if m.startswith("kerio_watch.web")]:
            monkeypatch.delitem(sys.modules, module)
        result = run("serve", "--db", str(scanned_site.db))
        assert result.exit_code == ExitStatus.CONFIG_ERROR, result.output
        assert "flask is missing" in result.stderr
        assert "-m pip install" in result.stderr
        assert "internal error" not in result.stderr
