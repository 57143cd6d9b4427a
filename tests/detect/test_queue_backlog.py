"""queue_backlog: recipients with no final delivery after N minutes."""

from __future__ import annotations

from factories import ALICE, at, feed, office_history, pipeline, recv, rules, sent
from kerio_watch.detect.queue_backlog import RULE
from kerio_watch.events import Event


def _run(day: int, n: int, delivered: bool) -> list[Event]:
    events: list[Event] = []
    for i in range(n):
        ts = at(day, "02:00") + 10 * i
        rcpts = (f"a{i}@list.test", f"b{i}@list.test")
        msg = recv(ts, to=rcpts)
        events.append(msg)
        result = "delivered" if delivered else "delayed"
        events += [sent(ts + 5, msg.queue_id, r, result, "4.4.1") for r in rcpts]
    # later log lines move the clock on
    events += [recv(at(day, "03:30") + 60 * k, user="bob@example.com") for k in range(5)]
    return events


class TestQueueBacklog:
    """Pending recipients per account."""

    def test_undelivered_mail_fires_after_the_delay(self) -> None:
        """Deferred recipients still queued 30 minutes later, in log time."""
        p = pipeline("queue_backlog")
        feed(p, office_history(ALICE, days=21))
        signals = feed(p, _run(22, 30, delivered=False))
        assert rules(signals) == {RULE}
        s = signals[0]
        assert s.ts >= at(22, "02:30")
        assert "still had no final delivery 30 minutes after" in s.summary

    def test_delivered_mail_is_quiet(self) -> None:
        """Mail that went out raises nothing."""
        p = pipeline("queue_backlog")
        feed(p, office_history(ALICE, days=21))
        assert feed(p, _run(22, 30, delivered=True)) == []
