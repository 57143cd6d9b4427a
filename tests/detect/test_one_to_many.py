"""one_to_many: the same subject or size sent separately to many recipients."""

from __future__ import annotations

import random

from factories import ALICE, BOB, Recorder, at, feed, office_history, pipeline, recv, rules
from kerio_watch.detect.one_to_many import RULE, size_step, subject_key
from kerio_watch.events import MessageReceived


def _settled(**kw: object) -> Recorder:
    p = pipeline("one_to_many", **kw)  # type: ignore[arg-type]
    feed(p, office_history(ALICE, days=21))
    return p


def _lure(
    n: int,
    *,
    step: int = 60,
    subject: str = "Dokument freigegeben",
    size: int = 20_000,
    user: str = ALICE,
) -> list[MessageReceived]:
    return [
        recv(
            at(22, "10:00") + step * i,
            user=user,
            to=(f"contact{i}@partner{i % 5}.test",),
            subject=subject,
            size=size + 37 * i % 150,
        )
        for i in range(n)
    ]


class TestOneToMany:
    """A campaign is one message again and again."""

    def test_one_lure_to_the_address_book(self) -> None:
        """Twelve messages with one subject to twelve known contacts in twelve minutes."""
        p = _settled()
        signals = feed(p, _lure(12))
        assert rules(signals) == {RULE}
        s = signals[0]
        assert s.ts == at(22, "10:09") and s.score == 25
        assert "10 messages to 10 recipients in 9 minutes with the same subject" in s.summary
        assert "'Dokument freigegeben'" in s.summary and s.side == "use"
        assert s.facts == {"peak": [10, 10]}

    def test_the_same_attachment_in_reply_after_reply(self) -> None:
        """Different subjects (replies in real threads), one size within about 1%."""
        p = _settled()
        rng = random.Random(5)
        replies = [
            recv(
                at(22, "11:00") + 45 * i,
                to=(f"contact{i}@partner{i % 5}.test",),
                subject=f"AW: thread {i}",
                size=212_000 + rng.randrange(0, 900),
            )
            for i in range(15)
        ]
        signals = feed(p, replies)
        assert rules(signals) == {RULE}
        assert "with the same size (about 208 KB)" in signals[0].summary

    def test_more_of_it_scores_more(self) -> None:
        """Each doubling above the threshold adds to the score, up to its maximum."""
        p = _settled()
        scores = [s.score for s in feed(p, _lure(45, step=20))]
        assert scores == [25, 35, 45]

    def test_ordinary_busy_mail_is_quiet(self) -> None:
        """Thirty messages in an hour with their own subjects and sizes."""
        p = _settled()
        rng = random.Random(1)
        busy = [
            recv(
                at(22, "10:00") + 100 * i,
                to=(f"contact{i}@partner{i % 5}.test",),
                subject=f"Re: topic {i}",
                size=int(rng.lognormvariate(8.7, 1.1)),
            )
            for i in range(30)
        ]
        assert feed(p, busy) == []

    def test_a_few_repeats_among_much_mail_are_quiet(self) -> None:
        """One subject ten times among forty varied messages is not most of the mail."""
        p = _settled()
        mixed = _lure(10, step=300) + [
            recv(
                at(22, "10:00") + 75 * i,
                to=(f"x{i}@partner{i % 5}.test",),
                subject=f"topic {i}",
                size=3_000 + 400 * i,
            )
            for i in range(40)
        ]
        assert feed(p, mixed) == []

    def test_bulk_senders_are_not_judged(self) -> None:
        """A declared mailing account sends one newsletter to many by design."""
        p = _settled(users={ALICE: {"bulk": True}})
        assert feed(p, _lure(30)) == []

    def test_an_account_with_mailings_is_judged_against_its_peak(self) -> None:
        """After a 60-message hour outside incidents, a 40-message mailing is its habit."""
        p = pipeline("one_to_many")
        feed(p, office_history(BOB, days=14))
        first = [
            recv(at(7, "09:00") + 30 * i, user=BOB, to=(f"n{i}@list.test",), subject="News 1")
            for i in range(60)
        ]
        assert feed(p, first)  # the first mailing is news
        feed(p, office_history(BOB, days=7, first_day=14))
        assert feed(p, _lure(40, step=30, user=BOB, subject="News 2")) == []
        assert feed(p, [*_lure(100, step=20, user=BOB, subject="News 3")])

    def test_a_new_installation_judges_the_accounts_that_were_there(self) -> None:
        """Six days after kerio-watch started, an account that sent on its first day has
        a missing history, not a new purpose: its lure is judged. An account that first
        sent two days later is new, and its first mailing may be what it is for."""
        p = pipeline("one_to_many")
        feed(p, office_history(ALICE, days=3, first_day=16))  # Wednesday to Friday
        feed(p, office_history(BOB, days=1, first_day=18, seed=2))  # Friday
        assert rules(feed(p, _lure(12))) == {RULE}
        assert feed(p, _lure(12, user=BOB, subject="Einladung")) == []

    def test_accepted_peak_raises_the_threshold(self) -> None:
        """ack --benign of a mailing accepts its size."""
        p = _settled()
        p.ctx.profile(ALICE).accept("peak", [20, 20])
        assert feed(p, _lure(25)) == []


def test_subjects_and_sizes() -> None:
    """Reply prefixes are not part of the message; sizes match within a step."""
    assert subject_key("AW: RE: Fwd:  Offer  ") == subject_key("offer") == "offer"
    assert subject_key("Re[2]: WG: Offer") == "offer"
    assert abs(size_step(50_000) - size_step(50_400)) <= 1
    assert size_step(None) == -1
