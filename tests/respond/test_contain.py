"""Containment against the emulator: dry run, real actions, release, safety, reconciling."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kerio_watch.config import Config
from kerio_watch.respond.client import ApiClient, Endpoint
from kerio_watch.respond.contain import Containment
from kerio_watch.severity import Severity
from kerio_watch.store import open_store
from kerio_watch.store.base import Store
from kerio_watch.store.sqlite.responses import ResponseStore
from kerio_watch.values.incident import Incident

from .conftest import GROUP, Kerio

ALICE = "alice@example.com"
EVERYTHING = {"critical": ["stop_sending", "remove_queued", "block_ip"]}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(tmp_path / "state.db")
    yield s
    s.close()


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


Make = Callable[..., tuple[Containment, Clock]]
Put = Callable[..., None]


@pytest.fixture
def contain(kerio: Kerio, store: Store) -> Make:
    def make(client: ApiClient | None = None, **contain: Any) -> tuple[Containment, Clock]:
        options: dict[str, Any] = {"actions": EVERYTHING, "dry_run": False, **contain}
        config: Config = kerio.config(contain=options)
        api = client or kerio.client()
        clock = Clock()
        return Containment(config, ResponseStore(store), lambda: api, lambda t: t, clock), clock

    return make


def incident(
    n: int = 1, user: str = ALICE, ips: tuple[str, ...] = ("185.1.2.3",), **kw: Any
) -> Incident:
    now = int(time.time())
    inc = Incident(
        n,
        user,
        now - 600,
        now,
        severity=kw.get("severity", Severity.CRITICAL),
        first_signal=now - 600,
    )
    inc.source_ips = list(ips)
    return inc


def spam(put: Callable[..., None], n: int, age: int = 60, sender: str = ALICE) -> None:
    for i in range(n):
        put(sender, f"v{i}@spam.test", int(time.time()) - age)


def test_dry_run_records_the_exact_calls_and_writes_nothing(
    kerio: Kerio, contain: Make, queue_message: Put
) -> None:
    spam(queue_message, 3)
    c, _ = contain(dry_run=True)
    records = c.consider(incident())
    assert [(r.action, r.status) for r in records] == [
        ("stop_sending", "dry_run"),
        ("remove_queued", "dry_run"),
        ("block_ip", "dry_run"),
    ]
    assert kerio.state.writes == []
    alice = kerio.state.user_by_address(ALICE)
    assert alice is not None
    assert records[0].calls == [
        {
            "call": [
                "Users.set",
                {"userIds": [alice.id], "pattern": {"hasDomainRestriction": True}},
            ],
            "planned": True,
        }
    ]
    assert len(records[1].calls[0]["call"][1]["messageIds"]) == 3
    assert records[2].calls[0]["call"][1]["groups"][0]["host"] == "185.1.2.3"
    assert kerio.state.may_send(ALICE, "x@spam.test", "185.1.2.3")


def test_real_containment_and_its_release(kerio: Kerio, contain: Make, queue_message: Put) -> None:
    spam(queue_message, 4)
    queue_message(ALICE, "old@partner.test", int(time.time()) - 7200)  # before the incident
    queue_message("bob@example.com", "y@partner.test", int(time.time()))
    c, _ = contain()
    records = c.consider(incident())
    assert [r.status for r in records] == ["done", "kept", "done"]
    state = kerio.state
    assert not state.may_send(ALICE, "x@spam.test", None)
    assert state.may_send(ALICE, "bob@example.com", None)  # mail within its domain still goes
    assert state.blocked("185.1.2.3")
    assert sorted(i.sender for i in state.queue.values()) == [ALICE, "bob@example.com"]
    assert records[1].calls[-1]["answer"] == {"deletedItems": 4}
    assert records[0].expires is not None and records[1].expires is None
    released = c.release_incident(1, "admin", "false alarm")
    assert [(r.action, r.status) for r in released] == [
        ("stop_sending", "released"),
        ("block_ip", "released"),
    ]
    assert state.may_send(ALICE, "x@spam.test", None) and not state.blocked("185.1.2.3")
    assert c.release_incident(1, "admin", "again") == []  # nothing left to release
    assert [r.status for r in c.journal.actions(incident_id=1)] == ["released", "kept", "released"]


@pytest.mark.parametrize(
    ("mode", "field", "value"),
    [("disable", "enabled", False), ("access_policy", "policy_id", "nosmtp")],
)
def test_other_ways_to_stop_sending(
    kerio: Kerio, contain: Make, mode: str, field: str, value: Any
) -> None:
    c, _ = contain(
        actions={"high": ["stop_sending"]}, stop_sending=mode, access_policy="No sending"
    )
    (record,) = c.consider(incident(severity=Severity.HIGH))
    assert record.status == "done"
    alice = kerio.state.user_by_address(ALICE)
    assert alice is not None
    assert str(getattr(alice, field)).endswith(str(value))
    c.release_incident(1, "admin", "")
    assert alice.enabled and alice.policy_id.endswith("default")


def test_what_is_already_in_place_is_not_touched_or_undone(kerio: Kerio, contain: Make) -> None:
    alice = kerio.state.user_by_address(ALICE)
    assert alice is not None
    alice.restricted = True
    c, _ = contain(actions={"critical": ["stop_sending"]})
    (record,) = c.consider(incident())
    assert record.status == "skipped" and "already has hasDomainRestriction" in record.reason
    c.release_incident(1, "admin", "")
    assert alice.restricted and kerio.state.writes == []


def test_the_allowlist_and_the_api_user_are_never_touched(kerio: Kerio, contain: Make) -> None:
    c, _ = contain(allow_accounts=["scan*@example.com", "alice@*"])
    (record,) = c.consider(incident())
    assert (record.action, record.status) == ("all", "skipped")
    assert "allow_accounts (alice@*)" in record.reason
    assert c.consider(incident()) == []  # skipped once, not again
    (own,) = c.consider(incident(2, "admin@example.com"))
    assert "API's own administrator account" in own.reason
    assert kerio.state.writes == []


def test_the_hourly_cap(kerio: Kerio, contain: Make) -> None:
    c, clock = contain(max_per_hour=2, actions={"critical": ["stop_sending"]})
    users = ("alice@example.com", "bob@example.com", "carol@example.com")
    results = [c.consider(incident(i, u))[0] for i, u in enumerate(users, 1)]
    assert [r.status for r in results] == ["done", "done", "skipped"]
    assert "hourly cap reached: 2 incidents" in results[2].reason
    carol = kerio.state.user_by_address("carol@example.com")
    assert carol is not None and not carol.restricted
    assert c.consider(incident(3, "carol@example.com")) == []  # said once
    clock.now += 3601
    (later,) = c.consider(incident(3, "carol@example.com"))  # escalates after the hour
    assert later.status == "done" and carol.restricted


def test_an_escalation_adds_the_higher_actions_only(kerio: Kerio, contain: Make) -> None:
    c, _ = contain(actions={"high": ["block_ip"], "critical": ["stop_sending"]})
    assert [r.action for r in c.consider(incident(severity=Severity.HIGH))] == ["block_ip"]
    assert [r.action for r in c.consider(incident())] == ["stop_sending"]
    assert len(kerio.state.writes) == 2


def test_trusted_private_and_missing_addresses_are_not_blocked(kerio: Kerio, contain: Make) -> None:
    c, _ = contain(actions={"critical": ["block_ip"]})
    (record,) = c.consider(incident(ips=("192.168.1.7", "0.0.0.0", "10.0.0.9")))
    assert record.status == "skipped" and "no public attacker address" in record.reason


def test_a_missing_group_is_reported_not_created(kerio: Kerio, contain: Make) -> None:
    c, _ = contain(actions={"critical": ["block_ip"]}, ip_group="no such group")
    (record,) = c.consider(incident())
    assert record.status == "skipped" and "create it and tie it to a blocking rule" in record.reason
    assert GROUP in kerio.state.groups.values() and len(kerio.state.groups) == 1


def test_expired_containments_are_released(kerio: Kerio, contain: Make) -> None:
    c, clock = contain(release_after_hours=2, actions={"critical": ["stop_sending", "block_ip"]})
    c.consider(incident())
    assert c.release_due() == []
    clock.now += 2 * 3600 + 1
    assert [(r.status, r.released_by) for r in c.release_due()] == [("released", "expiry")] * 2
    assert kerio.state.may_send(ALICE, "x@spam.test", "185.1.2.3")


def test_a_lost_answer_is_reconciled_without_repeating(kerio: Kerio, contain: Make) -> None:
    """The write reached Kerio but the answer was lost: reconciling confirms it."""
    client = kerio.client()
    client.endpoint = Endpoint(client.endpoint.url, None, client.endpoint.fingerprint, 0.3)
    c, _ = contain(client=client, actions={"critical": ["stop_sending"]})
    kerio.emulator.faults.delay["Users.set"] = 1.0
    (record,) = c.consider(incident())
    assert record.status == "unknown" and "no answer" in (record.error or "")
    kerio.emulator.faults.delay.clear()
    (settled,) = c.reconcile()
    assert settled.status == "done"
    assert [m for m, _ in kerio.state.writes] == ["Users.set"]


def test_an_intent_without_its_call_is_carried_out_on_reconcile(
    kerio: Kerio, contain: Make, queue_message: Put
) -> None:
    """A crash after recording the intent and before the call: the call is made once."""
    spam(queue_message, 3)
    c, _ = contain(actions={"critical": ["remove_queued"]})
    plan = c._plans(incident(), ("remove_queued",))[0]
    record = c._record(incident(), plan, "pending")
    c.journal.add(record)
    assert len(kerio.state.queue) == 3
    (settled,) = c.reconcile()
    assert settled.status == "kept" and kerio.state.queue == {}
    assert c.reconcile() == []
    assert [m for m, _ in kerio.state.writes] == ["Queue.remove"]


def test_release_claims_each_action_once(kerio: Kerio, contain: Make) -> None:
    c, _ = contain(actions={"critical": ["stop_sending"]})
    (record,) = c.consider(incident())
    assert c.journal.claim(record, ("done",), "releasing", time.time())
    assert not c.journal.claim(record, ("done",), "releasing", time.time())


def test_two_deciders_at_the_same_instant_contain_once(
    kerio: Kerio, contain: Make, tmp_path: Path
) -> None:
    """A follower and a dashboard click (two processes, two connections to one database)
    both plan the same action before either recorded it: one takes it, the other gets
    the action already taken; the API is written to once."""
    first, _ = contain(actions={"critical": ["stop_sending"]})
    other_store = open_store(tmp_path / "state.db")
    try:
        config = kerio.config(contain={"actions": EVERYTHING, "dry_run": False})
        api = kerio.client()
        second = Containment(config, ResponseStore(other_store), lambda: api, lambda t: t)
        inc = incident()
        (plan_a,) = first._plans(inc, ("stop_sending",))
        (plan_b,) = second._plans(inc, ("stop_sending",))  # neither has recorded anything
        writes = len(kerio.state.writes)
        taken = first._carry_out(inc, plan_a)
        again = second._carry_out(inc, plan_b)
        assert taken.status == "done" and again.id == taken.id and again.status == "done"
        assert len(kerio.state.writes) == writes + 1
        assert [r.status for r in second.journal.actions(incident_id=inc.id)] == ["done"]
    finally:
        other_store.close()


def test_a_dry_run_does_not_stand_in_for_the_real_action(kerio: Kerio, contain: Make) -> None:
    """What a dry run recorded is taken again for real once dry_run is off (and a second
    dry run of it is not recorded twice)."""
    dry, _ = contain(actions={"critical": ["stop_sending"]}, dry_run=True)
    inc = incident()
    (plan,) = dry._plans(inc, ("stop_sending",))
    first = dry._carry_out(inc, plan)
    assert dry._carry_out(inc, plan).id == first.id
    real, _ = contain(actions={"critical": ["stop_sending"]})
    (done,) = real.consider(inc)
    assert done.status == "done" and done.id != first.id
    assert not kerio.state.may_send(ALICE, "x@spam.test", None)
