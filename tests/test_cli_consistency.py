"""A consistent command line (issue 12, findings 5, 6 and 7; the admin-workflow review).

- Every command that takes ``--db`` takes ``-c/--config`` too, spelled the same, and
  reads it: a configuration that cannot be used is reported (``ack`` had no ``-c``).
- An incident is named by its number; an account's address where a number belongs
  says how to find the account's incident numbers.
- ``-f/--format`` names a format and ``-o/--output`` a file, on every command that
  prints (``parse -o`` took a format, ``report -o`` a file; ``follow`` had ``--log-format``);
  the old spellings still work, hidden, with a warning.
- ``scan`` and ``follow`` take ``--min-severity``; ``--since``, ``--until`` and ``--days``
  combine as documented, and all three at once are refused.
- Every JSON output gives times in ISO 8601 with the server's offset.
- Piped output is never hard-wrapped and never cuts an identifier.
- The default seven days do not start at a daylight-saving artefact ("Sun 23:00").
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from kerio_watch.cli import main
from kerio_watch.cli.output import REPORT_WIDTH
from kerio_watch.detect import DETECTORS
from kerio_watch.exitcodes import ExitStatus
from kerio_watch.incidents.engine import ALERT_FROM
from kerio_watch.incidents.sharing import RULES as ENGINE_RULES
from sitelogs import Site

PRINTING = [
    ["scan"],
    ["follow"],
    ["demo"],
    ["status"],
    ["incidents"],
    ["incidents", "show"],
    ["user"],
    ["report"],
    ["parse"],
    ["actions"],
    ["list"],
]
WITH_FORMATS = [c for c in PRINTING if c != ["list"]]


def run(*args: str, input: str | None = None) -> Result:
    """The CLI in-process."""
    return CliRunner().invoke(main, list(args), input=input)


def command(path: list[str]) -> click.Command:
    """The click command at ``path``."""
    cmd: click.Command = main
    for name in path:
        assert isinstance(cmd, click.Group)
        found = cmd.get_command(click.Context(cmd), name)
        assert found is not None, name
        cmd = found
    return cmd


def option(cmd: click.Command, name: str) -> click.Option | None:
    """The visible option spelled ``name``, if any."""
    for p in cmd.params:
        if isinstance(p, click.Option) and name in p.opts + p.secondary_opts and not p.hidden:
            return p
    return None


class TestOptionNames:
    @pytest.mark.parametrize("path", PRINTING, ids=" ".join)
    def test_dash_o_is_always_a_file(self, path: list[str]) -> None:
        """``-o/--output`` writes to a file everywhere."""
        found = option(command(path), "-o")
        assert found is not None and "--output" in found.opts
        assert isinstance(found.type, click.Path)

    @pytest.mark.parametrize("path", WITH_FORMATS, ids=" ".join)
    def test_dash_f_is_always_the_format(self, path: list[str]) -> None:
        """``-f/--format`` chooses the format everywhere; nothing else is called a format."""
        cmd = command(path)
        found = option(cmd, "-f")
        assert found is not None and "--format" in found.opts
        assert isinstance(found.type, click.Choice)
        assert option(cmd, "--log-format") is None

    @pytest.mark.parametrize("path", [["scan"], ["follow"]], ids=" ".join)
    def test_min_severity(self, path: list[str]) -> None:
        """``scan`` and ``follow`` take ``--min-severity`` like ``demo`` and ``incidents``."""
        assert option(command(path), "--min-severity") is not None

    @pytest.mark.parametrize("path", [["scan"], ["follow"], ["demo"]], ids=" ".join)
    def test_min_severity_defaults_to_the_alert_threshold(self, path: list[str]) -> None:
        """Alerts start at medium (a low incident raises none): printing from low by
        default would promise alerts that never come."""
        found = option(command(path), "--min-severity")
        assert found is not None and found.default == ALERT_FROM.label == "medium"


def every_command(
    cmd: click.Command = main, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Each command and group below ``main``, with its path."""
    if path:
        yield path, cmd
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(click.Context(cmd)):
            found = cmd.get_command(click.Context(cmd), name)
            assert found is not None
            yield from every_command(found, (*path, name))


