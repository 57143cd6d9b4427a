"""End-to-end through the real CLI: firewall logs, the direct-SMTP incident, its config."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from fwlines import audit_line, burst, netfilter_line
from kerio_watch.exitcodes import ExitStatus
from logtools import kerio_stamp, recv_line

PC = "192.168.1.41"
SERVER = "192.168.1.5"
T0 = dt.datetime(2026, 3, 10, 10, 0, 0)


def alerts_of(result: Result) -> list[dict[str, object]]:
    return [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]


def site(write_log: Callable[..., Path], start: dt.datetime = T0) -> Path:
    """Two users log in from the PC the day before; then the PC sends spam by itself."""
    write_log(
        "audit.log",
        [
            audit_line(start - dt.timedelta(days=1), "alice@example.com", PC),
            audit_line(start - dt.timedelta(days=1, minutes=-5), "bob@example.com", PC),
        ],
    )
    kern = write_log("kern.log", burst(start, PC, 40, per_minute=10))
    written = start.replace(tzinfo=dt.UTC).timestamp() + 3600  # as the firewall left it
    os.utime(kern, (written, written))
    return kern.parent


def test_scan_raises_a_high_incident_for_the_machine(
    write_log: Callable[..., Path], cli: Callable[..., Result]
) -> None:
    logs = site(write_log)
    result = cli("scan", "--format", "jsonl", "--fail-on", "high", str(logs))
    assert result.exit_code == ExitStatus.FINDINGS, result.output
    alerts = alerts_of(result)
    top = max(
        alerts,
        key=lambda a: ("info", "low", "medium", "high", "critical").index(str(a["severity"])),
    )
    assert top["severity"] == "high"
    assert top["user"] is None
    assert top["source_ip"] == PC
    assert top["rule"] == "kerio.firewall.direct_smtp"
    assert f"{PC} (used by alice@example.com, bob@example.com) opened SMTP connections" in str(
        top["summary"]
    )
    assert "(netfilter): 40 lines: 40 connection" in result.stderr


def test_the_firewalls_own_time_zone(
    tmp_path: Path, write_log: Callable[..., Path], cli: Callable[..., Result]
) -> None:
    """The firewall logs in UTC, the mail server in Berlin: times land on one time line."""
    logs = site(write_log)
    config = tmp_path / "kw.toml"
    config.write_text(
        '[site]\ntimezone = "Europe/Berlin"\n[firewall]\ntimezone = "UTC"\n', encoding="utf-8"
    )
    result = cli("scan", "--format", "jsonl", "--config", str(config), str(logs))
    first = alerts_of(result)[0]
    assert str(first["time"]).startswith("2026-03-10T11:0"), first["time"]  # 10:0x UTC
    assert str(first["time"]).endswith("+01:00")


def test_config_check_validates_the_firewall_table(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    config = tmp_path / "kw.toml"
    config.write_text(
        '[firewall]\nmail_servers = ["mail.example.com"]\nrelays = ["198.51.100.0/28"]\n'
        'timezone = "Nowhere/Land"\nports = [25]\n',
        encoding="utf-8",
    )
    result = cli("config", "check", "--config", str(config))
    assert result.exit_code == ExitStatus.CONFIG_ERROR
    assert "firewall.mail_servers[0]: expected an address or network" in result.stderr
    assert "firewall.timezone: expected an IANA time zone name" in result.stderr
    assert "firewall.ports: unknown key" in result.stderr
    config.write_text('[firewall]\nmail_servers = ["192.168.1.5"]\n', encoding="utf-8")
    result = cli("config", "check", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert '"192.168.1.5"' in result.stdout


def test_parse_shows_connections(
    write_log: Callable[..., Path], cli: Callable[..., Result]
) -> None:
    path = write_log("kern.log", burst(T0, PC, 2))
    result = cli("parse", str(path))
    assert result.exit_code == 0, result.output
    assert "connection" in result.stdout
    assert PC in result.stdout


def _server_site(
    write_log: Callable[..., Path], kern_lines: Callable[[dt.datetime, str], str]
) -> Path:
    """Kerio (Berlin, local time) delivers 12 messages; the firewall logs each connection."""
    mail: list[str] = []
    fw: list[str] = []
    for i in range(12):
        when = T0 + dt.timedelta(minutes=i)  # local time in Berlin (UTC+1)
        remote = f"203.0.113.{10 + i}"
        recv = recv_line(when, 1, 500 + i, sender="carol@example.com", to="y@p.test",
                         user="carol@example.com", host="192.168.1.20")  # fmt: skip
        qid = recv.split("Queue-ID: ")[1][:17]
        mail += [recv, f"{kerio_stamp(when + dt.timedelta(seconds=3))} Sent: Queue-ID: {qid}, "
                 f"Recipient: <y@p.test>, Result: delivered, Status: 2.0.0 , "
                 f"Remote-Host: {remote}, Msg-Id: <{i}@x>"]  # fmt: skip
        fw.append(kern_lines(when + dt.timedelta(seconds=1), remote))
    write_log("mail.log", mail)
    return write_log("fw.log", fw).parent


def test_a_firewall_log_with_offsets_is_merged_on_the_servers_clock(
    tmp_path: Path, write_log: Callable[..., Path], cli: Callable[..., Result]
) -> None:
    """pfSense writes RFC 5424 stamps with an offset, Kerio local time: the mail server's
    connections still meet Kerio's deliveries, so it is recognised, not reported."""

    def pfsense(local: dt.datetime, remote: str) -> str:
        return (
            f"<134>1 {local:%Y-%m-%dT%H:%M:%S}.000000+01:00 fw filterlog 1 - - 5,,,1000,igb1,"
            f"match,pass,in,4,0x0,,64,1,0,DF,6,tcp,60,{SERVER},{remote},40000,25,0,S,1,,64240,,"
        )

    logs = _server_site(write_log, pfsense)
    config = tmp_path / "kw.toml"
    config.write_text('[site]\ntimezone = "Europe/Berlin"\n', encoding="utf-8")
    result = cli("scan", "--format", "jsonl", "--config", str(config), str(logs))
    assert result.exit_code == 0, result.output
    assert not [a for a in alerts_of(result) if a["source_ip"] == SERVER]
    db = tmp_path / "state.db"
    report = cli("report", "--db", str(db), "--config", str(config), "--format", "json")
    assert SERVER + " (inferred: " in json.loads(report.stdout)["direct_smtp"]["mail_servers"][0]


