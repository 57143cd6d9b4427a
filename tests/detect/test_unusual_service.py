"""unusual_service: mail services, login protocols and browsers new to an account."""

from __future__ import annotations

from factories import (
    ALICE,
    BOB,
    Recorder,
    at,
    feed,
    login,
    office_history,
    pipeline,
    recv,
    rules,
)
from kerio_watch.detect.unusual_service import RULE_AGENT, RULE_PROTOCOL, RULE_SERVICE
from kerio_watch.events import Event

WEBMAIL = "Kerio Connect Client"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _smtp_user() -> Recorder:
    p = pipeline("unusual_service")
    feed(p, office_history(ALICE, days=14))
    return p


def _webmail_user() -> Recorder:
    p = pipeline("unusual_service")
    events: list[Event] = []
    for day in range(14):
        if day % 7 < 5:
            events.append(login(at(day, "08:00"), ALICE, "203.0.113.50", "HTTP/WebMail", FIREFOX))
            events += [recv(at(day, f"1{h}:00"), host="0.0.0.0", service=WEBMAIL) for h in range(4)]
    feed(p, events)
    return p


class TestMailService:
    """The Service: of sent mail."""

    def test_webmail_for_an_smtp_user(self) -> None:
        """An Outlook user suddenly sending through webmail is flagged, with the habit."""
        p = _smtp_user()
        feed(p, [login(at(15, "10:00"), ALICE, "203.0.113.9", "HTTP/WebMail")])
        signals = feed(p, [recv(at(15, "10:01"), host="0.0.0.0", service=WEBMAIL)])
        assert RULE_SERVICE in rules(signals)
        (s,) = [s for s in signals if s.rule == RULE_SERVICE]
        assert s.score == 25
        assert f"via {WEBMAIL}" in s.summary and "usually SMTP" in s.summary
        assert s.facts == {"services": [WEBMAIL]}

    def test_smtp_for_a_webmail_user(self) -> None:
        """The reverse: a spam bot submitting over SMTP for a webmail-only account."""
        p = _webmail_user()
        signals = feed(p, [recv(at(15, "10:00"), host="198.51.100.7", service="SMTP")])
        assert [s.rule for s in signals] == [RULE_SERVICE]
        assert f"usually {WEBMAIL}" in signals[0].summary

    def test_usual_service_is_quiet(self) -> None:
        """The service the account always uses raises nothing."""
        p = _smtp_user()
        assert feed(p, [recv(at(15, "10:00"))]) == []

    def test_too_little_history_is_quiet(self) -> None:
        """A new account's first messages say nothing about its habits."""
        p = pipeline("unusual_service")
        feed(p, office_history(BOB, days=14))
        feed(p, [recv(at(15, "09:00"), user=ALICE)])
        assert feed(p, [recv(at(15, "09:05"), host="0.0.0.0", service=WEBMAIL)]) == []

    def test_new_account_with_a_service_nobody_uses(self) -> None:
        """Warm-up: a service no account of the site uses is flagged even for a new account."""
        p = pipeline("unusual_service")
        feed(p, office_history(BOB, days=14, per_day=10))
        (s,) = feed(p, [recv(at(15, "09:00"), user=ALICE, service="Sieve")])
        assert s.score == 20 and "nobody on this site uses" in s.summary

    def test_accepted_service_is_quiet(self) -> None:
        """ack --benign accepts the service."""
        p = _smtp_user()
        p.ctx.profile(ALICE).accept("services", [WEBMAIL])
        assert feed(p, [recv(at(15, "10:01"), host="0.0.0.0", service=WEBMAIL)]) == []


class TestLogins:
    """Login protocols and browsers."""

    def test_new_protocol_from_outside(self) -> None:
        """An IMAP/SMTP user logging into webmail from the internet."""
        p = _smtp_user()
        (s,) = feed(p, [login(at(15, "10:00"), ALICE, "203.0.113.9", "HTTP/WebMail")])
        assert s.rule == RULE_PROTOCOL and s.score == 15
        assert "via HTTP/WebMail from 203.0.113.9, never before" in s.summary

    def test_new_protocol_from_the_lan_is_quiet(self) -> None:
        """Trying webmail at the office is not news."""
        p = _smtp_user()
        assert feed(p, [login(at(15, "10:00"), ALICE, "192.168.1.10", "HTTP/WebMail")]) == []

    def test_new_browser(self) -> None:
        """A webmail login with a browser the account never used; text is made inert."""
        p = _webmail_user()
        agent = "EvilKit/1.0\x1b[2J"
        (s,) = feed(p, [login(at(15, "10:00"), ALICE, "198.51.100.7", "HTTP/WebMail", agent)])
        assert s.rule == RULE_AGENT and s.score == 10
        assert "\x1b" not in s.summary and "EvilKit/1.0\\x1b[2J" in s.summary
        assert FIREFOX[:40] in s.summary

    def test_usual_browser_is_quiet(self) -> None:
        """The usual browser from a new address is new_host's business, not this rule's."""
        p = _webmail_user()
        assert (
            feed(p, [login(at(15, "10:00"), ALICE, "198.51.100.7", "HTTP/WebMail", FIREFOX)]) == []
        )