WITH_DB = [" ".join(p) for p, c in every_command() if option(c, "--db") is not None]
WITH_CONFIG = [" ".join(p) for p, c in every_command() if option(c, "--config") is not None]
READS_CONFIG = {
    "scan": ["LOGS"],
    "follow": ["LOGS"],
    "status": [],
    "incidents": [],
    "incidents show": ["1"],
    "ack": ["1", "--resolve"],
    "user": ["alice@example.com"],
    "report": [],
    "serve": ["--port", "0"],
    "contain": ["1"],
    "release": ["1"],
    "actions": [],
    "db check": [],
    "db recover": ["--force", "LOGS"],
    "parse": ["LOGS"],
    "test-sink": ["email"],
    "config check": [],
}
"""Every command with ``--config``, and the arguments it needs to get that far."""


class TestConfigAndDatabase:
    def test_the_commands_are_found(self) -> None:
        """The walk sees the commands (a walk that found none would pass vacuously)."""
        assert {"ack", "incidents show", "db check", "scan", "serve"} <= set(WITH_DB)

    @pytest.mark.parametrize("name", WITH_DB)
    def test_every_command_with_a_database_takes_the_configuration(self, name: str) -> None:
        """``--db`` and ``-c/--config`` go together, spelled the same everywhere."""
        cmd = command(name.split())
        db, config = option(cmd, "--db"), option(cmd, "--config")
        assert db is not None and db.opts == ["--db"] and db.name == "db_path"
        assert config is not None, f"{name} takes --db but not -c/--config"
        assert sorted(config.opts) == ["--config", "-c"] and config.name == "config_path"
        assert isinstance(config.type, click.Path) and isinstance(db.type, click.Path)

    def test_every_command_with_a_configuration_is_tried(self) -> None:
        """A new command with ``--config`` joins :data:`READS_CONFIG`."""
        assert set(WITH_CONFIG) == set(READS_CONFIG)

    @pytest.mark.parametrize("name", sorted(READS_CONFIG))
    def test_the_configuration_is_read(self, name: str, site: Site, tmp_path: Path) -> None:
        """``-c`` naming no file is reported as a configuration error (3), before
        anything else happens; ``status`` still shows the database, and warns."""
        missing = tmp_path / "missing.toml"
        args = [str(site.logs) if a == "LOGS" else a for a in READS_CONFIG[name]]
        db = ["--db", str(site.db)] if name in WITH_DB else []
        before = site.db.stat().st_mtime_ns
        result = run(*name.split(), *args, *db, "-c", str(missing))
        assert f"{missing}: no such file" in result.stderr, (name, result.output)
        if name == "status":
            assert result.exit_code == 0 and "warning" in result.stderr
        else:
            assert result.exit_code == ExitStatus.CONFIG_ERROR, (name, result.output)
        assert site.db.stat().st_mtime_ns == before

    def test_ack_takes_the_configuration(self, site: Site) -> None:
        """``ack -c FILE`` decides, like every other command given the same options."""
        result = run("ack", "1", "--resolve", "--db", str(site.db), "-c", str(site.config))
        assert result.exit_code == 0, result.output
        assert "incident 1 (" in result.stdout and "marked resolved" in result.stdout


