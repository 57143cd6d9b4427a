"""The store contract: what every backend (SQLite, in memory) does the same way.

Each test runs against both backends (the ``store`` fixture), so the in-memory store
that unit tests use is held to the SQLite store's behaviour."""

from __future__ import annotations

import pytest

from kerio_watch.store.base import Store
from kerio_watch.store.query import IncidentQuery
from kerio_watch.values.checkpoint import FileCheckpoint
from kerio_watch.values.decision import Decision
from kerio_watch.values.profile import Profile

from .conftest import alert, incident


def test_metadata_round_trips(store: Store) -> None:
    """Values are set, replaced and read back; the schema is the newest one."""
    assert store.get_meta("k") is None
    store.set_meta("k", "1")
    store.set_meta("k", "2")
    assert store.get_meta("k") == "2"
    assert store.schema_version() >= 7


def test_profiles_are_saved_and_listed(store: Store) -> None:
    """A saved profile comes back equal but not the same object; accounts are sorted."""
    bob, alice = Profile("bob@example.com"), Profile("alice@example.com")
    alice.learn_host("203.0.113.7", "203.0.113.0/24", 1000)
    store.save_profiles([bob, alice])
    loaded = store.load_profile("alice@example.com")
    assert loaded is not None and loaded is not alice
    assert loaded.to_dict() == alice.to_dict()
    assert store.load_profile("nobody@example.com") is None
    assert store.accounts() == ["alice@example.com", "bob@example.com"]


def test_incidents_filter_order_and_search(store: Store) -> None:
    """Incidents are replaced by id, listed newest first with filters, and searched."""
    store.save_incidents(
        [
            incident(1, "a@example.com", 1000),
            incident(2, "ip:203.0.113.9", 2000, score=10, ip="203.0.113.9"),
            incident(3, "b@example.com", 3000, status="closed"),
        ]
    )
    assert store.next_incident_id() == 3
    assert [i.id for i in store.incidents()] == [3, 2, 1]
    assert [i.id for i in store.open_incidents()] == [1, 2]
    assert [i.id for i in store.incidents(status="open", since=1500)] == [2]
    assert [i.id for i in store.incidents(until=2000)] == [1]
    assert [i.id for i in store.incidents(key="b@example.com")] == [3]
    assert [i.id for i in store.incidents(limit=1)] == [3]
    one = store.incident(1)
    assert one is not None and one.to_dict() == incident(1, "a@example.com", 1000).to_dict()
    assert store.incident(9) is None
    assert [i.id for i in store.incidents_containing("203.0.113.9")] == [2]
    assert [i.id for i in store.incidents_containing("TEST SIGNAL")] == [3, 2, 1]


@pytest.mark.parametrize("sort", ["severity", "updated", "opened", "score", "id", "key"])
@pytest.mark.parametrize("descending", [True, False])
def test_incident_pages_sort_like_sql(store: Store, sort: str, descending: bool) -> None:
    """Every sort column, both directions, pages and counts agree between backends."""
    store.save_incidents(
        incident(i, f"u{i % 3}@example.com", 1000 + 100 * (i % 4), score=10 * (i % 5))
        for i in range(1, 13)
    )
    expected = {
        "severity": lambda i: (-int(i.severity), -i.updated, -i.id),
        "updated": lambda i: (-i.updated, -i.id),
        "opened": lambda i: (-i.opened, -i.id),
        "score": lambda i: (-i.score, -i.updated, -i.id),
        "id": lambda i: -i.id,
    }
    every = store.incident_page(IncidentQuery(sort=sort, descending=descending, limit=100))
    assert len(every) == 12 == store.count_incidents(IncidentQuery())
    if sort == "key" and not descending:
        assert [i.id for i in every] == [
            i.id for i in sorted(every, key=lambda i: (i.key, -i.updated, -i.id))
        ]
    elif descending and sort != "key":
        assert [i.id for i in every] == [i.id for i in sorted(every, key=expected[sort])]
    page = store.incident_page(IncidentQuery(sort=sort, descending=descending, limit=5, offset=5))
    assert [i.id for i in page] == [i.id for i in every[5:10]]
    with pytest.raises(ValueError, match="cannot sort"):
        store.incident_page(IncidentQuery(sort="summary"))


