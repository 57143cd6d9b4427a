"""End-to-end: ``kerio-watch scan`` and the From/User check, through the real CLI."""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest
from click.testing import Result
from rich.console import Console

from faultlib import cli as run_cli
from kerio_watch.cli.scan import _print_implausible
from kerio_watch.exitcodes import ExitStatus
from kerio_watch.pipeline.timeguard import KEPT_CHARS, LISTED, Doubt, TimeGuard
from kerio_watch.sources.files import MAX_LINE
from logtools import SAMPLES, recv_line, sent_line

T0 = dt.datetime(2026, 3, 10, 10, 0, 0)  # local time, site at UTC+1


def line(minutes: int, n: int, **kw: str) -> str:
    """A Recv line ``minutes`` after T0 at a UTC+1 site."""
    return recv_line(T0 + dt.timedelta(minutes=minutes), 1, n, **kw)


def _write_quietly(pipe: Path, data: bytes) -> None:
    """Write to a named pipe (the reader may go away: then stop)."""
    with contextlib.suppress(BrokenPipeError):
        pipe.write_bytes(data)


def alerts_of(result: Result) -> list[dict[str, object]]:
    """The JSON objects printed by ``--format jsonl``."""
    return [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]


class TestFromUser:
    """The seed's check done right: addresses, aliases, DSNs, domains."""

    def test_outside_from_is_high_with_who_what_where(
        self, write_log: Callable[..., Path], cli: Callable[..., Result]
    ) -> None:
        """An account sending as an outside domain it never used, from outside the trusted
        networks, raises one explained alert: a decisive fact, high on its own."""
        path = write_log(
            "mail.log",
            [
                line(
                    0,
                    1,
                    sender="alice@example.com",
                    to="bob@partner.test",
                    user="alice@example.com",
                ),
                line(
                    5,
                    2,
                    sender="ceo@evil.test",
                    to="x@victim.test",
                    user="alice@example.com",
                    host="203.0.113.9",
                ),
            ],
        )
        result = cli("scan", "--format", "jsonl", str(path))
        assert result.exit_code == 0, result.output
        alerts = alerts_of(result)
        assert len(alerts) == 1
        alert = alerts[0]
        assert {"time", "user", "rule", "severity", "summary", "source_ip", "evidence"} <= set(
            alert
        )
        assert alert["user"] == "alice@example.com"
        # decisive; alice's desk in use 5 minutes before (at_desk) is a stranger's access
        assert "kerio.mail.from_external" in cast(list[str], alert["rules"])
        assert alert["severity"] == "critical"
        assert alert["source_ip"] == "203.0.113.9"
        assert alert["time"] == "2026-03-10T10:05:00+01:00"
        summary = str(alert["summary"])
        assert "ceo@evil.test" in summary and "203.0.113.9" in summary and "SMTP" in summary
        assert summary.startswith("Decisive: ")
        assert any("ceo@evil.test" in str(e) for e in cast(list[object], alert["evidence"]))

    def test_other_local_address_is_less_serious(
        self, write_log: Callable[..., Path], cli: Callable[..., Result]
    ) -> None:
        """Sending as a colleague is flagged lower than sending as an outsider: use alone,
        moderate, is a low incident, kept but not alerted."""
        path = write_log(
            "mail.log",
            [
                line(
                    0, 1, sender="alice@example.com", to="a@partner.test", user="alice@example.com"
                ),
                line(0, 3, sender="bob@example.com", to="c@partner.test", user="bob@example.com"),
                line(1, 2, sender="bob@example.com", to="b@partner.test", user="alice@example.com"),
            ],
        )
        db = str(path.parent / "state.db")
        assert alerts_of(cli("scan", "--db", db, "--format", "jsonl", str(path))) == []
        (incident,) = alerts_of(cli("incidents", "--db", db, "-f", "jsonl"))
        assert incident["severity"] == "low"
        signals = cast(list[dict[str, object]], incident["signals"])
        assert [s["rule"] for s in signals] == ["kerio.mail.from_other_local"]

    def test_aliases_case_and_alias_domains_are_fine(
        self, write_log: Callable[..., Path], cli: Callable[..., Result], tmp_path: Path
    ) -> None:
        """Configured aliases, case differences and alias domains raise nothing."""
        config = tmp_path / "kw.toml"
        config.write_text(
            '[site]\nlocal_domains = ["example.com"]\n'
            'domain_aliases = { "example.net" = "example.com" }\n'
            '[users."alice@example.com"]\naliases = ["sales@example.com"]\n'
        )
        path = write_log(
            "mail.log",
            [
                line(0, 1, sender="Alice@Example.COM", to="a@p.test", user="alice@example.com"),
                line(1, 2, sender="sales@example.com", to="b@p.test", user="ALICE@example.com"),
                line(2, 3, sender="alice@example.net", to="c@p.test", user="alice@example.com"),
            ],
        )
        result = cli("scan", "--config", str(config), "--format", "jsonl", str(path))
        assert result.exit_code == 0, result.output
        assert alerts_of(result) == []

    def test_substring_is_not_a_match(
        self, write_log: Callable[..., Path], cli: Callable[..., Result]
    ) -> None:
        """The seed's substring test would accept this From; an address compare does not."""
        path = write_log(
            "mail.log",
            [
                line(0, 1, sender="al@example.com.evil.test", to="a@p.test", user="al@example.com"),
            ],
        )
        alerts = alerts_of(cli("scan", "--format", "jsonl", str(path)))
        assert [a["rule"] for a in alerts] == ["kerio.mail.from_external"]

    def test_dsn_is_not_a_sender(
        self, write_log: Callable[..., Path], cli: Callable[..., Result]
    ) -> None:
        """``From: <>`` bounces and unauthenticated inbound mail raise nothing."""
        path = write_log(
            "mail.log",
            [
                "[10/Mar/2026 10:00:00] Recv: Queue-ID: 69afdd20-00000001, Service: DSN, From: <>, "
                "To: <alice@example.com>, Size: 2764, Report: failed, Subject: Undeliverable: hi",
                line(1, 2, sender="news@shop.test", to="alice@example.com", host="198.51.100.7"),
            ],
        )
        result = cli("scan", "--format", "jsonl", str(path))
        assert result.exit_code == 0
        assert alerts_of(result) == []

    def test_long_used_from_becomes_normal(
        self, write_log: Callable[..., Path], cli: Callable[..., Result]
    ) -> None:
        """A From the account has used for days is learned; the first uses still count."""
        lines = [
            line(day * 24 * 60, day, sender="me@private.test", to="x@p.test", user="al@example.com")
            for day in range(5)
        ]
        path = write_log("mail.log", lines)
        result = cli("scan", "--format", "jsonl", str(path))
        alerts = alerts_of(result)
        # One incident opened early; later uses after learning do not re-alert.
        assert len(alerts) == 1
        assert alerts[0]["time"] == "2026-03-10T10:00:00+01:00"


