"""new_recipients: strangers against the account's own novelty rate."""

from __future__ import annotations

import random
from dataclasses import replace

from factories import (
    ALICE,
    BOB,
    Recorder,
    at,
    feed,
    inbound,
    office_history,
    pipeline,
    recv,
    rules,
)
from kerio_watch.detect.new_recipients import RULE
from kerio_watch.events import Event, MessageReceived


def _settled() -> Recorder:
    p = pipeline("new_recipients")
    feed(p, office_history(ALICE, days=21))
    return p


def _outlook(event: Event) -> Event:
    """The event, a message of Outlook when it is one (its Message-ID's shape)."""
    if not isinstance(event, MessageReceived):
        return event
    return replace(event, msg_id=f"000001d9{event.ts % 10**4:04x}$3c4d5e60$b5e81b20$@example.com")


def _strangers(
    day: int, n: int, host: str = "192.168.1.10", step: int = 1800
) -> list[MessageReceived]:
    return [
        recv(at(day, "09:00") + step * i, to=(f"buyer{i}@shop{i}.test",), host=host)
        for i in range(n)
    ]


class TestNewRecipients:
    """Never-seen recipients and domains."""

    def test_strangers_fire_with_the_usual_rate(self) -> None:
        """Six strangers in a day, for an account that writes to the people it knows: a
        handful, weak on its own; ten or more are moderate evidence of abuse."""
        p = _settled()
        signals = feed(p, _strangers(22, 6))
        assert rules(signals) == {RULE}
        s = signals[-1]
        assert "wrote to 5 outside recipients within 2 hours: all new to it (100%)" in s.summary
        assert "domains it never wrote to" in s.summary and "usually 0% new" in s.summary
        assert "buyer0@shop0.test" in s.facts["recipients"]
        assert "shop0.test" in s.facts["domains"]
        assert s.score == 12
        more = feed(p, _strangers(22, 12, step=600)[6:])
        assert more[-1].score == 45 and "10 outside recipients" in more[-1].summary

    def test_a_list_in_the_domains_it_knows(self) -> None:
        """Dozens of strangers in the domains the account writes to (a list in the
        freemail domains the owner uses: the domains cannot tell) are a list as much as
        strangers in new domains; a busy day of new people among those it knows is not."""
        p = _settled()
        known = [f"contact{i}@partner{i % 5}.test" for i in range(30)]
        fresh = [
            recv(at(22, "09:00") + 300 * i, to=(f"someone{i}@partner{i % 5}.test",))
            for i in range(45)
        ]
        signals = feed(p, fresh)
        assert [s.score for s in signals if "32 outside" in s.summary] == [35]
        assert signals[-1].score == 45 and "40 outside recipients" in signals[-1].summary
        assert "0 in domains it never wrote to" in signals[-1].summary
        q = _settled()
        mixed = [
            recv(at(22, "09:00") + 300 * i, to=(f"someone{i}@partner{i % 5}.test", known[i % 30]))
            for i in range(45)
        ]
        assert max(s.score for s in feed(q, mixed)) == 25

    def test_below_the_floor_is_quiet(self) -> None:
        """Four new people in a day is ordinary life."""
        p = _settled()
        assert feed(p, _strangers(22, 4)) == []

    def test_correspondents_and_colleagues_are_not_new(self) -> None:
        """Replies to people who wrote first, and mail to colleagues, are never novelty."""
        p = _settled()
        events = []
        for i in range(8):
            events.append(inbound(at(22, "08:00") + i, f"lead{i}@prospect.test"))
            events.append(recv(at(22, "09:00") + 60 * i, to=(f"lead{i}@prospect.test",)))
            events.append(recv(at(22, "10:00") + 60 * i, to=(f"colleague{i}@example.com",)))
        assert feed(p, events) == []

    def test_steady_new_customers_are_quiet(self) -> None:
        """An invoicing account that gains customers every week learns that rate."""
        rng = random.Random(3)
        p = pipeline("new_recipients")
        customers = [f"c{i}@firm{i % 40}.test" for i in range(60)]
        events = []
        for day in range(35):
            if day % 7 >= 5:
                continue
            if day % 7 == 0:
                customers += [f"n{day}-{k}@firm{k}.test" for k in range(8)]
            for k in range(25):
                events.append(
                    recv(at(day, "06:30") + 40 * k, user=BOB, to=(rng.choice(customers),))
                )
        signals = feed(p, events)
        assert [s for s in signals if s.ts > at(14)] == []

    def test_a_new_address_writing_only_to_strangers(self) -> None:
        """Three strangers from an address the account never sent from: the slow hijack."""
        p = _settled()
        colleagues = [recv(at(22, "09:30") + 600 * i, to=(BOB,)) for i in range(10)]
        signals = feed(p, colleagues + _strangers(22, 3, host="198.51.100.23", step=7200))
        assert rules(signals) == {RULE, "kerio.net.at_desk"}  # the desk in use meanwhile
        s = [s for s in signals if s.rule == RULE][-1]
        assert s.ts == at(22, "13:00") and s.score == 20
        assert "from 198.51.100.23, an address it never sent from: all new" in s.summary
        assert s.facts["recipients"][:3] == [
            "buyer0@shop0.test",
            "buyer1@shop1.test",
            "buyer2@shop2.test",
        ]

    def test_rotating_addresses_are_pooled(self) -> None:
        """A hijacker behind rotating proxies never sends twice from one address."""
        p = _settled()
        drip = [
            recv(at(22, "10:00") + 900 * i, to=(f"x{i}@shop{i}.test",), host=f"198.51.100.{i + 1}")
            for i in range(3)
        ]
        (s,) = feed(p, drip)
        assert "from addresses it never sent from (latest 198.51.100.3)" in s.summary

    def test_a_new_program_writing_only_to_strangers(self) -> None:
        """Malware on the owner's own PC sends from the owner's address with its own mail
        engine: three strangers in mail written by a program the account never used are
        the slow hijack too, while the owner's Outlook keeps writing to colleagues."""
        p = pipeline("new_recipients")
        feed(p, [_outlook(e) for e in office_history(ALICE, days=21)])
        colleagues = [recv(at(22, "09:30") + 600 * i, to=(BOB,)) for i in range(10)]
        spam: list[Event] = [
            replace(e, msg_id=f"{i:022x}@example.com")
            for i, e in enumerate(_strangers(23, 3, step=600))
        ]
        signals = feed(p, [_outlook(e) for e in colleagues] + spam)
        (s,) = signals
        assert s.score == 20 and s.ts == at(23, "09:20")
        assert "a program writing Message-IDs like h22, a mail program it never wrote" in s.summary
        assert s.facts["recipients"] == [f"buyer{i}@shop{i}.test" for i in range(3)]

    def test_a_known_program_writing_to_strangers_is_a_handful(self) -> None:
        """The same strangers in mail of the account's own program: a handful, quiet."""
        p = pipeline("new_recipients")
        feed(p, [_outlook(e) for e in office_history(ALICE, days=21)])
        assert feed(p, [_outlook(e) for e in _strangers(23, 3, step=600)]) == []

    def test_evidence_comes_from_the_judged_window_and_address(self) -> None:
        """Strangers written to weeks earlier, or from the office, are not this signal's."""
        p = _settled()
        feed(p, [recv(at(21, "09:00"), to=("old@elsewhere.test",))])
        feed(p, [recv(at(22, "09:00"), to=("office@stranger.test",))])
        signals = feed(p, _strangers(22, 3, host="198.51.100.23", step=600))
        (s,) = [s for s in signals if s.rule == RULE]  # and the desk in use before them
        assert s.facts["recipients"] == [f"buyer{i}@shop{i}.test" for i in range(3)]
        assert len(s.evidence) == 3 and all("198.51.100.23" in line for line in s.evidence)

    def test_evidence_shows_the_stranger_before_the_office(self) -> None:
        """In the account's window, lines sent from outside come first: the owner's own
        new correspondents at the office are not what an administrator must see."""
        p = _settled()
        office = feed(p, _strangers(22, 4, step=600))
        (s,) = feed(p, _strangers(22, 5, host="198.51.100.23", step=300)[4:])
        assert office == [] and "within 1 hour" in s.summary
        assert len(s.evidence) == 5 and "198.51.100.23" in s.evidence[0]
        assert all("192.168.1.10" in line for line in s.evidence[1:])

    def test_a_trip_writing_to_known_people_is_quiet(self) -> None:
        """A traveller's hotel address writing to the usual contacts is not this rule."""
        p = _settled()
        trip = office_history(ALICE, days=3, first_day=22, host="198.51.100.23", seed=9)
        assert feed(p, trip) == []

    def test_accepted_recipients_are_quiet(self) -> None:
        """ack --benign accepts the recipients."""
        p = _settled()
        p.ctx.profile(ALICE).accept("domains", [f"shop{i}.test" for i in range(6)])
        assert feed(p, _strangers(22, 6)) == []

    def test_a_quiet_sender_with_an_address_book_leaves_warm_up(self) -> None:
        """An account that writes to one outside person a working day never gathers
        ``min_history`` recent recipients (the count decays daily); after weeks of
        mail with its contacts it is judged against its own habits, so strangers at
        domains the site knows (freemail, partners) are new to it."""
        p = pipeline("new_recipients")
        history = office_history(ALICE, days=42, per_day=1, contacts=20)
        senders = [
            inbound(at(day, "07:00"), f"news{day}@partner{day % 5}.test") for day in range(40)
        ]
        feed(p, sorted([*history, *senders], key=lambda e: e.ts))
        prof = p.ctx.profile(ALICE)
        assert prof.rcpt_recent < 50 <= len(prof.recipients) + len(prof.correspondents)
        spray = [
            recv(at(43, "09:00") + 300 * i, to=(f"target{i}@partner{i % 5}.test",))
            for i in range(10)
        ]
        signals = feed(p, spray)
        assert rules(signals) == {RULE}
        assert "all new to it (100%), 0 in domains it never wrote to" in signals[-1].summary


class TestWording:
    def test_a_share_of_new_recipients_reads_as_english(self) -> None:
        """``11 of new to it (79%)`` said nothing of what the 11 were of."""
        p = _settled()
        known = [
            recv(at(22, "08:00") + 60 * i, to=(f"contact{i}@partner{i % 5}.test",))
            for i in range(3)
        ]
        signals = feed(p, known + _strangers(22, 12, step=600))
        assert rules(signals) == {RULE}
        s = signals[-1]
        assert (
            "wrote to 13 outside recipients within 3 hours: 10 of them new to it (77%)" in s.summary
        )
