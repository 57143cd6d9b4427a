"""The direct-SMTP detector: LAN machines that talk SMTP to the internet themselves."""

from __future__ import annotations

import itertools
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from factories import (
    ALICE,
    BOB,
    LAN,
    Recorder,
    at,
    feed,
    login,
    pipeline,
    recv,
    sent,
    severity,
)
from kerio_watch.app.config import config_from_dict
from kerio_watch.detect import DETECTORS
from kerio_watch.detect.direct_smtp import RULE
from kerio_watch.detect.smtp_hosts import Exclusions, HostUsers
from kerio_watch.enrich.network import Networks
from kerio_watch.events import Connection, Event
from kerio_watch.severity import Severity
from kerio_watch.store.base import Store
from kerio_watch.store.memory import MemoryStore
from kerio_watch.store.sqlite import SQLiteStore
from kerio_watch.timebase import Timebase
from kerio_watch.values.ip import is_ip

PC = "192.168.1.41"
SERVER = "192.168.1.5"
_ports = itertools.count(40000)


def conn(
    ts: int,
    src: str = PC,
    dst: str = "203.0.113.9",
    dport: int = 25,
    action: str = "block",
    sport: int | None = None,
    protocol: str | None = "tcp",
) -> Connection:
    """A firewall line: ``src`` opened a TCP connection to ``dst:dport``."""
    sport = next(_ports) if sport is None else sport
    raw = f"mail-egress: IN=eth1 OUT=eth0 SRC={src} DST={dst} PROTO=TCP SPT={sport} DPT={dport}"
    return Connection(ts, "netfilter", raw, action, protocol, src, dst, sport, dport)


def outside(i: int) -> str:
    """The ``i``-th outside mail server (documentation and benchmark ranges)."""
    return f"198.51.{100 + i // 250}.{1 + i % 250}"