class TestScanBehaviour:
    """Options, exit codes, output hygiene and state across runs."""

    def _mismatch_log(self, write_log: Callable[..., Path]) -> Path:
        return write_log(
            "mail.log",
            [
                line(0, 1, sender="x@evil.test", to="a@p.test", user="alice@example.com"),
                line(
                    60 * 24,
                    2,
                    sender="y@evil.test",
                    to="b@p.test",
                    user="bob@example.com",
                    subject="\x1b[31mred\x1b]0;title\x07 <b>bold</b>",
                ),
            ],
        )

    def test_fail_on(self, write_log: Callable[..., Path], cli: Callable[..., Result]) -> None:
        """--fail-on makes the exit code say whether anything serious was found."""
        path = self._mismatch_log(write_log)
        assert cli("scan", "--fail-on", "medium", str(path)).exit_code == ExitStatus.FINDINGS
        path2 = write_log(
            "mail.log",
            [line(0, 1, sender="a@example.com", to="b@p.test", user="a@example.com")],
            directory="clean",
        )
        assert cli("scan", "--fail-on", "low", str(path2)).exit_code == ExitStatus.OK

    def test_since_reports_only_later_alerts(
        self, write_log: Callable[..., Path], cli: Callable[..., Result]
    ) -> None:
        """--since (local time without offset) hides earlier alerts but still reads the lines."""
        path = self._mismatch_log(write_log)
        alerts = alerts_of(
            cli("scan", "--format", "jsonl", "--since", "2026-03-11T00:00", str(path))
        )
        assert [a["user"] for a in alerts] == ["bob@example.com"]

    def test_text_output_is_inert(
        self, write_log: Callable[..., Path], cli: Callable[..., Result]
    ) -> None:
        """No terminal control characters from the log reach the output."""
        path = self._mismatch_log(write_log)
        result = cli("scan", str(path))
        assert result.exit_code == 0
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout
        assert "alice@example.com" in result.stdout and "MEDIUM" in result.stdout

    def test_rescan_changes_nothing(
        self, write_log: Callable[..., Path], cli: Callable[..., Result]
    ) -> None:
        """Re-reading lines an earlier run processed raises nothing new."""
        path = self._mismatch_log(write_log)
        first = alerts_of(cli("scan", "--format", "jsonl", str(path)))
        second = cli("scan", "--format", "jsonl", str(path))
        assert len(first) == 2
        assert alerts_of(second) == []
        assert "already processed" in second.stderr

    def test_rescan_says_every_line_was_already_processed(
        self, write_log: Callable[..., Path], cli: Callable[..., Result]
    ) -> None:
        """The delivery lines the pre-filter drops unparsed are not counted again by a
        re-scan, which goes on where the first left the file; new lines after them count
        as new (deliveries included)."""
        lines = []
        for i in range(10):
            when = T0 + dt.timedelta(minutes=i)
            lines.append(recv_line(when, 1, i, sender=f"p{i}@p.test", to="al@example.com"))
            lines.append(sent_line(when + dt.timedelta(seconds=1), 1, i, to="al@example.com"))
        path = write_log("mail.log", lines)

        def summary(result: Result) -> str:
            return " ".join(result.stderr.split())

        first = summary(cli("scan", str(path)))
        assert "10 message_received" in first and "10 message_delivery" in first
        second = summary(cli("scan", str(path)))
        assert "message_delivery" not in second and "message_received" not in second
        passed = "the 20 lines it had already processed were not read again"
        assert passed in second
        later = T0 + dt.timedelta(hours=1)
        lines += [
            recv_line(later, 1, 99, sender="q@p.test", to="al@example.com"),
            sent_line(later, 1, 99, to="al@example.com"),
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        third = summary(cli("scan", str(path)))
        assert "1 message_received" in third and "1 message_delivery" in third
        assert passed in third

    def test_second_scan_continues_learning(
        self, write_log: Callable[..., Path], cli: Callable[..., Result]
    ) -> None:
        """A later scan of newer lines builds on the first run's profiles."""
        old = write_log(
            "mail.log",
            [
                line(
                    d * 24 * 60, d, sender="info@example.com", to="x@p.test", user="al@example.com"
                )
                for d in range(4)
            ],
            directory="old",
        )
        db = str(old.parent / "state.db")
        assert alerts_of(cli("scan", "--db", db, "--format", "jsonl", str(old))) == []
        lows = alerts_of(cli("incidents", "--db", db, "-f", "jsonl"))
        assert [i["severity"] for i in lows] == ["info"]  # a role address: kept, weak
        new = write_log(
            "mail.log",
            [
                line(
                    10 * 24 * 60, 9, sender="info@example.com", to="y@p.test", user="al@example.com"
                )
            ],
            directory="new",
        )
        assert alerts_of(cli("scan", "--db", db, "--format", "jsonl", str(new))) == []
        assert len(alerts_of(cli("incidents", "--db", db, "-f", "jsonl"))) == 1  # learned

    def test_ack_benign_teaches_the_baseline(
        self, write_log: Callable[..., Path], cli: Callable[..., Result]
    ) -> None:
        """After ``ack --benign`` the same behaviour does not alert again."""
        old = write_log(
            "mail.log",
            [line(0, 1, sender="me@private.test", to="x@p.test", user="al@example.com")],
            directory="old",
        )
        first = alerts_of(cli("scan", "--format", "jsonl", str(old)))
        assert [a["severity"] for a in first] == ["medium"]
        db = str(Path(old).parents[1] / "state.db")
        listed = cli("incidents", "--db", db, "--format", "jsonl")
        incident = json.loads(listed.stdout.splitlines()[0])
        assert incident["status"] == "open" and incident["user"] == "al@example.com"
        acked = cli("ack", "--db", db, str(incident["id"]), "--benign", "--yes")
        assert acked.exit_code == 0, acked.output
        assert "me@private.test" in acked.stdout
        new = write_log(
            "mail.log",
            [line(10 * 24 * 60, 9, sender="me@private.test", to="y@p.test", user="al@example.com")],
            directory="new",
        )
        assert alerts_of(cli("scan", "--db", db, "--format", "jsonl", str(new))) == []
        assert len(alerts_of(cli("incidents", "--db", db, "-f", "jsonl"))) == 1  # learned
        status = json.loads(
            cli("incidents", "--db", db, "--format", "jsonl").stdout.splitlines()[-1]
        )
        assert status["status"] == "benign"

    def test_incidents_table_is_on_the_server_clock(
        self, write_log: Callable[..., Path], cli: Callable[..., Result], tmp_path: Path
    ) -> None:
        """The table shows the same local times as the alert text, and says which clock."""
        path = write_log(
            "mail.log", [line(0, 1, sender="x@evil.test", to="a@p.test", user="al@example.com")]
        )
        db = str(tmp_path / "clock.db")
        assert cli("scan", "--db", db, str(path)).exit_code == 0
        inferred = cli("incidents", "--db", db)
        assert "2026-03-10 10:00" in inferred.stdout
        assert "times at UTC+01:00 (inferred from Queue-IDs)" in inferred.stdout
        config = tmp_path / "kw.toml"
        config.write_text('[site]\ntimezone = "Asia/Tokyo"\n', encoding="utf-8")
        tokyo = cli("incidents", "--db", db, "--config", str(config))
        assert "2026-03-10 18:00" in tokyo.stdout and "times in Asia/Tokyo" in tokyo.stdout

    def test_stdin(self, cli: Callable[..., Result]) -> None:
        """``-`` reads the log from standard input."""
        text = line(0, 1, sender="x@evil.test", to="a@p.test", user="al@example.com") + "\n"
        result = cli("scan", "--format", "jsonl", "-", input=text)
        assert [a["user"] for a in alerts_of(result)] == ["al@example.com"]

    def test_missing_path(self, cli: Callable[..., Result], tmp_path: Path) -> None:
        """A missing path is named, with no traceback."""
        result = cli("scan", str(tmp_path / "nope"))
        assert result.exit_code == ExitStatus.INPUT_ERROR
        assert "nope: no such file or directory" in result.stderr
        assert "Traceback" not in result.output

    def test_not_a_log(self, cli: Callable[..., Result], tmp_path: Path) -> None:
        """A folder with no Kerio log says so, naming the files read and where to see
        what is expected (it said "not logs: ...", of an Apache or a Postfix log)."""
        (tmp_path / "d").mkdir()
        (tmp_path / "d" / "notes.txt").write_text("hello\nworld\n")
        result = cli("scan", str(tmp_path / "d"))
        assert result.exit_code == ExitStatus.INPUT_ERROR
        assert "no Kerio Connect logs found" in result.stderr
        assert f"(not a Kerio Connect log: {tmp_path / 'd' / 'notes.txt'}; " in result.stderr
        assert "`kerio-watch list formats` lists them)" in result.stderr

    def test_an_empty_file_is_said_to_be_empty(
        self, cli: Callable[..., Result], tmp_path: Path
    ) -> None:
        """An empty file was "not a Kerio Connect log", as if it held another program's
        lines: it is said to be empty (a file, standard input, beside another file)."""
        empty = tmp_path / "mail\x1b[31m.log.0"
        empty.write_bytes(b"")
        result = cli("scan", str(empty))
        assert result.exit_code == ExitStatus.INPUT_ERROR, result.output
        assert f"(empty, nothing to read: {tmp_path}/mail\\x1b[31m.log.0)" in result.stderr
        assert "\x1b" not in result.stderr and "not a Kerio Connect log" not in result.stderr
        piped = cli("scan", "-", input="")
        assert "(empty, nothing to read: <stdin>)" in piped.stderr, piped.output
        (tmp_path / "notes.txt").write_text("hello\n")
        both = cli("scan", str(empty), str(tmp_path / "notes.txt"))
        assert "empty, nothing to read: " in both.stderr
        assert f"; not a Kerio Connect log: {tmp_path / 'notes.txt'}; " in both.stderr

    def test_bad_config(
        self, write_log: Callable[..., Path], cli: Callable[..., Result], tmp_path: Path
    ) -> None:
        """Every config problem is listed with file and key; exit status 3."""
        config = tmp_path / "bad.toml"
        config.write_text(
            '[site]\ntrusted_networks = ["10.0.0.0/33"]\ntimezone = "Mars/Olympus"\n'
            'colour = "blue"\n[users."bob"]\naliases = "x"\n'
        )
        path = write_log("mail.log", [line(0, 1, sender="a@b.c", to="d@e.f")])
        result = cli("scan", "--config", str(config), str(path))
        assert result.exit_code == ExitStatus.CONFIG_ERROR
        err = result.stderr
        assert f"{config}: site.trusted_networks[0]" in err
        assert f"{config}: site.timezone" in err
        assert f"{config}: site.colour: unknown key" in err
        assert "users.bob.aliases: expected a list of strings" in err
        assert "Traceback" not in result.output

    def test_a_cut_archive_is_named_without_show_unparsed(
        self, cli: Callable[..., Result], tmp_path: Path
    ) -> None:
        """An archive cut short (a full disk while logrotate compressed, a copy taken too
        early): read up to the damage, and the summary says so (was: only "1 unparsed",
        the reason behind --show-unparsed)."""
        lines = [line(n, n, sender="al@example.com", to="a@p.test") for n in range(3000)]
        packed = gzip.compress(("\n".join(lines) + "\n").encode())
        path = tmp_path / "mail.log.2.gz"
        path.write_bytes(packed[: len(packed) // 2])
        result = cli("scan", str(path))
        assert result.exit_code == 0 and "Traceback" not in result.output
        said = " ".join(result.stderr.split())  # the engines word the error differently
        assert f"{path}: read error: " in said and ": the rest of it was not read" in said

    @pytest.mark.parametrize("how", ["named-pipe", "named-pipe-gzip", "process-substitution"])
    def test_a_pipe_is_read_whole(self, tmp_path: Path, how: str) -> None:
        """``scan <(zcat mail.log.1.gz)`` or a named pipe: every line once (was: the
        checks and the sniffing took the first bytes and lines from the pipe, and the
        scan read the rest: 283 of 400 lines, one of them cut; a named pipe hung)."""
        lines = [line(n, n, sender="al@example.com", to="a@p.test") for n in range(400)]
        data = ("\n".join(lines) + "\n").encode()
        db = str(tmp_path / "state.db")
        if how == "process-substitution":
            if shutil.which("bash") is None:
                pytest.skip("no bash")
            (tmp_path / "mail.txt").write_bytes(data)
            command = f"{sys.executable} -m kerio_watch scan --db {db} <(cat {tmp_path}/mail.txt)"
            result = subprocess.run(
                ["bash", "-c", command], capture_output=True, text=True, timeout=60, check=False
            )
            named = "/dev/fd/"
        else:
            pipe = tmp_path / "mail.log"
            os.mkfifo(pipe)
            packed = gzip.compress(data) if how.endswith("gzip") else data
            writer = threading.Thread(target=_write_quietly, args=(pipe, packed), daemon=True)
            writer.start()
            result = run_cli("scan", "--db", db, str(pipe), timeout=60)
            named = str(pipe)
        assert result.returncode == 0, result.stderr
        assert " (mail): 400 lines: 400 message_received" in result.stderr
        assert named in result.stderr and "unparsed" not in result.stderr

    def test_a_file_named_twice_is_read_once(
        self, write_log: Callable[..., Path], cli: Callable[..., Result], tmp_path: Path
    ) -> None:
        """A folder and a file in it, a link to the folder, a hard link: one file, read
        once (its sends were counted twice in the baseline)."""
        path = write_log(
            "mail.log", [line(n, n, sender="al@example.com", to="a@p.test") for n in range(5)]
        )
        (tmp_path / "link").symlink_to(path.parent)
        (tmp_path / "hard.log").hardlink_to(path)
        once = cli("scan", "--db", str(tmp_path / "once.db"), str(path.parent))
        named = (str(path.parent), str(path), str(tmp_path / "link"), str(tmp_path / "hard.log"))
        twice = cli("scan", "--db", str(tmp_path / "twice.db"), *named)
        assert once.exit_code == twice.exit_code == 0
        assert twice.stderr.count("5 lines") == 1

        def sends(db: str) -> object:
            with sqlite3.connect(tmp_path / db) as conn:
                return conn.execute("SELECT sum(count) FROM activity").fetchone()[0]

        assert sends("twice.db") == sends("once.db") == 5


from logtools import SHARED_SAMPLES  # noqa: E402


@pytest.mark.skipif(not SHARED_SAMPLES.is_dir(), reason="shared/samples is not beside the checkout")
def test_shared_samples_scan_cleanly(cli: Callable[..., Result]) -> None:
    """Every public sample log is read with nothing left unparsed."""
    result = cli("scan", str(SHARED_SAMPLES))
    assert result.exit_code == 0, result.output
    assert " unparsed" not in result.stderr.replace("--show-unparsed lists", "")


def test_syslog_server_file(tmp_path: Path, cli: Callable[..., Result]) -> None:
    """A syslog server's file mixing several Kerio logs (RFC 3164 and rsyslog formats)."""
    path = tmp_path / "kerio.log"
    path.write_text(
        "Mar 10 09:59:00 mx01 audit: SMTP: User al@example.com authenticated  from IP address"
        " 203.0.113.9\n"
        "2026-03-10T10:00:00+01:00 mx01 mail: Recv: Queue-ID: 69afdd20-00000001, Service: SMTP,"
        " From: <boss@evil.test>, To: <v@victim.test>, Size: 10, Sender-Host: 203.0.113.9,"
        " User: al@example.com, SSL: yes, Subject: hi, Msg-Id: <1@x>\n"
        "<38>Mar 10 10:00:05 mx01 security: Failed SMTP login from 198.51.100.7 with SASL"
        " method LOGIN.\n"
    )
    result = cli("scan", "--format", "jsonl", str(path))
    assert result.exit_code == 0, result.output
    assert [a["user"] for a in alerts_of(result)] == ["al@example.com"]
    assert "1 login_succeeded" in result.stderr and "1 login_failed" in result.stderr
    assert "unparsed" not in result.stderr


def test_unparsed_lines_are_shown_inert(tmp_path: Path, cli: Callable[..., Result]) -> None:
    """--show-unparsed prints hostile lines as text: no markup, no control characters."""
    path = tmp_path / "security.log"
    path.write_text(
        "[17/May/2017 19:43:42] Failed SMTP login from 212.92.127.112 with SASL method LOGIN.\n"
        "[17/May/2017 19:43:43] [bold red]pwned[/] \x1b[2J [link=http://evil.test]x[/link]\n"
    )
    result = cli("scan", "--show-unparsed", str(path))
    assert result.exit_code == 0
    assert "[bold red]pwned[/]" in result.stderr.replace("\n", "")
    assert "\x1b" not in result.stderr


def test_unparsed_lines_not_listed_are_counted(tmp_path: Path, cli: Callable[..., Result]) -> None:
    """A listing cut short says how many it left out, and how to see them."""
    path = tmp_path / "security.log"
    good = "[17/May/2017 19:43:42] Failed SMTP login from 212.92.127.112 with SASL method LOGIN.\n"
    path.write_text(good + "".join(f"[17/May/2017 19:43:43] junk {i}\n" for i in range(205)))
    plain = cli("scan", str(path))
    assert "205 unparsed" in plain.stderr
    assert "(--show-unparsed lists the unparsed lines)" in plain.stderr
    listed = cli("scan", "--show-unparsed", "--db", str(tmp_path / "b.db"), str(path))
    assert listed.stderr.count("  unparsed line ") == 200
    assert "  ... and 5 more unparsed, not kept (the first 200 of a file are;" in listed.stderr
    parsed = cli("parse", "--show-unparsed", str(path))
    assert "  ... and 5 more, not kept (the first 200 of a file are;" in parsed.stderr


def test_quoted_lines_are_whole_off_a_terminal(tmp_path: Path, cli: Callable[..., Result]) -> None:
    """An unparsed line of 1,000 characters is listed whole (it was cut at 300); one
    longer than a line kerio-watch reads is cut when read, and the summary counts it."""
    path = tmp_path / "security.log"
    good = "[17/May/2017 19:43:42] Failed SMTP login from 212.92.127.112 with SASL method LOGIN.\n"
    long = "[17/May/2017 19:43:43] junk " + "y" * 1000
    huge = "[17/May/2017 19:43:44] junk " + "z" * (MAX_LINE + 10)
    path.write_text(good + long + "\n" + huge + "\n")
    result = cli("scan", "--show-unparsed", str(path))
    assert long in result.stderr
    assert "z" * (MAX_LINE - 28) in result.stderr and "z" * (MAX_LINE - 27) not in result.stderr
    assert f", 1 cut at {MAX_LINE:,} characters" in result.stderr


def test_a_long_implausible_line_is_kept_cut_visibly() -> None:
    """What is kept of a line set aside is bounded, and a cut shows."""
    guard = TimeGuard(3600, 86400)
    guard.note("mail.log", 7, 0, "ahead", "x" * (KEPT_CHARS + 1))
    guard.note("mail.log", 8, 0, "ahead", "y" * KEPT_CHARS)
    cut, whole = guard.found
    assert cut.raw == "x" * (KEPT_CHARS - 1) + "…" and whole.raw == "y" * KEPT_CHARS


def test_implausible_lines_beyond_those_kept() -> None:
    """More implausible lines than a run keeps: the summary says how many it cannot list."""
    found = [Doubt("mail.log", i, 0, "ahead", f"line {i}") for i in range(LISTED)]
    out = io.StringIO()
    console = Console(file=out, width=200)
    _print_implausible(console, LISTED + 50, found, show_unparsed=False)
    assert f"  ... and {LISTED + 47:,} more (--show-unparsed lists the first {LISTED:,})" in (
        out.getvalue()
    )
    out.truncate(0)
    _print_implausible(console, LISTED + 50, found, show_unparsed=True)
    assert f"  ... and 50 more not kept (the first {LISTED:,} of a run are)" in out.getvalue()


def test_demo_end_to_end(demo_output: str, demo_site: Path) -> None:
    """``kerio-watch demo`` simulates, scans and reports every planted scenario (the
    session's run of the default demo: a second run with other sizes took 5 s; the
    sizes' options are run by tests/test_quick_start.py and tests/test_status_text.py)."""
    out = demo_output
    assert "Planted scenarios" in out
    planted = out.count("  hijack ")
    assert planted >= 5 and out.count("caught (") == planted, out
    assert "false alarm" not in out and "missed" not in out
    assert (demo_site / "state.db").exists()


def test_parse_jsonl_escapes_controls_from_the_log(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """A user name with a C1 control (CSI) and a bidi override: ``parse -f jsonl`` keeps
    the data but writes them as escapes, never raw terminal controls."""
    path = tmp_path / "security.log"
    user = "ev\x9b2J\u202eil@example.com"
    path.write_text(
        f"[17/May/2017 19:43:42] IMAP: Invalid password for user {user}. "
        "Attempt from IP address 212.92.127.112.\n",
        encoding="utf-8",
    )
    result = cli("parse", "-f", "jsonl", str(path))
    assert "\x9b" not in result.stdout and "\u202e" not in result.stdout
    assert "\\u009b" in result.stdout and "\\u202e" in result.stdout
    (record,) = [json.loads(x) for x in result.stdout.splitlines()]
    assert user in json.dumps(record, ensure_ascii=False)


def test_the_progress_bar_changes_no_result(tmp_path: Path, cli: Callable[..., Result]) -> None:
    """``--progress`` (the bar, in a module of its own) finds what ``--no-progress``
    finds: the same alerts, the same summary, the same state database."""
    out = {}
    for option in ("--progress", "--no-progress"):
        db = tmp_path / f"{option.strip('-')}.db"
        result = cli("scan", option, "--format", "jsonl", "--db", str(db), str(SAMPLES))
        assert result.exit_code == 0, result.output
        with contextlib.closing(sqlite3.connect(db)) as conn:
            rows = conn.execute("SELECT count(*), group_concat(id) FROM incidents").fetchone()
        summary = result.stderr.replace(str(db), "DB").lstrip("\n")  # where the bar stood
        out[option] = (result.stdout, summary, rows)
    assert out["--progress"] == out["--no-progress"]
    assert out["--progress"][2][0] > 0
