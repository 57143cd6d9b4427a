"""forwarding: an account's mail forwarded by a filter rule to a new outside address."""

from __future__ import annotations

import pytest

from factories import (
    ALICE,
    BOB,
    Recorder,
    at,
    feed,
    inbound,
    login,
    pipeline,
    recv,
    rules,
    severity,
)
from kerio_watch.detect.base import Signal
from kerio_watch.detect.forwarding import RULE, RULE_SESSION
from kerio_watch.events import Event, MessageReceived
from kerio_watch.severity import Severity
from kerio_watch.store.memory import MemoryStore

PARTNER = "carol@partner.test"
HOME, NEW_LEASE = "84.130.9.9", "84.140.20.30"  # Deutsche Telekom home lines
ABROAD = "86.130.1.7"  # British Telecommunications
DROP = "collector@mailbox.test"


def original(ts: int, mid: str, to: tuple[str, ...] = (ALICE,)) -> MessageReceived:
    """Mail from a partner to local accounts, with a Message-ID."""
    msg = inbound(ts, PARTNER, to)
    msg.msg_id = mid
    return msg


def forward(
    ts: int, mid: str, dest: str = DROP, user: str | None = ALICE, sender: str = PARTNER
) -> MessageReceived:
    """What Kerio logs for a filter rule's message: Service Sieve, from the loopback."""
    return recv(
        ts, user=user, sender=sender, to=(dest,), host="127.0.0.1", service="Sieve", msg_id=mid
    )


def warm(p: object, day: int = 0) -> None:
    """Start the detector's clock (its warm-up runs from the first message it sees)."""
    feed(p, [original(at(day, "08:00"), "warm@partner.test")])  # type: ignore[arg-type]


def remote_user(geo: str) -> Recorder:
    """A remote worker reading webmail from its home line and writing to a partner
    every day for ten days (network data as ``geo`` says)."""
    p = pipeline(enrich={"geo": geo})
    history: list[Event] = []
    for d in range(10):
        history.append(login(at(d, "08:00"), source=HOME, protocol="HTTP/WebMail"))
        history.append(recv(at(d, "09:00"), to=(PARTNER,), service="HTTP/WebMail"))
        history.append(original(at(d, "10:00"), f"h{d}"))
    feed(p, history)
    return p


