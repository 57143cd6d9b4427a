"""Reading the queue through the API and summing it up per sender."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from kerio_watch.respond.queue import addresses, parse_item, parse_time, poll_queue

from .conftest import Kerio

BERLIN = 3600  # the emulator's zone is UTC+1 in winter
NOW = int(dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC).timestamp())


def local_to_utc(t: int) -> int:
    return t - BERLIN


def test_times_in_every_shape() -> None:
    assert parse_time("2026-12-01 13:00:00", local_to_utc) == NOW
    assert parse_time("2026-12-01T12:00:00+00:00", local_to_utc) == NOW
    assert parse_time(NOW, local_to_utc) == NOW
    assert parse_time(NOW * 1000, local_to_utc) == NOW
    struct = {"date": {"year": 2026, "month": 12, "day": 1}, "time": {"hour": 13, "min": 0}}
    assert parse_time(struct, local_to_utc) == NOW
    for nothing in ("ASAP", "", None, "soon", {"date": "x"}, True):
        assert parse_time(nothing, local_to_utc) is None


def test_recipients_in_every_shape() -> None:
    assert addresses("<A@x.test>, b@y.test; <c@z.test>") == ("a@x.test", "b@y.test", "c@z.test")
    assert addresses(["a@x.test", {"address": "b@y.test"}]) == ("a@x.test", "b@y.test")
    assert addresses(None) == ()


def test_items_and_the_configurable_field_names(kerio: Kerio) -> None:
    api = kerio.config().kerio_api
    item = {
        "id": "q1",
        "from": "<Alice@example.com>",
        "authSender": "",
        "to": "x@a.test",
        "status": "",
        "nextTry": "2026-12-01 13:15:00",
        "created": "2026-12-01 13:00:00",
    }
    msg = parse_item(item, api, local_to_utc)
    assert msg is not None
    assert (msg.account, msg.deferred, msg.created) == ("alice@example.com", True, NOW)
    assert parse_item({"id": "q2", "from": "", "to": "a@b.test"}, api, local_to_utc) is None
    renamed = kerio.config(queue_fields={"auth_sender": "sender", "created": "time"}).kerio_api
    msg = parse_item({"id": "q3", "sender": "bob@example.com", "time": NOW}, renamed, local_to_utc)
    assert msg is not None and (msg.account, msg.created, msg.deferred) == (
        "bob@example.com",
        NOW,
        False,
    )


def test_poll_groups_by_sender_and_reads_every_page(
    kerio: Kerio, queue_message: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kerio_watch.respond.queue.PAGE", 7)
    for i in range(20):
        queue_message(
            "alice@example.com", f"r{i}@d{i % 6}.test", NOW - 600 + i, deferred=i % 2 == 0
        )
    queue_message("bob@example.com", "x@partner.test", NOW - 30, ip="192.168.1.9")
    kerio.state.accept("dsn1", NOW, "", "", "", ["alice@example.com"], 900)
    api = kerio.config().kerio_api
    snap = poll_queue(kerio.client(), api, local_to_utc, NOW)
    assert (snap.total, snap.read, snap.deferred) == (22, 22, 10)
    assert kerio.emulator.calls["Queue.get"] == 4
    alice = snap.senders["alice@example.com"].to_dict(NOW)
    assert alice == {
        "account": "alice@example.com",
        "queued": 20,
        "deferred": 10,
        "domains": 6,
        "oldest_age": 600,
        "ips": ["185.1.2.3"],
    }
    (first, second) = snap.events()
    assert (first.account, first.queued, first.ts, first.log) == (
        "alice@example.com",
        20,
        NOW,
        "kerio_api",
    )
    assert second.account == "bob@example.com"
    assert [s["account"] for s in snap.summary()["senders"]] == [
        "alice@example.com",
        "bob@example.com",
    ]


def test_the_limit_bounds_a_huge_queue(kerio: Kerio, queue_message: Callable[..., None]) -> None:
    for i in range(30):
        queue_message("alice@example.com", created=NOW - i)
    snap = poll_queue(kerio.client(), kerio.config(queue_limit=12).kerio_api, local_to_utc, NOW)
    assert (snap.total, snap.read) == (30, 12)