class TestIncidentNumbers:
    @pytest.mark.parametrize(
        "args", [["ack", "--resolve"], ["incidents", "show"], ["contain"], ["release"]]
    )
    def test_an_account_where_a_number_belongs(self, args: list[str], site: Site) -> None:
        """One line says that incidents go by number and how to list the account's."""
        result = run(*args, "Alice@example.com", "--db", str(site.db))
        assert result.exit_code == ExitStatus.USAGE
        assert "not a valid integer" not in result.stderr
        error = [x for x in result.stderr.splitlines() if x.startswith("Error:")]
        assert len(error) == 1
        assert "incidents are chosen by number" in error[0]
        assert "incidents --account Alice@example.com --status open" in error[0]

    def test_the_hint_works(self, site: Site) -> None:
        """``incidents --account`` (any case) lists exactly that account's incidents."""
        result = run(
            "incidents", "--account", "Alice@example.com", "--status", "open",
            "--db", str(site.db), "-f", "jsonl",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        rows = [json.loads(x) for x in result.stdout.splitlines()]
        assert rows and {r["key"] for r in rows} == {"alice@example.com"}
        assert {r["status"] for r in rows} == {"open"}
        everyone = run("incidents", "--db", str(site.db), "-f", "jsonl").stdout.splitlines()
        assert len(everyone) > len(rows)

    def test_something_else_where_a_number_belongs(self, site: Site) -> None:
        """Not an address: it is not a number, and ``incidents`` lists the numbers."""
        result = run("ack", "seven", "--resolve", "--db", str(site.db))
        assert result.exit_code == ExitStatus.USAGE
        assert "'seven' is not an incident number" in result.stderr


class TestOldSpellings:
    def test_parse_output_format_still_works_and_warns(self, scanned_site: Site) -> None:
        """``parse --output jsonl`` (the old spelling) prints JSON lines, with a warning."""
        result = run("parse", "--output", "jsonl", str(scanned_site.logs / "audit.log"))
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("{")
        assert "--output jsonl is deprecated, use -f/--format jsonl" in result.stderr

    def test_parse_to_a_file(self, scanned_site: Site, tmp_path: Path) -> None:
        """``parse -f jsonl -o FILE`` writes the events to the file, nothing to stdout."""
        out = tmp_path / "events.jsonl"
        result = run("parse", "-f", "jsonl", "-o", str(out), str(scanned_site.logs / "audit.log"))
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
        first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
        assert first["kind"] == "login_succeeded"

    def test_follow_log_format_still_works_and_warns(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``follow --log-format json`` is read as ``--service-log json``, with a warning."""
        cmd = command(["follow"])
        ctx = cmd.make_context("follow", ["--log-format", "json", "/var/log"])
        assert ctx.params["log_format"] == "json"
        assert "--log-format is deprecated, use --service-log" in capsys.readouterr().err
        assert "--log-format" not in run("follow", "--help").stdout


class TestScanMinSeverity:
    def test_only_alerts_at_or_above_are_printed(self, scanned_site: Site, tmp_path: Path) -> None:
        """The low alerts are counted on stderr, not printed; --fail-on still sees them."""
        db = str(tmp_path / "s.db")
        result = run(
            "scan", "--db", db, "--config", str(scanned_site.config), "-f", "jsonl",
            "--min-severity", "critical", "--fail-on", "low", str(scanned_site.logs),
        )  # fmt: skip
        assert result.exit_code == ExitStatus.FINDINGS, result.output
        printed = [json.loads(x) for x in result.stdout.splitlines()]
        assert printed and {a["severity"] for a in printed} == {"critical"}
        assert re.search(r"\d+ alerts below critical not shown", result.stderr)

    def test_alerts_to_a_file(self, scanned_site: Site, tmp_path: Path) -> None:
        """``scan -o FILE`` writes the alert text to the file."""
        out = tmp_path / "alerts.txt"
        result = run(
            "scan", "--db", str(tmp_path / "s.db"), "--config", str(scanned_site.config),
            "-o", str(out), str(scanned_site.logs),
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
        assert "CRITICAL #" in out.read_text(encoding="utf-8")


class TestPeriods:
    @pytest.mark.parametrize(
        ("args", "since", "until"),
        [
            ([], "2026-03-15T03:00:00+01:00", "2026-03-22T03:00:00+01:00"),
            (["--days", "1"], "2026-03-21T03:00:00+01:00", "2026-03-22T03:00:00+01:00"),
            (["--since", "2026-03-10"], "2026-03-10T00:00:00+01:00", "2026-03-22T03:00:00+01:00"),
            (["--until", "2026-03-12"], "2026-03-05T00:00:00+01:00", "2026-03-12T00:00:00+01:00"),
            (
                ["--since", "2026-03-10", "--days", "2"],
                "2026-03-10T00:00:00+01:00",
                "2026-03-12T00:00:00+01:00",
            ),
            (
                ["--until", "2026-03-12", "--days", "2"],
                "2026-03-10T00:00:00+01:00",
                "2026-03-12T00:00:00+01:00",
            ),
        ],
    )
    def test_since_until_days(
        self, scanned_site: Site, args: list[str], since: str, until: str
    ) -> None:
        """Each combination gives the documented period (``--days`` counted with ``--since``)."""
        result = run("report", "--db", str(scanned_site.db), "-f", "json", *args)
        assert result.exit_code == 0, result.output
        period = json.loads(result.stdout)["period"]
        assert (period["since"], period["until"]) == (since, until)

    @pytest.mark.parametrize("command_args", [["report"], ["user", "alice@example.com"]])
    def test_all_three_are_refused(self, scanned_site: Site, command_args: list[str]) -> None:
        """``--since``, ``--until`` and ``--days`` together contradict each other."""
        result = run(
            *command_args, "--db", str(scanned_site.db),
            "--since", "2026-03-10", "--until", "2026-03-12", "--days", "3",
        )  # fmt: skip
        assert result.exit_code == ExitStatus.USAGE
        assert "at most two of --since, --until and --days" in result.stderr

    @pytest.mark.parametrize(
        ("args", "days"),
        [
            (["--since", "2026-03-29", "--days", "1"], 1),  # a day of 23 hours
            (["--since", "2026-03-28T12:00", "--until", "2026-03-29T12:00"], 1),
            (["--since", "2026-03-29T00:00", "--until", "2026-03-29T06:00"], 0.25),
        ],
    )
    def test_days_are_counted_on_the_server_clock(
        self, demo_site: Path, args: list[str], days: float
    ) -> None:
        """The period's length in days is on the server's clock across the change to
        summer time: a calendar day is 1, whatever its hours."""
        db = str(demo_site / "state.db")
        result = run("report", "--db", db, "-f", "json", *args)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["period"]["days"] == days

    def test_the_default_week_starts_at_midnight_across_dst(self, demo_site: Path) -> None:
        """The demo's last week spans the change to summer time: it starts Monday 00:00,
        not Sunday 23:00."""
        db = str(demo_site / "state.db")
        period = json.loads(run("report", "--db", db, "-f", "json").stdout)["period"]
        assert period["since"] == "2026-03-23T00:00:00+01:00"
        assert period["until"] == "2026-03-30T00:00:00+02:00"
        assert period["days"] == 7  # whole local days (it said 6.958)
        text = run("report", "--db", db).stdout
        assert "Mon 2026-03-23 00:00 - Mon 2026-03-30 00:00" in text


ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?([.,]\d+)?(.*)$")


def times_in(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, value) in a JSON document that is, or looks like, a point in time."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from times_in(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from times_in(v, f"{path}[{i}]")
    elif (isinstance(value, str) and ISO.match(value)) or (
        isinstance(value, int) and not isinstance(value, bool) and 10**9 < value < 4 * 10**9
    ):
        yield path, value


class TestJsonTimes:
    def test_every_json_output_uses_the_server_offset(
        self, scanned_site: Site, tmp_path: Path
    ) -> None:
        """scan, incidents, incidents show, status, report, user, parse, demo: ISO 8601
        with the site's +01:00, never epoch seconds, never UTC."""
        db = str(scanned_site.db)
        fresh = str(tmp_path / "s.db")
        docs: list[tuple[str, Any]] = []
        outputs = {
            "scan": run("scan", "--db", fresh, "-f", "jsonl", str(scanned_site.logs)),
            "incidents": run("incidents", "--db", db, "-f", "jsonl"),
            "show": run("incidents", "show", "1", "--db", db, "-f", "json"),
            "status": run("status", "--db", db, "-f", "json"),
            "report": run("report", "--db", db, "-f", "json"),
            "user": run("user", "alice@example.com", "--db", db, "-f", "json"),
            "parse": run("parse", "-f", "jsonl", str(scanned_site.logs)),
        }
        for name, result in outputs.items():
            assert result.exit_code == 0, (name, result.output)
            if name in ("show", "status", "report", "user"):
                docs.append((name, json.loads(result.stdout)))
            else:
                docs += [(name, json.loads(x)) for x in result.stdout.splitlines()]
        found = 0
        for name, doc in docs:
            for where, value in times_in(doc):
                found += 1
                assert isinstance(value, str), f"{name}{where} is epoch seconds: {value}"
                assert ISO.match(value).group(3) == "+01:00", f"{name}{where}: {value}"  # type: ignore[union-attr]
        assert found > 100


class TestPipedOutput:
    def test_incidents_why_is_not_cut(self, scanned_site: Site) -> None:
        """Through a pipe the table keeps each explanation on one line, whole."""
        result = run("incidents", "--db", str(scanned_site.db))
        why = (
            "alice@example.com logged in via HTTP/WebMail from 203.0.113.66, never before "
            "(usually SMTP, IMAP)"
        )
        assert why in result.stdout

    def test_incidents_through_a_pipe_are_lines_not_a_padded_table(
        self, scanned_site: Site
    ) -> None:
        """One line per incident, as long as its content: a table there padded every
        line to the longest explanation (thousands of characters of borders and blanks)."""
        out = run("incidents", "--db", str(scanned_site.db)).stdout
        lines = out.splitlines()
        listed = [line for line in lines if line.startswith("#")]
        assert listed and not any(ch in out for ch in "┃│━")
        assert all(line == line.rstrip() for line in lines)
        assert re.match(r"#\d+  (high|critical)  score \d+  open.*  opened \d{4}-", listed[0])
        assert lines[0] == "Waiting for a decision:" and "Others:" in lines

    def test_rule_ids_are_never_truncated(self) -> None:
        """``list rules`` through a pipe: every rule id whole, on one line; the table
        wraps its explanations at a readable width (unwrapped, it padded every line to
        the longest one: 3,576 characters)."""
        out = run("list", "rules").stdout
        assert max(len(line) for line in out.splitlines()) <= REPORT_WIDTH
        rules = [r for cls in DETECTORS.values() for r in cls.rules]
        for rule in [*rules, *ENGINE_RULES]:  # the incident engine's own rule too
            assert re.search(rf"\b{re.escape(rule.id)}\b", out), rule.id
        assert "…" not in out
        # configuration keys in the texts are not eaten as markup ("put it in  trusted_networks")
        flat = " ".join(out.split())
        assert "[site] trusted_networks" in flat and "[enrich] hosting" in flat

    def test_the_readme_cron_recipe_mails_the_alerts(
        self, scanned_site: Site, tmp_path: Path
    ) -> None:
        """The README's recipe, run by a shell with a stand-in ``mail`` that keeps what it
        is given: the body holds the alerts, unwrapped."""
        readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
        recipe = re.search(r"```sh\n(out=\$\(kerio-watch scan --since[^\n]*)\n```", readme)
        assert recipe is not None
        bindir = tmp_path / "bin"
        bindir.mkdir()
        (bindir / "mail").write_text(f'#!/bin/sh\ncat > "{tmp_path}/body.txt"\n')
        (bindir / "date").write_text("#!/bin/sh\necho 2026-03-01T00:00:00\n")
        kw = bindir / "kerio-watch"
        kw.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m kerio_watch "$@"\n')
        for f in bindir.iterdir():
            f.chmod(f.stat().st_mode | stat.S_IEXEC)
        command = recipe.group(1).replace(
            "/opt/kerio/mailserver/store/logs",
            f"--db {tmp_path / 'cron.db'} --config {scanned_site.config} {scanned_site.logs}",
        )
        env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"}
        subprocess.run(["sh", "-c", command], env=env, cwd=tmp_path, check=True, timeout=120)
        body = (tmp_path / "body.txt").read_text(encoding="utf-8")
        assert "CRITICAL #" in body and "alice@example.com" in body
        long_line = max(body.splitlines(), key=len)
        assert len(long_line) > 120  # not hard-wrapped at 80 columns
