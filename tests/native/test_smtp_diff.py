"""The core's ``MailServers`` against Python's (``kerio_watch.detect.smtp_hosts_mail``):
the same answers after any sequence of deliveries, connections, inbound SMTP, prunes
and restores, and the same saved form, key order included (the saved JSON is compared
as text), read back by either engine."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerio_watch.detect.smtp_hosts_mail import (
    HOUR,
    MAX_DELIVERY_HOSTS,
    MailServers,
    saved_mail,
)
from nativediff import extension

HOSTS = st.sampled_from(["192.168.1.2", "192.168.1.9", "ü"])
REMOTES = st.one_of(*[st.sampled_from(["203.0.113.1", "203.0.113.2", "r"])] * 5, st.text())
TIMES = st.integers(0, 4 * HOUR) | st.integers(1000, 1200)
STEP = st.one_of(
    st.tuples(st.just("delivered"), REMOTES, TIMES),
    st.tuples(st.just("kerio_delivered"), REMOTES, TIMES, st.integers(0, 200)),
    st.tuples(st.just("outbound"), HOSTS, st.booleans(), TIMES, st.booleans()),
    st.tuples(st.just("carried"), HOSTS, REMOTES, TIMES, st.booleans()),
    st.tuples(st.just("carries_no_kerio_mail"), HOSTS),
    st.tuples(st.just("received"), HOSTS, REMOTES, TIMES),
    st.tuples(st.just("prune"), TIMES),
    st.tuples(st.just("reload"), TIMES),
)


def _saved(mail: Any, now: int) -> str:
    return json.dumps(mail.dump(now))


def _apply(mail: Any, step: tuple[Any, ...]) -> Any:
    op, *args = step
    if op == "kerio_delivered":
        remote, start, span = args
        return mail.kerio_delivered(remote, start, start + span)
    if op == "carried":
        host, remote, ts, infer = args
        return mail.carried(host, remote, ts, ts - 30, ts + 90, infer)
    return getattr(mail, op)(*args)


def _reload(mail: Any, now: int, make: Any) -> Any:
    """A save at ``now`` (through JSON, as the state database keeps it) read back."""
    fresh = make(mail.need_matches, mail.need_share)
    fresh.load(*saved_mail(json.loads(_saved(mail, now))))
    return fresh


@settings(max_examples=300)
@given(
    st.lists(STEP, min_size=5, max_size=120),
    st.integers(1, 6),
    st.sampled_from([0.0, 0.5, 0.6, 1.0]),
    st.booleans(),
)
def test_the_same_answers_and_saved_form(
    steps: list[tuple[Any, ...]], matches: int, share: float, crossed: bool
) -> None:
    core = extension().MailServers
    native, python = core(matches, share), MailServers(matches, share)
    for step in steps:
        if step[0] == "reload":
            # each engine reads the other's save (crossed) or its own
            now = step[1]
            assert _saved(native, now) == _saved(python, now)
            native, python = (
                (_reload(python, now, core), _reload(native, now, MailServers))
                if crossed
                else (_reload(native, now, core), _reload(python, now, MailServers))
            )
            continue
        assert _apply(native, step) == _apply(python, step), step
        assert native.inferred == python.inferred
    for now in (0, HOUR, 4 * HOUR):
        assert _saved(native, now) == _saved(python, now)
    assert (native.need_matches, native.need_share) == (matches, share)


def test_a_host_over_256_deliveries_and_a_full_table_agree() -> None:
    """The bounds: a remote host keeps at most 256 times (the oldest 128 go, also when
    late times are inserted), and a new host past the table's limit prunes the old."""
    native, python = extension().MailServers(5, 0.6), MailServers(5, 0.6)
    for i in range(600):
        ts = i * 7 % 600 if i % 3 else i
        for mail in (native, python):
            mail.delivered("203.0.113.1", ts)
        assert native.kerio_delivered("203.0.113.1", ts, ts) is True
    assert _saved(native, 0) == _saved(python, 0)
    for i in range(MAX_DELIVERY_HOSTS + 5):
        for mail in (native, python):
            mail.delivered(f"r{i}", i // 10)
    for mail in (native, python):
        mail.delivered("late", 2 * HOUR)  # past the limit at a later time: a prune
    assert _saved(native, 0) == _saved(python, 0)
    assert _saved(native, 2 * HOUR) == _saved(python, 2 * HOUR)
    assert len(json.loads(_saved(python, 0))["deliveries"]) < MAX_DELIVERY_HOSTS


@pytest.mark.parametrize(
    "bad",
    [
        {"deliveries": {"r": [2**63]}, "tally": {}, "inbound": {}, "inferred": {}},
        {"deliveries": {}, "tally": {"\ud800": [1, 2]}, "inbound": {}, "inferred": {}},
        {"deliveries": {}, "tally": {"h": [1]}, "inbound": {}, "inferred": {}},
        {"deliveries": {}, "tally": {}, "inbound": {}, "inferred": {"h": {"since": 1}}},
        {"deliveries": {"r": ["x"]}, "tally": {}, "inbound": {}, "inferred": {}},
    ],
)
def test_unreadable_saved_state_is_refused_before_either_changes(bad: dict[str, Any]) -> None:
    """Malformed saved state raises what a detector's restore catches (it then starts
    empty), in both engines alike, before anything was taken."""
    for mail in (extension().MailServers(5, 0.6), MailServers(5, 0.6)):
        mail.delivered("203.0.113.1", 10)
        with pytest.raises((ValueError, TypeError, KeyError)):
            mail.load(*saved_mail(bad))
        assert json.loads(_saved(mail, 0))["deliveries"] == {"203.0.113.1": [10]}
