"""End-to-end through the real CLI: firewall logs, the direct-SMTP incident, its config."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from fwlines import audit_line, burst
from kerio_watch.exitcodes import ExitStatus

PC = "192.168.1.41"
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
