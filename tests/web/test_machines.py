"""Machines that spoke SMTP directly: the report section, account pages, the incident page.

A small site scanned once: alice and bob use the PC 192.168.1.41 (an audit login, a sent
message); the mail server 192.168.1.5 delivers Kerio's mail (its firewall lines match
mail.log's Remote-Host, so its address is inferred); then the PC opens SMTP connections
to 40 outside servers, one of them logged with a hostile log prefix.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient

from fwlines import audit_line, burst, netfilter_line
from kerio_watch.app.config import load_config
from kerio_watch.cli import main
from kerio_watch.store import open_store
from kerio_watch.web.app import create_app
from kerio_watch.web.settings import WebSettings
from logtools import kerio_stamp, recv_line, sent_line

PC = "192.168.1.41"
SERVER = "192.168.1.5"
T0 = dt.datetime(2026, 3, 10, 10, 0, 0)  # local time, the site runs on UTC
HOSTILE = "<script>alert(7)</script>"
TOKEN = "machines-token-" + "x" * 24


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(config, state database) of the scanned site."""
    folder = tmp_path_factory.mktemp("machines")
    logs = folder / "logs"
    logs.mkdir()
    mail, kern = [], []
    day = T0 - dt.timedelta(days=1)
    mail.append(recv_line(day, 0, 1, sender="bob@example.com", to="x@partner.test",
                          user="bob@example.com", host=PC))  # fmt: skip
    for i in range(12):  # Kerio's own deliveries, through the firewall
        when = day + dt.timedelta(minutes=10 + i)
        remote = f"203.0.113.{10 + i}"
        mail.append(recv_line(when, 0, 100 + i, sender="carol@example.com", to="y@p.test",
                              user="carol@example.com", host="192.168.1.20"))  # fmt: skip
        delivered = sent_line(when, 0, 100 + i, to="y@p.test", remote=remote)
        mail.append(kerio_stamp(when + dt.timedelta(seconds=3)) + delivered[22:])
        kern.append(netfilter_line(when + dt.timedelta(seconds=1), SERVER, remote,
                                   prefix="", sport=30000 + i))  # fmt: skip
    kern.append(netfilter_line(T0 - dt.timedelta(seconds=5), PC, "198.51.99.1", prefix=HOSTILE))
    kern += burst(T0, PC, 40, per_minute=10)
    (logs / "mail.log").write_text("\n".join(mail) + "\n", encoding="utf-8")
    (logs / "audit.log").write_text(audit_line(day, "alice@example.com", PC) + "\n", "utf-8")
    (logs / "kern.log").write_text("\n".join(kern) + "\n", encoding="utf-8")
    stamp = T0.replace(tzinfo=dt.UTC).timestamp() + 3600
    os.utime(logs / "kern.log", (stamp, stamp))
    config = folder / "kw.toml"
    config.write_text(
        '[site]\nlocal_domains = ["example.com"]\ntrusted_networks = ["192.168.1.0/24"]\n'
        'timezone = "UTC"\n',
        encoding="utf-8",
    )
    db = folder / "state.db"
    result = CliRunner().invoke(
        main, ["scan", "--db", str(db), "--config", str(config), str(logs)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return config, db


def cli(scanned: tuple[Path, Path], *args: str) -> Result:
    config, db = scanned
    return CliRunner(env={"COLUMNS": "400"}).invoke(
        main, [*args[:1], "--db", str(db), "--config", str(config), *args[1:]],
        catch_exceptions=False,
    )  # fmt: skip


def machine_incident(db: Path) -> int:
    store = open_store(db, readonly=True)
    try:
        (inc,) = store.incidents(key=f"host:{PC}")
    finally:
        store.close()
    assert inc.user is None and inc.severity.label == "high"
    return inc.id


def test_report_text_lists_the_machine_and_fills_the_egress_rule(
    scanned: tuple[Path, Path],
) -> None:
    result = cli(scanned, "report", "--format", "text")
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "Machines that spoke SMTP directly" in out
    assert PC in out and "alice@example.com, bob@example.com" in out
    assert f"Mail server, not counted: {SERVER} (inferred: 5 of its 5 SMTP connections" in out
    assert f"ip saddr {SERVER} tcp dport {{ 25, 465, 587, 2525 }} accept" in out
    assert f"source: single host {SERVER}" in out and f"Source: host {SERVER}" in out
    assert SERVER not in out.split("Machines that spoke SMTP directly")[1].split("Mail server")[0]


def test_report_json_has_the_section(scanned: tuple[Path, Path]) -> None:
    result = cli(scanned, "report", "--format", "json")
    data = json.loads(result.stdout)
    (machine,) = data["direct_smtp"]["machines"]
    assert machine["host"] == PC
    assert machine["accounts"] == ["alice@example.com", "bob@example.com"]
    assert machine["severity"] == "high" and machine["ports"] == [25]
    assert data["direct_smtp"]["firewall_seen"] is True


@pytest.mark.parametrize("account", ["alice@example.com", "bob@example.com"])
def test_each_user_of_the_machine_sees_it(scanned: tuple[Path, Path], account: str) -> None:
    result = cli(scanned, "user", account, "--since", "2026-03-08T00:00", "--until",
                 "2026-03-11T00:00")  # fmt: skip
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert f"#{machine_incident(scanned[1])} opened (high" in out
    assert f"{PC} (used by alice@example.com, bob@example.com)" in out


@pytest.fixture
def client(scanned: tuple[Path, Path]) -> FlaskClient:
    config, db = scanned
    app = create_app(WebSettings(), db, load_config(config), None, TOKEN)
    app.testing = True
    c = app.test_client()
    assert c.get(f"/login?token={TOKEN}").status_code == 302
    return c


def page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_account_pages_show_the_machine_incident(
    client: FlaskClient, scanned: tuple[Path, Path]
) -> None:
    number = machine_incident(scanned[1])
    for account in ("alice@example.com", "bob@example.com"):
        html = page(client, f"/accounts/{account}?days=7")
        assert f'href="/incidents/{number}"' in html
        assert f"{PC} (used by alice@example.com, bob@example.com)" in html


def test_the_incident_page_names_the_users_and_escapes_the_lines(
    client: FlaskClient, scanned: tuple[Path, Path]
) -> None:
    html = page(client, f"/incidents/{machine_incident(scanned[1])}")
    assert "Who uses this machine" in html
    assert '<a href="/accounts/alice@example.com">alice@example.com</a>' in html
    assert "Log lines as written by the firewall" in html
    assert HOSTILE not in html and "&lt;script&gt;alert(7)&lt;/script&gt;" in html


def test_a_machine_incident_says_what_to_do_and_what_benign_means(
    client: FlaskClient, scanned: tuple[Path, Path], tmp_path: Path
) -> None:
    """High, with no account: the machine is the step; benign lets it send (not teach)."""
    number = machine_incident(scanned[1])
    html = page(client, f"/incidents/{number}")
    assert "What to do now" in html and "Check the machine" in html
    assert "this machine may speak SMTP to the internet" in html
    assert "This machine may speak SMTP to the internet" in page(
        client, f"/incidents/{number}/benign"
    )
    shown = cli(scanned, "incidents", "show", str(number))
    assert shown.exit_code == 0, shown.output
    assert f"1. Check the machine: {PC} is on your own network" in shown.stdout
    assert f"2. If it is meant to send mail: if {PC} is a mail server" in shown.stdout
    assert "If it is meant to send mail" in html and "[firewall] allowed_hosts" in html
    copy = tmp_path / "copy.db"
    copy.write_bytes(scanned[1].read_bytes())
    benign = CliRunner().invoke(main, ["ack", str(number), "--benign", "--yes",
                                       "--db", str(copy)])  # fmt: skip
    assert benign.exit_code == 0, benign.output
    assert "lets this machine speak SMTP to the internet" in benign.output
    assert "teaches nothing new" not in benign.output


def test_the_dashboard_report_has_the_section(client: FlaskClient) -> None:
    html = page(client, "/report?since=2026-03-09T00:00&until=2026-03-11T00:00")
    assert "Machines that spoke SMTP directly" in html
    assert f'<td class="mono">{PC}</td>' in html
    assert "<h3>Kerio Control</h3>" in html and "<h3>pfSense, OPNsense</h3>" in html


def test_the_report_says_when_no_firewall_log_was_read(
    tmp_path: Path, write_log: Callable[..., Path], cli: Callable[..., Result]
) -> None:
    logs = write_log("audit.log", [audit_line(T0, "alice@example.com", PC)]).parent
    db = tmp_path / "s.db"
    assert cli("scan", "--db", str(db), str(logs)).exit_code == 0
    result = cli("report", "--db", str(db), "--format", "text")
    assert "No firewall log was read" in " ".join(result.stdout.split())