def burst(start: int, n: int, per_minute: int = 10, src: str = PC) -> list[Event]:
    """``n`` connections to ``n`` different outside servers, ``per_minute`` a minute."""
    return [conn(start + i * 60 // per_minute, src, outside(i)) for i in range(n)]


def run(events: list[Event], **kwargs: Any) -> Recorder:
    p = pipeline("direct_smtp", **kwargs)
    feed(p, events)
    p.tick(max(e.ts for e in events) + 3600)
    return p


def key(host: str = PC) -> str:
    return f"host:{host}"


def test_an_infected_pc_is_high_within_minutes_and_names_its_users() -> None:
    t0 = at(10, "10:00")
    users = [login(at(9, "08:00"), ALICE, PC), recv(at(9, "09:00"), user=BOB, host=PC)]
    p = pipeline("direct_smtp")
    feed(p, [*users, *burst(t0, 60, per_minute=10)])
    feed(p, [login(t0 + 300, "carol@example.com", "192.168.1.99")])  # time passes
    assert severity(p, key()) >= Severity.HIGH
    inc = p.engine.open[key()]
    assert inc.user is None
    high = [s for s in p.signals if s.min_severity >= Severity.HIGH]
    assert high and high[0].ts - t0 <= 300
    assert inc.facts["accounts"] == [ALICE, BOB]
    summary = high[0].summary
    assert summary.startswith(f"{PC} (used by {ALICE}, {BOB}) opened SMTP connections to ")
    assert "outside servers in 10 minutes" in summary and "all blocked by the firewall" in summary


def test_severity_rises_with_destinations_and_reaches_critical() -> None:
    t0 = at(10, "10:00")
    p = run(burst(t0, 1))
    assert severity(p, key()) == Severity.LOW
    p = run(burst(t0, 6))
    assert severity(p, key()) == Severity.MEDIUM
    p = run(burst(t0, 12))
    assert severity(p, key()) == Severity.HIGH
    p = run(burst(t0, 80, per_minute=20))
    assert severity(p, key()) == Severity.CRITICAL


def test_volume_to_one_server_counts_too() -> None:
    t0 = at(10, "10:00")
    events: list[Event] = [conn(t0 + i * 5, dst="203.0.113.77", dport=587) for i in range(70)]
    p = run(events)
    assert severity(p, key()) == Severity.HIGH
    assert "60 SMTP connections to 203.0.113.77" in p.engine.open[key()].summary()


def test_an_admin_testing_with_swaks_stays_low() -> None:
    t0 = at(10, "14:00")
    events: list[Event] = [
        conn(t0, dst="203.0.113.9", action="allow"),
        conn(t0 + 40, dst="203.0.113.9", dport=587, action="allow"),
        conn(t0 + 300, dst="198.51.100.20", action="allow"),
    ]
    p = run(events)
    assert severity(p, key()) == Severity.LOW
    assert "all let through by the firewall" in p.engine.open[key()].summary()


def test_retransmitted_syns_are_one_connection() -> None:
    t0 = at(10, "10:00")
    p = run([conn(t0 + i * 3, dst="203.0.113.9", sport=50000) for i in range(40)])
    assert "1 SMTP connection to 203.0.113.9" in p.engine.open[key()].summary()


def test_other_traffic_is_ignored() -> None:
    t0 = at(10, "10:00")
    events: list[Event] = [
        conn(t0, dport=443),
        conn(t0, dst="192.168.1.77"),  # inside to inside
        conn(t0, src="203.0.113.50", dst=PC),  # from outside
        conn(t0, protocol="udp"),
        conn(t0, action="close"),
        conn(t0, src="192.168.1.xx"),  # redacted, no address
    ]
    p = run(events)
    assert not p.signals


def test_kerio_deliveries_are_not_direct_sending_and_reveal_the_server() -> None:
    t0 = at(10, "10:00")
    events: list[Event] = []
    for i in range(30):
        remote = outside(i)
        events.append(conn(t0 + i * 20, src=SERVER, dst=remote, action="allow"))
        msg = recv(t0 + i * 20 - 1, user=ALICE)
        events += [msg, sent(t0 + i * 20 + 4, msg.queue_id, "x@partner.test", remote=remote)]
    # a delivery attempt Kerio did not log (the first MX did not answer): not counted either
    events.append(conn(t0 + 700, src=SERVER, dst="203.0.113.200", action="allow"))
    p = run(events)
    assert not p.signals
    det = p.detectors[0]
    assert SERVER in det.mail.inferred  # type: ignore[attr-defined]


def test_configured_servers_relays_and_allowed_hosts_are_not_counted() -> None:
    t0 = at(10, "10:00")
    events: list[Event] = [
        *burst(t0, 30, src=SERVER),
        *[conn(t0 + i, dst="198.51.100.250", dport=587) for i in range(40)],  # the smarthost
        *[conn(t0 + i, dst="203.0.113.25") for i in range(40)],  # the server's public address
        *burst(t0, 30, src="192.168.1.8"),  # the monitoring probe
    ]
    firewall = {
        "mail_servers": [SERVER, "203.0.113.25"],
        "relays": ["198.51.100.248/29"],
        "allowed_hosts": ["192.168.1.8"],
    }
    p = firewall_pipeline(firewall)
    feed(p, events)
    p.tick(t0 + 3600)
    assert not p.signals


def firewall_pipeline(firewall: dict[str, Any], store: Store | None = None) -> Recorder:
    """A pipeline with only this detector and a ``[firewall]`` table."""
    config = config_from_dict(
        {
            "site": {"local_domains": ["example.com"], "trusted_networks": [LAN]},
            "firewall": firewall,
            "detectors": {n: {"enabled": False} for n in DETECTORS if n != "direct_smtp"},
        }
    )
    p = Recorder(config, store or MemoryStore(), Timebase(ZoneInfo("UTC")))
    p.signals = []
    return p


def test_a_machine_that_receives_smtp_from_the_internet_is_the_mail_server() -> None:
    t0 = at(10, "10:00")
    inbound = [
        conn(t0 + i, src=f"203.0.113.{50 + i}", dst=SERVER, action="allow") for i in range(3)
    ]
    p = run([*inbound, *burst(t0 + 60, 30, src=SERVER)])
    assert not p.signals
    assert "accepts SMTP from the internet" in p.detectors[0].mail.inferred[SERVER]["why"]  # type: ignore[attr-defined]


def test_blocked_inbound_attempts_infer_nothing() -> None:
    t0 = at(10, "10:00")
    inbound = [conn(t0 + i, src=f"203.0.113.{50 + i}", dst=PC, action="block") for i in range(5)]
    p = run([*inbound, *burst(t0 + 60, 12)])
    assert severity(p, key()) == Severity.HIGH


def test_a_pc_hitting_some_servers_kerio_also_delivers_to_is_still_caught() -> None:
    t0 = at(10, "10:00")
    events: list[Event] = []
    for i in range(40):
        remote = outside(i)
        events.append(conn(t0 + i * 6, dst=remote))
        if i % 8 == 0:  # Kerio happens to deliver to the same big provider at that moment
            msg = recv(t0 + i * 6, user=ALICE, host="192.168.1.10")
            events += [msg, sent(t0 + i * 6 + 2, msg.queue_id, "x@big.test", remote=remote)]
    p = run(events)
    assert severity(p, key()) >= Severity.HIGH
    assert PC not in p.detectors[0].mail.inferred  # type: ignore[attr-defined]


def test_connections_are_judged_after_settling() -> None:
    t0 = at(10, "10:00")
    p = pipeline("direct_smtp")
    feed(p, burst(t0, 20, per_minute=60))
    assert not p.signals  # Kerio's Sent: line for the same delivery may still come
    feed(p, [login(t0 + 120, ALICE, "192.168.1.10")])
    assert severity(p, key()) == Severity.HIGH
    assert {s.rule for s in p.signals} == {RULE}


def test_state_survives_a_restart(tmp_path: Any) -> None:
    """A scan cut in two judges like one run: windows, users, pending connections."""
    t0 = at(10, "10:00")
    events = [login(at(9, "08:00"), ALICE, PC), *burst(t0, 12, per_minute=4)]
    whole = run(events)
    db = tmp_path / "state.db"
    store = SQLiteStore(db)
    first = pipeline("direct_smtp", store=store)
    feed(first, [e for e in events if e.ts < t0 + 100])
    first.save()
    store.close()
    store = SQLiteStore(db)
    second = pipeline("direct_smtp", store=store)
    feed(second, [e for e in events if e.ts >= t0 + 100])
    second.tick(t0 + 3600)
    assert severity(second, key()) == severity(whole, key()) == Severity.HIGH
    assert second.engine.open[key()].facts["accounts"] == [ALICE]
    store.close()


def test_a_machine_marked_benign_is_not_reported_again(tmp_path: Any) -> None:
    from kerio_watch.incidents.ack import acknowledge  # noqa: PLC0415

    t0 = at(10, "10:00")
    store = SQLiteStore(tmp_path / "state.db")
    p = pipeline("direct_smtp", store=store)
    feed(p, burst(t0, 3))
    p.tick(t0 + 600)
    p.save()
    (inc,) = store.incidents()
    acknowledge(store, inc.id, "benign")
    later = pipeline("direct_smtp", store=store)
    feed(later, burst(at(11, "10:00"), 30))
    later.tick(at(11, "12:00"))
    assert not later.signals
    store.close()


def test_ports_465_587_and_2525_count() -> None:
    t0 = at(10, "10:00")
    events: list[Event] = [
        conn(t0 + i * 10, dst=outside(i), dport=(465, 587, 2525)[i % 3]) for i in range(12)
    ]
    p = run(events)
    assert severity(p, key()) == Severity.HIGH
    assert p.engine.open[key()].facts["ports"] == [465, 587, 2525]


def test_a_machine_that_never_carried_kerio_mail_is_judged_at_once() -> None:
    """After three connections none of which were Kerio's, no wait for Sent: lines."""
    t0 = at(10, "10:00")
    p = pipeline("direct_smtp")
    feed(p, burst(t0, 3, per_minute=60))
    feed(p, [conn(t0 + 30, dst=outside(50))])  # waits: three are not judged yet
    feed(p, [login(t0 + 100, ALICE, "192.168.1.10")])  # the first four settle
    assert severity(p, key()) == Severity.LOW
    feed(p, [conn(t0 + 101 + i, dst=outside(100 + i)) for i in range(6)])
    assert severity(p, key()) == Severity.HIGH  # at once, not 90 s later
    assert t0 + 101 <= p.engine.open[key()].updated <= t0 + 106


def test_the_hourly_prune_forgets_only_old_uses_and_keeps_their_order() -> None:
    """A machine's users are copied at the hourly prune only when some use is old; the
    kept ones stay in the order they were first seen (the saved state's order)."""
    users = HostUsers(keep=3600)
    users.saw("10.0.0.1", "bob", 100)
    users.saw("10.0.0.1", "alice", 5000)
    users.saw("10.0.0.2", "carol", 4000)
    users.saw("10.0.0.2", "alice", 4500)
    users.saw("10.0.0.3", "dave", 50)
    kept = users.hosts["10.0.0.2"]
    users.prune(7300)
    assert users.dump() == {"10.0.0.1": {"alice": 5000}, "10.0.0.2": {"carol": 4000, "alice": 4500}}
    assert users.hosts["10.0.0.2"] is kept
    assert list(users.dump()) == ["10.0.0.1", "10.0.0.2"]


addresses = st.sampled_from(
    ["192.168.1.5", "192.168.1.8", "203.0.113.25", "198.51.100.250", "198.51.100.7",
     "::ffff:198.51.100.249", "[2001:db8::1]", "mx.example.net", "gateway", "", "300.1.2.3"]
)  # fmt: skip


@given(st.lists(st.tuples(addresses, addresses), max_size=20))
def test_exclusions_answer_as_the_configured_networks_do(pairs: list[tuple[str, str]]) -> None:
    """The kept answers are the networks' own, however often and in whatever order an
    address is asked (as a source and as a destination)."""
    servers, relays, allowed = [SERVER, "203.0.113.25"], ["198.51.100.248/29"], ["192.168.1.8"]
    fixed = Exclusions(servers, relays, allowed)
    nets = Networks(servers), Networks(relays), Networks(allowed)
    for host, dst in pairs * 2:
        assert fixed.source(host) == (
            nets[0].is_trusted(host) is True or nets[2].is_trusted(host) is True
        )
        assert fixed.destination(dst) == (
            is_ip(dst) and bool(nets[0].is_trusted(dst) or nets[1].is_trusted(dst))
        )
