"""unusual_service: mail services, login protocols and browsers new to an account."""

from __future__ import annotations

import random
import string

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
from kerio_watch.detect.unusual_service import RULE_AGENT, RULE_CLIENT, RULE_PROTOCOL, RULE_SERVICE
from kerio_watch.enrich.clients import client_of
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
        (s,) = feed(p, [recv(at(15, "09:00"), user=ALICE, service="WebDAV")])
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


def _outlook_user(days: int = 14) -> Recorder:
    """An account whose mail all comes from Outlook (by the shape of its Message-IDs)."""
    p = pipeline("unusual_service")
    events: list[Event] = []
    for day in range(days):
        if day % 7 < 5:
            events += [
                recv(
                    at(day, f"1{h}:00"),
                    msg_id=f"0000{day:02x}{h:02x}a1b2$3c4d5e60$b5e81b2{h}$@example.com",
                )
                for h in range(5)
            ]
    feed(p, events)
    return p


class TestMailProgram:
    """The mail program that wrote a message, by the shape of its Message-ID."""

    def test_a_spam_tool_for_an_outlook_user(self) -> None:
        p = _outlook_user()
        signals = feed(
            p, [recv(at(15, "10:00"), host="198.51.100.7", msg_id="3f2a9c1e0b$5d2a@bulk.test")]
        )
        assert rules(signals) == {RULE_CLIENT}
        (s,) = signals
        assert s.score == 15 and s.side == "access"
        assert "written by a program writing Message-IDs like h10$h4" in s.summary
        assert "usually Outlook" in s.summary and s.facts == {"clients": ["shape h10$h4"]}
        # once a day per program
        assert feed(p, [recv(at(15, "10:05"), msg_id="aa2a9c1e0b$5d2b@bulk.test")]) == []

    def test_a_program_nobody_on_the_site_uses_is_stronger(self) -> None:
        """Malware on a desk PC writes its own Message-IDs: a program that neither the
        account nor anybody else on the site writes with (the site's table has counted
        enough messages to tell) is stronger access evidence, from the desk too."""
        p = _outlook_user(days=28)
        assert p.ctx.site.client_messages >= 100
        signals = feed(
            p, [recv(at(29, "10:00"), host="192.168.1.20", msg_id="3f2a9c1e0b$5d2a@bulk.test")]
        )
        (s,) = signals
        assert s.rule == RULE_CLIENT and s.score == 25
        assert "a mail program it never used and nobody on this site uses" in s.summary

    def test_a_program_colleagues_use_is_the_usual_strength(self) -> None:
        """A new program for this account that a colleague already writes with (an IT
        roll-out, a shared tool) is the weaker evidence."""
        p = _outlook_user(days=28)
        feed(
            p,
            [
                recv(at(28, f"11:0{i}"), user=BOB, msg_id=f"{i}f2a9c1e0b$5d2a@bulk.test")
                for i in range(3)
            ],
        )
        signals = feed(p, [recv(at(29, "10:00"), msg_id="3f2a9c1e0b$5d2a@bulk.test")])
        (s,) = signals
        assert s.score == 15 and "nobody on this site" not in s.summary

    def test_a_site_table_that_counted_little_does_not_say_nobody(self) -> None:
        """After an upgrade the site's table starts empty: until it counted 100
        messages, no program is "used by nobody" (the account's own habit still counts)."""
        p = _outlook_user(days=28)
        p.ctx.site.clients.clear()
        p.ctx.site.client_messages = 0
        (s,) = feed(p, [recv(at(29, "10:00"), msg_id="3f2a9c1e0b$5d2a@bulk.test")])
        assert s.score == 15

    def test_its_own_program_anywhere_is_quiet(self) -> None:
        p = _outlook_user()
        mid = "0000ffffa1b2$3c4d5e60$b5e81b20$@example.com"
        assert feed(p, [recv(at(15, "10:00"), host="198.51.100.7", msg_id=mid)]) == []

    def test_messages_without_a_message_id_are_not_judged(self) -> None:
        p = _outlook_user()
        assert feed(p, [recv(at(15, "10:00"), host="198.51.100.7")]) == []

    def test_an_account_without_a_habit_is_not_judged(self) -> None:
        """Message-IDs of many shapes (a program with random IDs): no program is its habit."""
        p = pipeline("unusual_service")
        feed(
            p,
            [
                recv(at(d, "10:00") + i, msg_id=f"{'7' * ((d * 4 + i) % 13 + 1)}@example.com")
                for d in range(10)
                for i in range(4)
            ],
        )
        assert feed(p, [recv(at(15, "10:00"), msg_id="3f2a9c1e0b$5d2a@bulk.test")]) == []

    def test_too_little_history_is_quiet(self) -> None:
        p = _outlook_user(days=3)
        assert feed(p, [recv(at(5, "10:00"), msg_id="3f2a9c1e0b$5d2a@bulk.test")]) == []

    def test_a_program_writing_random_tokens_is_one_program(self) -> None:
        """A web shop's or CRM's Message-IDs are random tokens of letters and digits: the
        runs of hex digits and other letters inside them differ in every message, but it
        is one program. Taught once (``ack --benign`` accepts the incident's programs),
        its later messages are quiet; before, each was a program never used."""
        rng = random.Random(7)
        alphabet = string.ascii_lowercase + string.digits

        def mid() -> str:
            return "".join(rng.choice(alphabet) for _ in range(24)) + "@mailer.shop.test"

        assert len({client_of(mid()) for _ in range(50)}) == 1
        assert client_of("jmhummnzzvspmsqkbfprykdf@mailer.shop.test") == "shape r24"  # no digit
        p = _outlook_user()
        first = feed(p, [recv(at(15, "10:00"), host="198.51.100.7", msg_id=mid())])
        (s,) = first
        assert s.rule == RULE_CLIENT and s.facts == {"clients": ["shape r24"]}
        p.ctx.profile(ALICE).accept("clients", s.facts["clients"])
        later = [
            recv(at(16 + i // 5, f"1{i % 5}:00"), host="198.51.100.7", msg_id=mid())
            for i in range(10)
        ]
        assert feed(p, later) == []

    def test_an_accepted_program_is_quiet(self) -> None:
        p = _outlook_user()
        p.ctx.profile(ALICE).accept("clients", ["Apple Mail"])
        mid = "1B2C3D4E-1111-2222-3333-444455556666@example.com"
        assert feed(p, [recv(at(15, "10:00"), msg_id=mid)]) == []
