"""Hostile log lines through scan -> sinks, report and dashboard: nothing drives a terminal.

Log content is attacker-controlled. Here carol's account is hijacked by someone whose
user agent, subject and ``Sender-Host`` carry ESC sequences (clear the screen, set the
window title), C1 controls and a bidi override. The real CLI scans the logs into a real
database, delivering to a local SMTP server, two local webhooks and a jsonl file; then
the HTML, JSON and text reports are written and the dashboard's pages are fetched. None
of it may carry one of those characters raw, and ``source_ip`` is an IP address or
nothing, never the text from ``Sender-Host``.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import json
import re
import sqlite3
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

import sitelogs
from kerio_watch.app.config import load_config
from kerio_watch.cli import main
from kerio_watch.web.app import create_app
from kerio_watch.web.settings import WebSettings

from .conftest import HTTPServer, SMTPServer

CLEAR = "\x1b[2J\x1b[H"
TITLE = "\x1b]0;owned\x07"
CSI_8BIT = "\x9b31m"
BIDI = "\u202e"
HOSTILE_AGENT = f"{CLEAR}{TITLE}Mozilla/5.0{CSI_8BIT}{BIDI}"
HOSTILE_SUBJECT = f"invoice {CLEAR}{TITLE}{CSI_8BIT}{BIDI}txt.exe"
HOSTILE_HOST = f"203.0.113.70{CLEAR}"
"""A Sender-Host that is not an address."""
UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""What must never appear raw (tab, newline and CR are ordinary white space)."""
TOKEN = "hostile-test-token-" + "x" * 20


def hostile_site(folder: Path) -> tuple[Path, Path]:
    """The report tests' site plus a hostile hijack of carol; (logs dir, config)."""
    logs = sitelogs.site_logs()
    night = sitelogs.START + dt.timedelta(days=sitelogs.DAYS - 1, hours=3)
    logs.login(night, "carol@example.com", "HTTP/WebMail", "203.0.113.70", HOSTILE_AGENT)
    for i in range(12):
        logs.send(
            night + dt.timedelta(minutes=2 + i),
            "carol@example.com",
            [f"target{i * 5 + k}@mailbox.test" for k in range(5)],
            sender="payroll@evil.test",
            host=HOSTILE_HOST,
            subject=HOSTILE_SUBJECT,
        )
    logs_dir = folder / "logs"
    logs.write(logs_dir)
    config = folder / "kerio-watch.toml"
    config.write_text(sitelogs.CONFIG, encoding="utf-8")
    return logs_dir, config


def add_sinks(config: Path, smtp: SMTPServer, json_hook: HTTPServer, slack: HTTPServer) -> Path:
    """Every alert of the scan goes to e-mail, a JSON and a Slack webhook, and a file."""
    out = config.parent / "alerts.jsonl"
    with config.open("a", encoding="utf-8") as handle:
        handle.write(
            f'[[sinks]]\ntype = "email"\nname = "mail"\nhost = "127.0.0.1"\nport = {smtp.port}\n'
            'security = "none"\nfrom = "kw@example.com"\nto = ["admin@example.com"]\n'
            'min_severity = "low"\ncooldown = "0"\nmax_per_hour = 0\n'
            f'[[sinks]]\ntype = "webhook"\nname = "json"\nurl = "{json_hook.url}"\n'
            'min_severity = "low"\ncooldown = "0"\nmax_per_hour = 0\n'
            f'[[sinks]]\ntype = "webhook"\nname = "slack"\nformat = "slack"\nurl = "{slack.url}"\n'
            'min_severity = "low"\ncooldown = "0"\nmax_per_hour = 0\n'
            f'[[sinks]]\ntype = "jsonl"\nname = "file"\npath = "{out}"\n'
            'min_severity = "low"\ncooldown = "0"\nmax_per_hour = 0\n'
        )
    return out


def raw_controls(text: str) -> list[str]:
    """The unsafe characters found, as escapes (empty when clean)."""
    return [f"U+{ord(c):04X}" for c in UNSAFE.findall(text)]


