"""Hardening advice: access-policy services, outside access, the egress firewall rule."""

from __future__ import annotations

import pytest

from kerio_watch.enrich.network import Networks
from kerio_watch.report.hardening import (
    access_service,
    egress_rule,
    external_access,
    policy_groups,
    service_use,
)
from kerio_watch.report.servertime import describe_active_hours
from kerio_watch.values.profile import Profile


@pytest.mark.parametrize(
    ("logged", "service"),
    [
        ("SMTP", "SMTP"),
        ("IMAPS", "IMAP"),
        ("POP3", "POP3"),
        ("HTTP/WebMail", "WebMail"),
        ("Kerio Connect client", "WebMail"),
        ("HTTP/KOFF", "KOFF"),
        ("Kerio Outlook Connector", "KOFF"),
        ("HTTP/ActiveSync", "ActiveSync"),
        ("HTTP/EWS", "EWS"),
        ("HTTP/CalDAV", "WebDAV"),
        ("XMPP", "XMPP"),
        ("HTTP/WebAdmin", None),
    ],
)
def test_access_service(logged: str, service: str | None) -> None:
    """Logged protocol names map to Kerio access-policy services."""
    assert access_service(logged) == service


def _profile(account: str, services: dict[str, int]) -> Profile:
    p = Profile(account)
    p.services = {name: [1, first, first] for name, first in services.items()}
    return p


def test_services_grouped_into_policies() -> None:
    """Accounts with the same used services share one policy; the rest is disallowed."""
    uses = service_use(
        [
            _profile("a@x.test", {"IMAP": 10, "SMTP": 10}),
            _profile("b@x.test", {"IMAPS": 10, "SMTP": 10}),
            _profile("c@x.test", {"HTTP/ActiveSync": 10}),
        ],
        {"c@x.test": {"HTTP/WebMail": 2}},
    )
    groups = policy_groups(uses)
    assert groups[0].accounts == ["a@x.test", "b@x.test"]
    assert groups[0].used == ["SMTP", "IMAP"]
    assert "POP3" in groups[0].disallow and "ActiveSync" in groups[0].disallow
    # Seen in the period but never learned: the profile held learning (an incident).
    assert groups[1].used == ["ActiveSync"]
    assert uses[2].used == ["WebMail", "ActiveSync"] and uses[2].suspect == ["WebMail"]


def test_service_first_used_during_an_incident_is_suspect() -> None:
    """A service the account first used around an incident is not put in its policy."""
    uses = service_use(
        [_profile("a@x.test", {"SMTP": 100, "HTTP/WebMail": 5000})],
        {},
        {"a@x.test": [(5100, 9000)]},
    )
    assert uses[0].suspect == ["WebMail"]
    assert policy_groups(uses)[0].used == ["SMTP"]


def test_external_access() -> None:
    """Logins from outside the trusted networks, per account and protocol."""
    rows = [
        (3600, "a@x.test", "login", "IMAP|203.0.113.1|", 2),
        (7200, "a@x.test", "login", "IMAP|203.0.113.2|Thunderbird", 1),
        (7200, "a@x.test", "login", "IMAP|192.168.1.9|", 50),
        (7200, "b@x.test", "login", "HTTP/WebMail|pc-anna.lan|", 1),
    ]
    found = external_access(rows, Networks(["192.168.0.0/16"]))
    assert len(found) == 1
    assert found[0].addresses == ["203.0.113.1", "203.0.113.2"]
    assert found[0].count == 3 and found[0].last == 7200


def test_egress_rule_ipv4() -> None:
    """nftables and iptables: the server may, others are logged and rejected."""
    rule = egress_rule("192.168.1.5")
    assert "ip saddr 192.168.1.5 tcp dport { 25, 465, 587, 2525 } accept" in rule.nftables
    assert "reject with tcp reset" in rule.nftables
    assert rule.nftables.index("accept\n") < rule.nftables.index("reject")
    lines = rule.iptables.splitlines()
    assert "iptables -A MAIL_EGRESS -s 192.168.1.5 -j RETURN" in lines
    assert (
        "iptables -I FORWARD -p tcp -m multiport --dports 25,465,587,2525 -j MAIL_EGRESS" in lines
    )
    assert any(line.startswith("ip6tables -A MAIL_EGRESS -p tcp -j REJECT") for line in lines)
    assert "bypass" in rule.why or "straight to" in rule.why


def test_egress_rule_ipv6_placeholder_and_errors() -> None:
    """IPv6 servers use ip6; no address leaves a placeholder; a bad one is refused."""
    assert "ip6 saddr 2001:db8::25 " in egress_rule("2001:db8::25").nftables
    assert (
        "ip6tables -A MAIL_EGRESS -s 2001:db8::25 -j RETURN" in egress_rule("2001:db8::25").iptables
    )
    assert "MAIL_SERVER_IP" in egress_rule(None).nftables
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        egress_rule("mail.example.com; rm -rf /")


def test_describe_active_hours() -> None:
    """Days and hour ranges with at least 2% of the account's mail."""
    how = [0] * 168
    for day in range(5):
        for hour in (8, 9, 10, 14, 15):
            how[day * 24 + hour] = 4
    assert describe_active_hours(how) == "Mon-Fri 08:00-11:00, 14:00-16:00"
    assert describe_active_hours([0] * 168) == "no mail learned yet"