def test_a_firewall_in_utc_beside_a_server_in_berlin(
    tmp_path: Path, write_log: Callable[..., Path], cli: Callable[..., Result]
) -> None:
    """kern.log in UTC ([firewall] timezone), Kerio in Berlin: the same moments meet."""

    def gateway(local: dt.datetime, remote: str) -> str:
        return netfilter_line(local - dt.timedelta(hours=1), SERVER, remote, prefix="")

    logs = _server_site(write_log, gateway)
    os.utime(logs / "fw.log", (T0.timestamp() + 86400,) * 2)
    config = tmp_path / "kw.toml"
    config.write_text(
        '[site]\ntimezone = "Europe/Berlin"\n[firewall]\ntimezone = "UTC"\n', encoding="utf-8"
    )
    result = cli("scan", "--format", "jsonl", "--config", str(config), str(logs))
    assert result.exit_code == 0, result.output
    assert not [a for a in alerts_of(result) if a["source_ip"] == SERVER]


def test_a_medium_machine_incident_says_how_to_allow_it(
    write_log: Callable[..., Path], cli: Callable[..., Result], tmp_path: Path
) -> None:
    """Below high there are no steps: ``incidents show`` still names the [firewall] keys
    for a machine meant to send mail (a smarthost on the LAN), its severity unchanged."""
    write_log("kern.log", burst(T0, PC, 6, per_minute=1))
    db = tmp_path / "state.db"
    assert cli("scan", "--db", str(db), str(tmp_path / "logs")).exit_code == 0
    listed = cli("incidents", "--db", str(db), "-f", "jsonl")
    (incident,) = [json.loads(x) for x in listed.stdout.splitlines()]
    assert incident["severity"] in ("low", "medium")
    shown = cli("incidents", "show", str(incident["id"]), "--db", str(db))
    assert "meant to send mail: list it in [firewall] mail_servers or allowed_hosts" in (
        " ".join(shown.stdout.split())
    )