def run(*args: str) -> str:
    """The CLI's stdout (exit 0 or 4: alerts found)."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code in (0, 4), result.output
    return result.stdout


@pytest.fixture
def scanned(
    tmp_path: Path,
    smtp_server: Callable[[str], SMTPServer],
    http_server: Callable[..., HTTPServer],
) -> tuple[Path, Path, str, SMTPServer, HTTPServer, HTTPServer, Path]:
    """The hostile site scanned with every sink: (db, config, scan stdout, servers, file)."""
    logs, config = hostile_site(tmp_path)
    smtp, json_hook, slack = smtp_server("none"), http_server(), http_server()
    out = add_sinks(config, smtp, json_hook, slack)
    db = tmp_path / "state.db"
    stdout = run("scan", "--db", str(db), "-c", str(config), "--format", "jsonl", str(logs))
    return db, config, stdout, smtp, json_hook, slack, out


def test_sinks_and_scan_output_carry_no_raw_controls(
    scanned: tuple[Path, Path, str, SMTPServer, HTTPServer, HTTPServer, Path],
) -> None:
    """scan's JSON lines, the mails (headers and body), both webhooks and the file."""
    _db, _config, stdout, smtp, json_hook, slack, out = scanned
    carol = [json.loads(x) for x in stdout.splitlines() if "carol@example.com" in x]
    assert carol and any(HOSTILE_SUBJECT in "".join(a["evidence"]) for a in carol)
    assert raw_controls(stdout) == []
    assert smtp.messages and json_hook.requests and slack.requests and out.exists()
    for received in smtp.messages:
        msg = email.message_from_bytes(received.data, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        for name, value in msg.items():
            assert raw_controls(str(value)) == [], name
        assert raw_controls(msg.get_content()) == []
    for request in [*json_hook.requests, *slack.requests]:
        assert raw_controls(request.body.decode("utf-8")) == []
    assert raw_controls(out.read_text(encoding="utf-8")) == []


def test_source_ip_is_an_address_or_nothing(
    scanned: tuple[Path, Path, str, SMTPServer, HTTPServer, HTTPServer, Path],
) -> None:
    """Text from Sender-Host that is not an address never becomes a source_ip."""
    db, _config, stdout, *_ = scanned
    alerts = [json.loads(x) for x in stdout.splitlines() if x.startswith("{")]
    with sqlite3.connect(db) as conn:
        stored = [json.loads(r[0]) for r in conn.execute("SELECT data FROM incidents")]
    ips = [a["source_ip"] for a in alerts] + [ip for i in stored for ip in i["source_ips"]]
    ips += [s["source_ip"] for i in stored for s in i.get("signals", [])]
    assert any(a["user"] == "carol@example.com" for a in alerts)
    for ip in ips:
        assert ip is None or ipaddress.ip_address(ip), ip


def test_reports_carry_no_raw_controls(
    scanned: tuple[Path, Path, str, SMTPServer, HTTPServer, HTTPServer, Path],
) -> None:
    """The HTML, JSON and text reports, and the account's timeline."""
    db, config, *_ = scanned
    for fmt in ("html", "json", "text"):
        text = run("report", "--db", str(db), "-c", str(config), "--format", fmt, "--days", "28")
        assert "carol@example.com" in text
        assert raw_controls(text) == [], fmt
    for fmt in ("text", "json"):
        text = run("user", "carol@example.com", "--db", str(db), "-c", str(config),
                   "--format", fmt, "--days", "7")  # fmt: skip
        assert raw_controls(text) == [], fmt


def test_dashboard_pages_carry_no_raw_controls(
    scanned: tuple[Path, Path, str, SMTPServer, HTTPServer, HTTPServer, Path],
) -> None:
    """Every page that shows carol's incident, timeline or evidence."""
    db, config, *_ = scanned
    app = create_app(WebSettings(), db, load_config(config), "192.168.1.5", TOKEN)
    app.testing = True
    client = app.test_client()
    assert client.get(f"/login?token={TOKEN}").status_code == 302
    with sqlite3.connect(db) as conn:
        (incident,) = conn.execute(
            "SELECT max(id) FROM incidents WHERE key = 'carol@example.com'"
        ).fetchone()
    pages = [
        "/",
        "/incidents?status=all",
        f"/incidents/{incident}",
        "/accounts",
        "/accounts/carol@example.com?days=7",
        "/search?q=invoice",
        "/search?q=carol",
        "/report",
        "/report.html",
        "/report.json",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert raw_controls(response.get_data(as_text=True)) == [], page
    timeline = client.get("/accounts/carol@example.com?days=7").get_data(as_text=True)
    assert "\\x1b[2J" in timeline  # shown, as an escape
