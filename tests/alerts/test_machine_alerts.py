"""Alerts about a LAN machine that sent mail itself read as such, everywhere."""

from __future__ import annotations

from kerio_watch.alerts.render import next_steps, subject, text_body
from kerio_watch.severity import Severity
from kerio_watch.values.alert import Alert


def machine_alert(summary: str = "10.0.3.41 (used by alice@example.com) opened SMTP") -> Alert:
    return Alert(
        id="7-3",
        incident_id=7,
        ts=1_773_309_600,
        time="2026-03-12T11:00:00+01:00",
        user=None,
        rule="kerio.firewall.direct_smtp",
        severity=Severity.HIGH,
        score=70,
        summary=summary,
        source_ip="10.0.3.41",
        evidence=("Mar 12 10:00:00 gw kernel: mail-egress: IN=eth1 SRC=10.0.3.41",),
        reasons=(summary,),
        rules=("kerio.firewall.direct_smtp",),
        status="opened",
    )


def test_a_machine_alert_names_the_machine_and_says_what_to_do() -> None:
    alert = machine_alert()
    assert subject(alert).startswith("[kerio-watch] HIGH: machine 10.0.3.41 - 10.0.3.41 (used")
    assert "check it for malware" in next_steps(alert)[0]
    assert "machine 10.0.3.41" in text_body(alert)


def test_hostile_text_in_a_machine_alert_stays_inert() -> None:
    alert = machine_alert("10.0.3.41 (used by x\x1b[31m@example.com\r\nBcc: evil@x.test)")
    line = subject(alert)
    assert "\x1b" not in line and "\r" not in line and "\n" not in line


def test_a_machine_alert_says_how_to_stop_it_when_it_is_meant_to_send() -> None:
    """A mail server or smarthost on the LAN is reported like an infected PC; the alert
    names the [firewall] keys that exclude it (the wording only: score and severity are
    the detector's)."""
    alert = machine_alert()
    steps = next_steps(alert)
    assert steps[1].startswith("If it is meant to send mail: if 10.0.3.41 is a mail server")
    for key in ("[firewall] mail_servers", "[firewall] allowed_hosts", "[firewall] relays"):
        assert key in steps[1]
    assert "[firewall] allowed_hosts" in text_body(alert)


def test_the_keys_it_names_are_the_configurations() -> None:
    """The keys named are real ``[firewall]`` keys (a renamed key would leave a wrong hint)."""
    import dataclasses  # noqa: PLC0415

    from kerio_watch.config import Config  # noqa: PLC0415

    names = {f.name for f in dataclasses.fields(Config().firewall)}
    assert {"mail_servers", "allowed_hosts", "relays"} <= names
