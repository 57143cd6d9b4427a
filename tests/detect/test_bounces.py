"""bounces: failed and delayed deliveries and DSNs against the account's rate."""

from __future__ import annotations

from factories import ALICE, at, dsn, feed, office_history, pipeline, recv, rules, sent
from kerio_watch.detect.bounces import RULE
from kerio_watch.events import Event


def _spam(day: int, n: int, fail_every: int) -> list[Event]:
    events: list[Event] = []
    for i in range(n):
        ts = at(day, "02:00") + 20 * i
        rcpt = f"x{i}@list.test"
        msg = recv(ts, to=(rcpt,))
        events.append(msg)
        if i % fail_every == 0:
            events.append(sent(ts + 3, msg.queue_id, rcpt, "failed", "5.1.1"))
        else:
            events.append(sent(ts + 3, msg.queue_id, rcpt))
    return events


class TestBounces:
    """Failure share in a window."""

    def test_many_failures_fire(self) -> None:
        """A third of the deliveries failing, for an account whose mail gets through."""
        p = pipeline("bounces")
        feed(p, office_history(ALICE, days=21, per_day=8))
        signals = feed(p, _spam(22, 60, fail_every=3))
        assert rules(signals) == {RULE}
        assert "failed or were delayed" in signals[-1].summary
        assert "usually 0%" in signals[-1].summary

    def test_a_few_failures_are_quiet(self) -> None:
        """A typo or two per day is normal."""
        p = pipeline("bounces")
        feed(p, office_history(ALICE, days=21))
        assert feed(p, _spam(22, 60, fail_every=20)) == []

    def test_dsns_back_to_the_account_count(self) -> None:
        """The server's bounces to the account are evidence too."""
        p = pipeline("bounces")
        feed(p, office_history(ALICE, days=21))
        signals = feed(p, [dsn(at(22, "03:00") + 30 * i) for i in range(12)])
        assert rules(signals) == {RULE} and "bounces came back to it" in signals[-1].summary

    def test_local_and_inbound_deliveries_are_ignored(self) -> None:
        """Failures of mail to local mailboxes or of inbound mail are not the account's."""
        p = pipeline("bounces")
        events = []
        for i in range(30):
            msg = recv(at(1, "10:00") + 10 * i, user=None, sender="x@outside.test", to=(ALICE,))
            events += [msg, sent(msg.ts + 1, msg.queue_id, ALICE, "failed", "5.2.2", "127.0.0.1")]
        assert feed(p, events) == []
