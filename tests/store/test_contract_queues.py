"""The store contract, continued: the delivery queue and hourly activity, on both
backends (the ``store`` fixture)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kerio_watch.errors import StoreError
from kerio_watch.store.base import Store
from kerio_watch.store.memory import MemoryStore
from kerio_watch.store.sqlite import SQLiteStore
from kerio_watch.store.sqlite.responses import ResponseStore
from kerio_watch.values.delivery import Delivery

H = 3600


def _queue(store: Store) -> list[Delivery]:
    rows = [
        Delivery("email", "alert", {"id": "a1"}, 10.0, 10.0, severity=2, incident_id=1),
        Delivery("email", "alert", {"id": "a2"}, 20.0, 50.0, severity=4, incident_id=2),
        Delivery("webhook", "summary", {"n": 3}, 30.0, 30.0, status="sent", sent_at=40.0),
        Delivery("webhook", "alert", {"id": "a3"}, 40.0, 40.0, status="failed", last_try=45.0),
    ]
    for d in rows:
        store.add_delivery(d)
    return rows


def test_deliveries_are_queued_filtered_and_ordered(store: Store) -> None:
    """Ids are given in order; filters and orders are those of the SQL backend."""
    rows = _queue(store)
    assert [d.id for d in rows] == [1, 2, 3, 4]
    assert store.delivery(2) == rows[1]
    assert store.delivery(9) is None
    assert [d.id for d in store.deliveries(sink="email")] == [1, 2]
    assert [d.id for d in store.deliveries(status=["sent", "failed"])] == [3, 4]
    assert [d.id for d in store.deliveries(status="pending", due_before=20.0)] == [1]
    assert [d.id for d in store.deliveries(kind="summary")] == [3]
    assert [d.id for d in store.deliveries(incident_id=2)] == [2]
    assert [d.id for d in store.deliveries(sent_since=0.0)] == [3]
    assert [d.id for d in store.deliveries(order="priority")] == [2, 1, 3, 4]
    assert [d.id for d in store.deliveries(order="sent")] == [3, 4, 2, 1]
    assert [d.id for d in store.deliveries(order="tried", limit=2)] == [4, 3]
    assert store.delivery_counts() == {
        "email": {"pending": 2},
        "webhook": {"sent": 1, "failed": 1},
    }


def test_deliveries_update_and_prune(store: Store) -> None:
    """An update writes every field back; pruning removes finished old ones only."""
    rows = _queue(store)
    first = rows[0]
    first.status, first.attempts, first.data = "sent", 2, {"id": "a1", "x": [1]}
    store.update_delivery(first)
    assert store.delivery(1) == first
    assert store.prune_deliveries(35.0) == 2
    assert [d.id for d in store.deliveries()] == [2, 4]


def test_activity_counts_add_up_and_filter(store: Store) -> None:
    """Counts add per (hour, account, kind, key); filters by time, account and kind."""
    store.add_activity({(1, "a", "send", "k1"): 2, (1, "b", "send", "k2"): 1})
    store.add_activity({(1, "a", "send", "k1"): 3, (2, "a", "login", "IMAP|203.0.113.7|x"): 1})
    store.add_activity({(5, "b", "rcpt", "example.org"): 4})
    assert store.activity() == [
        (1 * H, "a", "send", "k1", 5),
        (1 * H, "b", "send", "k2", 1),
        (2 * H, "a", "login", "IMAP|203.0.113.7|x", 1),
        (5 * H, "b", "rcpt", "example.org", 4),
    ]
    assert store.activity(since=2 * H, until=5 * H) == [
        (2 * H, "a", "login", "IMAP|203.0.113.7|x", 1)
    ]
    assert store.activity(until=5 * H + 1, account="b", kinds=["rcpt"]) == [
        (5 * H, "b", "rcpt", "example.org", 4)
    ]
    assert store.activity_span() == (1 * H, 5 * H)


def test_activity_rows_add_up_as_a_dict_does(store: Store) -> None:
    """Rows from an iterator (the native recorder's batch) add to what dicts added."""
    store.add_activity({(1, "a", "send", "k1"): 2})
    store.add_activity_rows(iter([(1, "a", "send", "k1", 3), (2, "b", "rcpt", "x.org", 1)]))
    store.add_activity_rows([(2, "b", "rcpt", "x.org", 4)])
    assert store.activity() == [(1 * H, "a", "send", "k1", 5), (2 * H, "b", "rcpt", "x.org", 5)]


def test_activity_totals_search_and_prune(store: Store) -> None:
    """Sums per hour and per account, a search in keys, and pruning by hour."""
    assert store.activity_span() is None
    store.add_activity(
        {
            (1, "a", "send", "k1"): 5,
            (1, "b", "send", "k2"): 1,
            (2, "a", "login", "IMAP|203.0.113.7|x"): 1,
            (5, "b", "rcpt", "Example.org"): 4,
        }
    )
    kinds = ["send", "rcpt"]
    assert store.hourly_totals(0, 10 * H, kinds) == [(H, "send", 6), (5 * H, "rcpt", 4)]
    assert store.account_totals(0, 2 * H, kinds) == [("a", "send", 5), ("b", "send", 1)]
    assert store.activity_containing("EXAMPLE", ["rcpt", "login"]) == [
        (5 * H, "b", "rcpt", "Example.org", 4)
    ]
    assert store.activity_containing("203.0.113", ["login"], limit=1) == [
        (2 * H, "a", "login", "IMAP|203.0.113.7|x", 1)
    ]
    assert store.prune_activity(2 * H + 10) == 2
    assert [r[0] for r in store.activity()] == [2 * H, 5 * H]


def test_containment_journal_needs_the_sqlite_store(tmp_path: Path) -> None:
    """The containment journal lives in the SQLite database; the in-memory store says so."""
    with pytest.raises(StoreError, match="containment needs the SQLite state database"):
        ResponseStore(MemoryStore())
    store = SQLiteStore(tmp_path / "state.db")
    assert ResponseStore(store).actions() == []
    store.close()
