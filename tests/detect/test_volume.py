"""volume: messages and recipients against the account's norm for the hour."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from factories import ALICE, Recorder, at, feed, office_history, pipeline, recv, rules
from kerio_watch.detect.volume import RULE
from kerio_watch.events import Event, MessageReceived
from kerio_watch.values.verdict import MODERATE


def _burst(
    day: int, clock: str, n: int, every: int = 20, rcpts: int = 1, **kw: object
) -> list[MessageReceived]:
    t0 = at(day, clock)
    to = tuple(f"x{i}@list.test" for i in range(rcpts))
    return [recv(t0 + every * i, to=to, **kw) for i in range(n)]  # type: ignore[arg-type]


def _settled() -> Recorder:
    p = pipeline("volume")
    feed(p, office_history(ALICE, days=21))
    return p


class TestVolume:
    """Windows against the hour-of-week norm."""

    def test_night_burst_reads_like_a_sentence(self) -> None:
        """Hundreds at 02:00 where the account sends none: explained in numbers."""
        p = _settled()
        signals = feed(p, _burst(21, "02:00", 120, every=15, rcpts=8))
        assert rules(signals) == {RULE}
        last = signals[-1]
        assert "messages to" in last.summary and "recipients in" in last.summary
        assert "usually 0 on Mondays at 02:00" in last.summary
        assert last.score > signals[0].score, "the score grows with the volume"
        assert last.facts["peak"][0] >= 100

    def test_first_signal_comes_within_minutes(self) -> None:
        """The short window fires long before the hour is over."""
        p = _settled()
        signals = feed(p, _burst(21, "02:00", 40, every=15))
        assert signals and signals[0].ts - at(21, "02:00") <= 5 * 60

    def test_below_the_floors_is_quiet(self) -> None:
        """Fifteen messages in an hour never fire, whatever the norm."""
        p = _settled()
        assert feed(p, _burst(21, "02:00", 15, every=240)) == []

    def test_learned_bulk_sender_at_its_time(self) -> None:
        """A weekly newsletter (Tuesdays 10:00) is normal on Tuesdays at 10:00."""
        p = pipeline("volume")
        events = office_history(ALICE, days=28)
        for week in range(4):
            events += _burst(1 + 7 * week, "10:00", 300, every=2)
        signals = feed(p, events)
        late = [s for s in signals if s.ts >= at(14, "00:00")]
        assert late == [], [s.summary for s in late]
        assert p.ctx.profile(ALICE).bulk

    def test_same_volume_from_a_normal_account_fires(self) -> None:
        """Without that history, 300 messages at 10:00 are far above the norm."""
        p = _settled()
        signals = feed(p, _burst(22, "10:00", 300, every=2))
        # to people it knows (the burst's recipients): a busy day, weak on its own
        assert signals and max(s.score for s in signals) >= 10
        assert "people it knows" in signals[-1].summary

    def test_a_busy_hour_with_people_it_knows_never_decides(self) -> None:
        """Weak evidence corroborates but never decides: 300 messages in ten minutes to
        people it knows score below what pairs with a stranger's access (an owner back
        from leave answering a backlog from home); the same to strangers does not."""
        known = feed(_settled(), _burst(22, "10:00", 300, every=2))
        assert "people it knows" in known[-1].summary
        assert max(s.score for s in known) < MODERATE
        strangers = [recv(at(22, "10:00") + 2 * i, to=(f"s{i}@list.test",)) for i in range(300)]
        assert max(s.score for s in feed(_settled(), strangers)) >= MODERATE

    def test_mail_to_the_staff_is_weak(self) -> None:
        """One announcement to 80 colleagues it never wrote to: they are people it
        knows for volume (the mail never leaves the company)."""
        staff = tuple(f"colleague{i}@example.com" for i in range(80))
        (s,) = feed(_settled(), [recv(at(22, "10:00"), to=staff)])
        strangers = tuple(f"s{i}@list.test" for i in range(80))
        (t,) = feed(_settled(), [recv(at(22, "10:00"), to=strangers)])
        assert "people it knows" in s.summary and "people it knows" not in t.summary
        assert s.score < t.score

    def test_configured_bulk_uses_the_peak(self) -> None:
        """[users."x"] bulk = true: judged against its own peak at any hour."""
        p = pipeline("volume", users={ALICE: {"bulk": True}})
        events = office_history(ALICE, days=21) + _burst(8, "10:00", 200, every=3)
        feed(p, events)
        assert feed(p, _burst(22, "15:00", 200, every=3)) == []

    def test_new_account_stays_low_on_volume_alone(self) -> None:
        """Warm-up: a new account's first mailing is compared with the site, and capped."""
        p = pipeline("volume")
        signals = feed(p, _burst(1, "10:00", 300, every=2))
        assert signals and max(s.score for s in signals) <= 35
        assert "a new account" in signals[-1].summary

    def test_accepted_peak_is_quiet(self) -> None:
        """ack --benign accepts the volume as a new peak."""
        p = _settled()
        p.ctx.profile(ALICE).accept("peak", [300, 300])
        assert feed(p, _burst(22, "10:00", 250, every=2)) == []


def _written_by(events: Sequence[Event], style: str) -> list[Event]:
    """The same events, the account's own mail with Message-IDs of one mail program."""
    out: list[Event] = []
    for i, e in enumerate(events):
        if isinstance(e, MessageReceived) and e.user == ALICE:
            e = replace(e, msg_id=STYLES[style].format(i=i))
        out.append(e)
    return out


STYLES = {
    "outlook": "000001{i:06x}$3c4d5e60$b5e81b20$@example.com",
    "thunderbird": "0b2f{i:04x}-8c1d-4e2f-9a3b-5c6d7e8f9a0b@example.com",
    "webmail": "1774{i:06d}-{i}@mail.example.com",
}


class TestAProgramItNeverUsed:
    """Mail to people it knows, written by a program the account never wrote with."""

    def test_is_not_a_busy_day(self) -> None:
        """Thirty replies in half an hour to its own correspondents: with its own
        program a busy hour (weak), with a program it never wrote with (a stranger's
        tool replaying its threads, as Emotet did) the volume counts in full. The webmail
        is not one: the server writes its Message-IDs, and it is every owner's program
        in a hotel."""
        contacts = [f"contact{i}@partner{i % 5}.test" for i in range(30)]
        for style, strong in (("outlook", False), ("thunderbird", True), ("webmail", False)):
            p = pipeline("volume")
            feed(p, _written_by(office_history(ALICE, days=21), "outlook"))
            t0 = at(22, "10:00")
            burst = [recv(t0 + 60 * i, to=(c,)) for i, c in enumerate(contacts)]
            signals = feed(p, _written_by(burst, style))
            assert signals, style
            assert (max(s.score for s in signals) >= MODERATE) is strong, style
            assert "people it knows" in signals[-1].summary
            assert ("a program it never used" in signals[-1].summary) is strong