class TestForwarding:
    """Rule-made messages, attribution and learning."""

    def test_a_new_outside_destination_is_medium_and_says_where(self) -> None:
        """After the warm-up, the first forward to an outside address is a use signal."""
        p = pipeline("forwarding")
        warm(p)
        (s,) = feed(p, [original(at(5), "m1@partner.test"), forward(at(5, "09:00:02"), "m1")])
        assert s.rule == RULE and s.key == ALICE and s.side == "use"
        assert s.min_severity == Severity.MEDIUM and s.facts == {"forwards": [DROP]}
        assert DROP in s.summary and "never forwarded" in s.summary
        # unconfirmed for a day: it folds into the incident (no new alert), then, the
        # incident below high, it is the owner's and learned
        again = feed(p, [original(at(5, "10:00"), "m2"), forward(at(5, "10:00:01"), "m2")])
        assert rules(again) == {RULE} and severity(p) == Severity.MEDIUM
        assert feed(p, [original(at(6, "09:30"), "m3"), forward(at(6, "09:30:01"), "m3")]) == []
        assert feed(p, [original(at(6, "10:00"), "m4"), forward(at(6, "10:00:01"), "m4")]) == []

    def test_a_destination_seen_in_a_high_incident_is_never_learned_alone(self) -> None:
        """After a confirmed hijack the rule may still be there: it keeps reporting until
        an administrator accepts the address (``ack --benign``)."""
        p = pipeline("forwarding", options={"forwarding": {"score": 60}})
        warm(p)
        p.engine.ingest(
            Signal("kerio.net.new_host", ALICE, at(5, "08:59"), 40, "a stranger", side="access")
        )
        feed(p, [original(at(5), "m1"), forward(at(5, "09:00:02"), "m1")])
        assert severity(p) >= Severity.HIGH
        later = [original(at(9), "m2"), forward(at(9, "09:00:01"), "m2")]
        assert rules(feed(p, later)) == {RULE}
        p.ctx.profile(ALICE).accept("forwards", [DROP])
        assert feed(p, [original(at(9, "10:00"), "m3"), forward(at(9, "10:00:01"), "m3")]) == []

    def test_a_rule_without_user_is_the_recipient_of_the_original(self) -> None:
        """Without ``User:``, the account is the local recipient of the same Message-ID
        (the first such message too: the last inbound messages are kept until then)."""
        p = pipeline("forwarding")
        warm(p)
        first = [original(at(4), "m0"), forward(at(4, "09:00:02"), "m0", user=None)]
        (s,) = feed(p, first)
        assert s.key == ALICE
        assert feed(p, [original(at(5), "m1"), forward(at(5, "09:00:02"), "m1", user=None)]) == []
        # sent to two accounts: the one that forwards there, else nothing is said
        msgs = [original(at(6), "m2", (ALICE, BOB)), forward(at(6, "09:00:01"), "m2", user=None)]
        assert feed(p, msgs) == []  # known for Alice: hers
        msgs = [
            original(at(6, "10:00"), "m3", (BOB,)),
            original(at(6, "10:00"), "m3", (ALICE,)),  # one line per recipient
            forward(at(6, "10:00:01"), "m3", dest="new@else.test", user=None),
        ]
        assert feed(p, msgs) == []  # new to both: whose rule made it cannot be told
        (s,) = feed(
            p,
            [
                original(at(6, "11:00"), "m4"),
                forward(at(6, "11:00:01"), "m4", dest="new@else.test", user=None),
            ],
        )
        assert s.key == ALICE
        # an unknown or stale Message-ID: nothing
        assert feed(p, [forward(at(7), "nowhere", dest="x@else.test", user=None)]) == []
        late = [original(at(8), "m3"), forward(at(8, "11:00"), "m3", dest="y@else.test", user=None)]
        assert feed(p, late) == []

    def test_a_server_that_names_the_account_costs_no_memory(self) -> None:
        """Inbound Message-IDs are remembered only once a rule's message lacks ``User:``."""
        p = pipeline("forwarding")
        warm(p)
        feed(p, [original(at(1, f"09:{m:02d}"), f"x{m}") for m in range(30)])
        feed(p, [original(at(2), "m1"), forward(at(2, "09:00:01"), "m1")])
        (detector,) = p.detection.detectors
        assert not detector.originals  # type: ignore[attr-defined]

    def test_forwards_already_set_are_learned_during_the_warm_up(self) -> None:
        """Rules older than kerio-watch's first log: learned, never reported."""
        p = pipeline("forwarding")
        first = [original(at(0), "m1"), forward(at(0, "09:00:01"), "m1")]
        assert feed(p, first) == []
        assert feed(p, [original(at(9), "m2"), forward(at(9, "09:00:01"), "m2")]) == []
        (s,) = feed(
            p, [original(at(9, "10:00"), "m3"), forward(at(9, "10:00:01"), "m3", "z@x.test")]
        )
        assert "z@x.test" in s.summary and DROP in s.summary  # what it usually forwards to

    def test_auto_replies_and_forwards_inside_are_not_forwards_out(self) -> None:
        """A reply to someone who wrote to the account, or a forward to a colleague."""
        p = pipeline("forwarding")
        warm(p)
        msgs = [
            original(at(5), "m1"),
            forward(at(5, "09:00:01"), "m1", dest=PARTNER, sender=ALICE),
            forward(at(5, "09:00:02"), "m1", dest=BOB),
        ]
        assert feed(p, msgs) == []

    def test_rule_messages_are_not_the_accounts_submissions(self) -> None:
        """No From/User, new-host or service alarm for what the server's rules send."""
        p = pipeline()
        history = [recv(at(d, "09:00"), to=(PARTNER,)) for d in range(7)]
        history += [original(at(d, "10:00"), f"h{d}") for d in range(7)]
        feed(p, history)
        signals = feed(p, [original(at(8), "m1"), forward(at(8, "09:00:01"), "m1")])
        assert rules(signals) == {RULE}

    def test_with_a_strangers_login_it_is_high(self) -> None:
        """Access from a new place abroad, then a new forward out: both sides."""
        p = pipeline(enrich={"geo": "off"})
        history: list[Event] = [login(at(d, "08:00")) for d in range(10)]
        history += [recv(at(d, "09:00"), to=(PARTNER,)) for d in range(10)]
        history += [original(at(d, "10:00"), f"h{d}") for d in range(10)]
        feed(p, history)
        feed(p, [login(at(11, "03:00"), source="203.0.113.50", protocol="HTTP/WebMail")])
        feed(p, [original(at(11, "03:20"), "m1"), forward(at(11, "03:20:01"), "m1")])
        assert severity(p) >= Severity.HIGH

    def test_a_forward_set_in_a_web_session_from_a_new_place_is_high(self) -> None:
        """An owner who reads webmail every day: a webmail login from a new place at
        office hours is weak alone (travel), and a new forward alone is the owner's
        choice; the forward that follows that session ties them (no network data)."""

        def webmail_user(store: MemoryStore | None = None) -> Recorder:
            p = pipeline(enrich={"geo": "off"}, store=store)
            history: list[Event] = []
            for d in range(10):
                history.append(login(at(d, "08:00"), protocol="HTTP/WebMail"))
                history.append(login(at(d, "08:05"), source="198.51.100.7", protocol="IMAP"))
                history.append(recv(at(d, "09:00"), to=(PARTNER,), service="HTTP/WebMail"))
                history.append(original(at(d, "10:00"), f"h{d}"))
            feed(p, history)
            return p

        p = webmail_user()
        feed(p, [login(at(11, "10:00"), source="203.0.113.50", protocol="HTTP/WebMail")])
        signals = feed(p, [original(at(11, "15:20"), "m1"), forward(at(11, "15:20:01"), "m1")])
        (tie,) = [s for s in signals if s.rule == RULE_SESSION]
        assert tie.side == "access" and tie.source_ip == "203.0.113.50"
        assert "web session from 203.0.113.50, a place it never used, was live" in tie.summary
        assert "(last active 5 hours before)" in tie.summary
        assert severity(p) >= Severity.HIGH

        known = webmail_user()  # its web login from a place it uses: no tie
        feed(known, [login(at(11, "10:00"), source="198.51.100.7", protocol="HTTP/WebMail")])
        later = feed(known, [original(at(11, "15:20"), "m1"), forward(at(11, "15:20:01"), "m1")])
        assert rules(later) == {RULE} and severity(known) == Severity.MEDIUM

        stale = webmail_user()  # the new place's session ended (12 hours unused)
        feed(stale, [login(at(11, "10:00"), source="203.0.113.50", protocol="HTTP/WebMail")])
        late = feed(stale, [original(at(11, "22:30"), "m1"), forward(at(11, "22:30:01"), "m1")])
        assert rules(late) == {RULE} and severity(stale) == Severity.MEDIUM

        store = MemoryStore()  # a restart between the session and the forward: the same
        before = webmail_user(store)
        feed(before, [login(at(11, "10:00"), source="203.0.113.50", protocol="HTTP/WebMail")])
        before.save()
        after = pipeline(enrich={"geo": "off"}, store=store)
        resumed = feed(after, [original(at(11, "21:50"), "m1"), forward(at(11, "21:50:01"), "m1")])
        assert rules(resumed) == {RULE, RULE_SESSION} and severity(after) >= Severity.HIGH

    def test_a_new_lease_of_its_own_home_line_is_no_new_place(self) -> None:
        """A remote worker reads webmail from its home line every day; this morning the
        line has a new address (same provider, another /24). A private forward set in
        that session is the owner's choice: a new address of a network it uses is weak
        (10) and the tie must not count it twice into a stranger's access: medium, as
        from the office. From a network it never used the tie holds: high."""
        pytest.importorskip("geoip2fast")

        p = remote_user("geoip2fast")
        feed(p, [login(at(11, "08:00"), source=NEW_LEASE, protocol="HTTP/WebMail")])
        signals = feed(p, [original(at(11, "14:20"), "m1"), forward(at(11, "14:20:01"), "m1")])
        assert rules(signals) == {RULE} and severity(p) == Severity.MEDIUM

        abroad = remote_user("geoip2fast")
        feed(abroad, [login(at(11, "08:00"), source=ABROAD, protocol="HTTP/WebMail")])
        feed(abroad, [original(at(11, "14:20"), "m1"), forward(at(11, "14:20:01"), "m1")])
        assert severity(abroad) >= Severity.HIGH

    def test_without_network_data_a_new_lease_in_its_providers_range_is_no_new_place(
        self,
    ) -> None:
        """The same remote worker without network data: its line's new address is in
        another /24 of the /16 it has used all along, which ``new_host`` counts as weak
        (a new /24 in its provider's range, 10); the tie must not count it again (it did
        when the account had used only one /24 of the range, and the private forward
        was high). A /16 it never used is a new place: high."""

        p = remote_user("off")
        feed(p, [login(at(11, "08:00"), source="84.130.77.5", protocol="HTTP/WebMail")])
        signals = feed(p, [original(at(11, "14:20"), "m1"), forward(at(11, "14:20:01"), "m1")])
        assert rules(signals) == {RULE} and severity(p) == Severity.MEDIUM

        elsewhere = remote_user("off")
        feed(elsewhere, [login(at(11, "08:00"), source=NEW_LEASE, protocol="HTTP/WebMail")])
        feed(elsewhere, [original(at(11, "14:20"), "m1"), forward(at(11, "14:20:01"), "m1")])
        assert severity(elsewhere) >= Severity.HIGH

    def test_a_forward_set_from_the_office_does_not_pair_with_a_new_place(self) -> None:
        """The owner mails in the evening from a home line the history does not know (a
        first scan of a few days of logs), then sets a private forward in a webmail
        session at the office desk: use from inside, medium alone as ever. A stranger's
        web session from outside in the 72 hours before could have set it, live beside
        the office one or ended the evening before: high (no network data)."""

        def office_user(store: MemoryStore | None = None) -> Recorder:
            p = pipeline(enrich={"geo": "off"}, store=store)
            history: list[Event] = []
            for d in range(4):
                history.append(login(at(d, "08:00"), protocol="SMTP"))
                history.append(recv(at(d, "09:00"), to=(PARTNER,)))
                history.append(original(at(d, "10:00"), f"h{d}"))
            feed(p, history)
            return p

        p = office_user()
        feed(p, [recv(at(4, "20:29"), to=(PARTNER,), host="203.0.113.50")])  # home line
        feed(p, [login(at(5, "09:03"), protocol="HTTP/WebMail")])  # the office desk
        signals = feed(p, [original(at(5, "09:32"), "m1"), forward(at(5, "09:32:01"), "m1")])
        (s,) = [s for s in signals if s.rule == RULE]
        assert s.inside is True and "web sessions were all inside" in s.who
        assert severity(p) == Severity.MEDIUM

        stranger = office_user()  # the stranger's session, then the owner's at the desk
        feed(stranger, [login(at(5, "07:00"), source="203.0.113.50", protocol="HTTP/WebMail")])
        feed(stranger, [recv(at(5, "07:05"), to=(PARTNER,), host="203.0.113.50")])
        feed(stranger, [login(at(5, "09:03"), protocol="HTTP/WebMail")])
        feed(stranger, [original(at(5, "09:32"), "m1"), forward(at(5, "09:32:01"), "m1")])
        assert severity(stranger) >= Severity.HIGH

        kept = office_user()  # the stranger's session, kept alive by its webmail sends
        feed(kept, [login(at(5, "07:00"), source="203.0.113.50", protocol="HTTP/WebMail")])
        feed(kept, [recv(at(5, "18:30"), to=(PARTNER,), host="0.0.0.0", service="HTTP/WebMail")])
        feed(kept, [login(at(5, "19:30"), protocol="HTTP/WebMail")])
        feed(kept, [original(at(5, "20:00"), "m1"), forward(at(5, "20:00:01"), "m1")])
        assert severity(kept) >= Severity.HIGH

        earlier = office_user()  # the stranger set it in the evening and left; the rule
        # forwards its first message after the owner's office login, 14 hours later
        feed(earlier, [login(at(4, "19:30"), source="203.0.113.50", protocol="HTTP/WebMail")])
        feed(earlier, [recv(at(4, "19:35"), to=(PARTNER,), host="203.0.113.50")])
        feed(earlier, [login(at(5, "09:03"), protocol="HTTP/WebMail")])
        feed(earlier, [original(at(5, "09:32"), "m1"), forward(at(5, "09:32:01"), "m1")])
        assert severity(earlier) >= Severity.HIGH

        store = MemoryStore()  # the office session survives a restart
        before = office_user(store)
        feed(before, [recv(at(4, "20:29"), to=(PARTNER,), host="203.0.113.50")])
        feed(before, [login(at(5, "09:03"), protocol="HTTP/WebMail")])
        before.save()
        after = pipeline(enrich={"geo": "off"}, store=store)
        feed(after, [original(at(5, "09:32"), "m1"), forward(at(5, "09:32:01"), "m1")])
        assert severity(after) == Severity.MEDIUM

    def test_a_forward_set_at_the_offices_new_line_is_from_the_desk(self) -> None:
        """The office moved to a line the trusted networks do not name yet: the owner's
        first webmail session there is from a place it never used, but three colleagues
        without suspicion work from it too (they log in and send their mail from it).
        The forward set in it is use from the desk: medium alone, not paired with the
        new place."""
        p = pipeline(enrich={"geo": "off"})
        history: list[Event] = []
        for d in range(10):
            history.append(login(at(d, "08:00"), protocol="HTTP/WebMail"))
            history.append(recv(at(d, "09:00"), to=(PARTNER,), service="HTTP/WebMail"))
            history.append(original(at(d, "10:00"), f"h{d}"))
        feed(p, history)
        line = "198.51.100.7"
        staff = [f"user{i}@example.com" for i in range(3)]
        feed(p, [login(at(11, "07:30") + 60 * i, u, line) for i, u in enumerate(staff)])
        feed(p, [recv(at(11, "08:00") + 60 * i, user=u, host=line) for i, u in enumerate(staff)])
        feed(p, [login(at(11, "09:00"), source=line, protocol="HTTP/WebMail")])
        signals = feed(p, [original(at(11, "09:20"), "m1"), forward(at(11, "09:20:01"), "m1")])
        (s,) = [s for s in signals if s.rule == RULE]
        assert s.inside is True and RULE_SESSION not in rules(signals)
        assert severity(p) == Severity.MEDIUM

    def test_state_survives_a_restart(self) -> None:
        """Destinations, unconfirmed ones, the warm-up and the last hour's Message-IDs."""
        store = MemoryStore()
        p = pipeline("forwarding", store=store)
        warm(p)
        (s,) = feed(p, [original(at(4), "m0"), forward(at(4, "09:00:01"), "m0", user=None)])
        assert s.key == ALICE  # the first one too, from the last inbound messages
        feed(p, [original(at(4, "10:00"), "m2")])
        p.save()
        q = pipeline("forwarding", store=store)
        (s,) = feed(q, [forward(at(4, "10:00:01"), "m2", user=None)])  # attributed
        assert s.key == ALICE and DROP in s.summary  # still unconfirmed
        late = [original(at(5, "10:00"), "m3"), forward(at(5, "10:00:01"), "m3")]
        assert feed(q, late) == []  # unconfirmed since day 4: a day later, learned
        (s,) = feed(
            q, [original(at(5, "11:00"), "m4"), forward(at(5, "11:00:01"), "m4", "n@x.test")]
        )
        assert DROP in s.summary  # what it forwards to now


def test_loopback_is_inside() -> None:
    """The server's own loopback is never a stranger's network."""
    p = pipeline()
    nets = p.ctx.networks
    assert nets.is_trusted("127.0.0.1") is True and nets.is_trusted("::1") is True
    assert nets.is_external("127.0.0.1") is False


def test_a_destination_from_the_log_is_escaped() -> None:
    """Log content is attacker-controlled: control characters show as escapes."""
    p = pipeline("forwarding")
    warm(p)
    (s,) = feed(p, [original(at(4), "e1"), forward(at(4, "09:00:01"), "e1", "x\x1b[2J@drop.test")])
    assert "\x1b" not in s.summary and "x\\x1b[2J@drop.test" in s.summary