def test_alerts_newest_first(store: Store) -> None:
    """Alerts are replaced by id and listed newest first, from ``since``."""
    store.save_alerts([(alert("a1", 100), True), (alert("a2", 300), False)])
    store.save_alerts([(alert("a1", 200), True)])
    assert [a.id for a in store.alerts()] == ["a2", "a1"]
    assert [a.id for a in store.alerts(since=150)] == ["a2", "a1"]
    assert [a.id for a in store.alerts(since=250)] == ["a2"]
    assert store.alerts(limit=1)[0].to_dict() == alert("a2", 300).to_dict()


def test_decisions_and_acks(store: Store) -> None:
    """Decisions get ids, are undone, come back oldest first; acks queue in order."""
    first = Decision(1, "benign", 10.0, "admin", "known", "", {"hosts": ["h"]})
    assert store.add_decision(first) == first.id == 1
    undo = Decision(1, "undo", 20.0, undoes=first.id)
    store.add_decision(undo)
    store.mark_undone(first.id, undo.id)
    store.add_decision(Decision(2, "resolved", 30.0))
    about_one = store.decisions(1)
    assert [(d.decision, d.undone_by, d.undoes) for d in about_one] == [
        ("benign", 2, None),
        ("undo", None, 1),
    ]
    assert about_one[0].taught == {"hosts": ["h"]}
    assert [d.id for d in store.decisions(limit=2)] == [2, 3]
    assert store.last_ack_seq() == 0
    store.record_ack(1, "benign")
    store.record_ack(2, "resolved")
    assert store.last_ack_seq() == 2
    assert store.acks_after(1) == [(2, 2, "resolved")]


def test_checkpoints_and_watermarks(store: Store) -> None:
    """Watermarks merge; file positions are replaced as a whole."""
    store.save_watermarks({"mail": (10, 1), "security": (20, 2)})
    store.save_watermarks({"mail": (30, 3)})
    assert store.watermarks() == {"mail": (30, 3), "security": (20, 2)}
    a = FileCheckpoint(1, 2, "h", "/var/log/mail.log", "mail", 100, 5, 200, first_ts=7)
    b = FileCheckpoint(1, 3, "g", "/var/log/mail.log.1", "mail", 9, 1, 9, gone=True, checked=True)
    store.replace_follow_checkpoints([a, b])
    assert store.follow_checkpoints() == [a, b]
    store.replace_follow_checkpoints([b])
    assert store.follow_checkpoints() == [b]


def test_detector_state(store: Store) -> None:
    """Per-IP state filtered and pruned by its ``updated``; named state round-trips."""
    store.save_ip_state({"203.0.113.1": {"updated": 100, "n": 1}, "203.0.113.2": {"updated": 300}})
    assert set(store.load_ip_state(200)) == {"203.0.113.2"}
    assert store.load_ip_state(0)["203.0.113.1"] == {"updated": 100, "n": 1}
    assert store.prune_ip_state(200) == 1
    assert set(store.load_ip_state(0)) == {"203.0.113.2"}
    assert store.load_detector_state("learner") is None
    store.save_detector_state("learner", {"now": 5, "seen": ["a"]})
    assert store.load_detector_state("learner") == {"now": 5, "seen": ["a"]}


def test_a_failed_transaction_changes_nothing(store: Store) -> None:
    """Writes inside a transaction that raises are undone; nested ones join the outer."""
    store.set_meta("k", "before")
    with pytest.raises(RuntimeError), store.transaction():
        store.set_meta("k", "inside")
        with store.transaction():
            store.save_profiles([Profile("a@example.com")])
        raise RuntimeError("boom")
    assert store.get_meta("k") == "before"
    assert store.accounts() == []
    with store.transaction():
        store.set_meta("k", "after")
    assert store.get_meta("k") == "after"
