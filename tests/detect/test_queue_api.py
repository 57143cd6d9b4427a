"""queue_api: one account's messages piling up in Kerio's live queue (from the API)."""

from __future__ import annotations

from factories import ALICE, at, feed, office_history, pipeline, recv, severity
from kerio_watch.events import QueueSender
from kerio_watch.severity import Severity


def snapshot(
    ts: int,
    queued: int,
    deferred: int = 0,
    domains: int = 1,
    account: str = ALICE,
    ips: tuple[str, ...] = ("185.1.2.3",),
) -> QueueSender:
    raw = f"queue: {queued} from {account}"
    return QueueSender(ts, "kerio_api", raw, account, queued, deferred, domains, 600, ips)


def test_pile_up_with_deferrals_signals_with_the_attacker_address() -> None:
    p = pipeline("queue_api")
    p.external(snapshot(at(1, "02:00"), 40, deferred=25, domains=3))
    (signal,) = p.signals
    assert signal.rule == "kerio.queue.pile_up"
    assert signal.key == ALICE and signal.score == 30
    assert signal.source_ip == "185.1.2.3"
    assert "40 messages from alice@example.com waiting" in signal.summary
    assert "25 deferred" in signal.summary and "10 minutes" in signal.summary


def test_spread_over_domains_is_enough_without_deferrals() -> None:
    p = pipeline("queue_api")
    p.external(snapshot(at(1), 12, deferred=0, domains=9))
    assert len(p.signals) == 1


def test_a_small_or_undeferred_queue_is_normal() -> None:
    p = pipeline("queue_api")
    p.external(snapshot(at(1), 9, deferred=9, domains=9))
    p.external(snapshot(at(1, "09:01"), 30, deferred=2, domains=2))
    assert p.signals == []


def test_bulk_accounts_need_ten_times_more() -> None:
    p = pipeline("queue_api", users={ALICE: {"bulk": True}})
    p.external(snapshot(at(1), 60, deferred=30, domains=30))
    assert p.signals == []
    p.external(snapshot(at(1, "09:01"), 120, deferred=60, domains=10))
    assert len(p.signals) == 1


def test_repeats_only_when_the_pile_doubles_or_after_an_hour() -> None:
    p = pipeline("queue_api")
    for minute, queued in ((0, 20), (1, 25), (2, 30), (3, 45)):
        p.external(snapshot(at(1, f"09:{minute:02d}"), queued, deferred=10))
    assert [s.summary.split()[0] for s in p.signals] == ["20", "45"]
    p.external(snapshot(at(1, "10:10"), 45, deferred=10))
    assert len(p.signals) == 3


def test_several_addresses_name_no_single_source() -> None:
    p = pipeline("queue_api")
    p.external(snapshot(at(1), 20, deferred=10, ips=("185.1.2.3", "45.9.8.7")))
    p.external(snapshot(at(1), 20, deferred=10, account="bob@example.com", ips=("192.168.1.4",)))
    assert [s.source_ip for s in p.signals] == [None, None]


def test_it_corroborates_the_account_incident() -> None:
    """The queue signal is use: it joins the incident a stranger's access opened and, with
    it, makes the verdict high (both sides)."""
    p = pipeline("queue_api", "new_host")
    feed(p, office_history(ALICE, days=14))
    feed(p, [recv(at(15, "09:00"), host="198.51.100.7")])
    before = severity(p)
    assert before < Severity.MEDIUM
    p.external(snapshot(at(15, "09:01"), 50, deferred=30, domains=20))
    assert severity(p) > before
    (inc,) = p.engine.open.values()
    assert {s.rule for s in inc.best.values()} >= {"kerio.queue.pile_up"}
    assert inc.best["kerio.queue.pile_up"].side == "use"
    assert severity(p) >= Severity.HIGH


def test_alone_it_is_one_side_and_raises_no_alert() -> None:
    """A pile-up with no sign of a stranger is use alone: low, kept, no alert."""
    p = pipeline("queue_api")
    p.external(snapshot(at(1, "09:01"), 50, deferred=30, domains=20))
    assert severity(p) == Severity.LOW
    assert p.alerts == []


def test_the_queue_does_not_move_the_log_clock() -> None:
    p = pipeline("queue_api")
    feed(p, [recv(at(1, "09:00"))])
    p.external(snapshot(at(3, "09:00"), 50, deferred=30))
    assert p.stats.last_ts == at(1, "09:00")
