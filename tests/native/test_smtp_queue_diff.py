"""The core's ``ConnectionQueue`` against Python's (``kerio_watch.detect.smtp_hosts_queue``),
each with its own engine's ``SmtpNets`` and ``MailServers``: after any sequence of
connections, Kerio's deliveries, settling, benign machines and saves read
back (by the same engine or by the other), the same connections are handed back in
the same order (a proven machine's drain included), the same ones wait, and the
saved rows and the mail server's state are the same JSON text."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from factories import pipeline
from kerio_watch.detect.smtp_hosts import Exclusions
from kerio_watch.detect.smtp_hosts_mail import (
    MailServers,
    native_module,
    saved_mail,
    use_native_mail_servers,
)
from kerio_watch.detect.smtp_hosts_nets import SmtpNets, ipv4_prefixes
from kerio_watch.detect.smtp_hosts_queue import MAX_PENDING, ConnectionQueue, saved_pending
from kerio_watch.enrich.network import Networks
from kerio_watch.native import set_engine
from nativediff import extension

LAN_HOSTS = ["192.168.1.2", "192.168.1.9", "192.168.1.5", "192.168.1.7", "::ffff:192.168.1.2"]
OTHERS = ["fd00::1", "pc1", "198.51.100.4", "198.51.100.5", "ü"]
HOSTS = st.sampled_from(["192.168.1.2"] * 4 + ["192.168.1.9"] * 3 + LAN_HOSTS + OTHERS)
OUTSIDE = ["203.0.113.1"] * 3 + ["203.0.113.2"] * 3 + ["203.0.113.3"] * 2
DESTS = st.sampled_from([*OUTSIDE, "203.0.113.7", "192.168.1.9", "mx.example.com", "2001:db8::1"])
TIMES = st.integers(-10, 30)
"""Seconds after the step before (the log's time goes forward, a little back at times)."""
PORTS = st.sampled_from([25, 25, 587, 465, None])
CONNECTION = st.tuples(
    st.just("connection"),
    TIMES,
    HOSTS,
    DESTS,
    st.sampled_from([None, 40000, 40001]),
    PORTS,
    st.sampled_from(["allow", "block", "unknown"]),
    st.sampled_from(["line a", "line b", "ü line"]),
)
STEP = st.one_of(
    *[CONNECTION] * 6,
    st.tuples(st.just("delivered"), st.sampled_from(["203.0.113.2", "mx.example.com"]), TIMES),
    st.tuples(st.just("settle"), TIMES),
    st.tuples(st.just("benign"), st.lists(HOSTS, max_size=2)),
    st.tuples(st.just("reload"), TIMES, st.booleans()),
)


class Engine:
    """One engine's queue, address tests and mail server's state."""

    def __init__(self, native: bool, settle: int, infer: bool, matches: int) -> None:
        networks = Networks(["192.168.0.0/16", "fd00::/8"])
        fixed = Exclusions(["192.168.1.5"], ["203.0.113.7"], ["192.168.1.7"])
        python = SmtpNets(networks, fixed)
        self.native, self.settle, self.infer = native, settle, infer
        if native:
            ext = extension()
            self.nets: Any = ext.SmtpNets(
                ipv4_prefixes(networks),
                ipv4_prefixes(fixed.servers),
                ipv4_prefixes(fixed.relays),
                ipv4_prefixes(fixed.allowed),
                python.answer,
            )
            self.mail: Any = ext.MailServers(matches, 0.5)
        else:
            self.nets, self.mail = python, MailServers(matches, 0.5)
        self.queue = self._queue()

    def _queue(self) -> Any:
        if self.native:
            return extension().ConnectionQueue(self.settle, self.infer, self.nets, self.mail)
        return ConnectionQueue(self.settle, self.infer, self.nets, self.mail)

    def saved(self, now: int) -> str:
        return json.dumps({"pending": self.queue.dump(), "mail": self.mail.dump(now)})

    def load(self, saved: str) -> None:
        """A fresh queue and mail server's state read from a save."""
        data = json.loads(saved)
        self.mail = (
            extension().MailServers(self.mail.need_matches, self.mail.need_share)
            if self.native
            else MailServers(self.mail.need_matches, self.mail.need_share)
        )
        self.mail.load(*saved_mail(data["mail"]))
        self.queue = self._queue()
        self.queue.load(saved_pending(data["pending"]))

    def apply(self, step: tuple[Any, ...]) -> Any:
        op, *args = step
        if op == "connection":
            return self.queue.connection(*args)
        if op == "delivered":
            return self.mail.delivered(*args)
        if op == "settle":
            return self.queue.settle(*args)
        return self.nets.set_benign(*args)

    def state(self) -> tuple[Any, ...]:
        return (self.queue.due, len(self.queue), dict(self.queue.waiting))


def _timed(steps: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The steps with their times counted on from the step before."""
    clock, out = 1000, []
    for step in steps:
        at = 2 if step[0] == "delivered" else 1 if step[0] != "benign" else None
        if at is not None:
            clock += step[at]
            step = (*step[:at], clock, *step[at + 1 :])
        out.append(step)
    return out


@settings(max_examples=400)
@given(
    st.lists(STEP, min_size=30, max_size=200),
    st.sampled_from([0, 5, 30, 90, 90]),
    st.booleans(),
    st.integers(1, 3),
)
def test_the_same_connections_in_the_same_order(
    steps: list[tuple[Any, ...]], settle: int, infer: bool, matches: int
) -> None:
    native, python = Engine(True, settle, infer, matches), Engine(False, settle, infer, matches)
    for step in _timed(steps):
        if step[0] == "reload":
            _op, now, crossed = step
            saved = python.saved(now)
            assert native.saved(now) == saved
            native.load(saved if crossed else native.saved(now))
            python.load(saved)
            continue
        assert native.apply(step) == python.apply(step), step
        assert native.state() == python.state(), step
    for now in (0, 1000, 10_000):
        assert native.saved(now) == python.saved(now)
        assert native.queue.settle(now) == python.queue.settle(now)


def test_the_bound_settles_the_oldest_in_order() -> None:
    """Past MAX_PENDING waiting connections the oldest are settled at once, in order
    across machines, and the rest wait; a save of the full queue reads back alike."""
    engines = (Engine(True, 90, True, 3), Engine(False, 90, True, 3))
    for engine in engines:
        engine.mail.delivered("203.0.113.2", 0)
    outs: list[list[Any]] = [[], []]
    for i in range(MAX_PENDING + 50):
        host = ("192.168.1.2", "192.168.1.9")[i % 2]
        dst = "203.0.113.2" if i < 2 else "203.0.113.1"  # each machine's first is Kerio's
        for engine, out in zip(engines, outs, strict=True):
            got = engine.queue.connection(i // 4000, host, dst, i, 25, "allow", f"l{i}")
            out.extend(got or [])
    assert outs[0] == outs[1]
    assert [c[3] for c in outs[0]] == list(range(2, 50))  # the oldest 50, less Kerio's
    assert engines[0].state() == engines[1].state()
    assert len(engines[0].queue) == MAX_PENDING
    saved = engines[1].saved(0)
    assert engines[0].saved(0) == saved
    for engine in engines:
        engine.load(saved)
    assert engines[0].state() == engines[1].state()
    assert engines[0].queue.settle(100) == engines[1].queue.settle(100)


def test_a_reset_keeps_the_engine_of_the_detectors_address_tests() -> None:
    """A detector made with the Python engine and reset after another pipeline in the
    process chose the native one still counts connections: its queue and mail
    server's state stay the engine of its address tests (a native queue refuses
    Python's)."""
    ext = extension()
    before = native_module()
    set_engine("python")
    try:
        detector: Any = pipeline("direct_smtp").detectors[0]
        use_native_mail_servers(ext)  # another pipeline chose the native engine
        detector.reset_state()
        for i in range(3):
            dst = f"198.51.100.{i + 1}"
            got = detector.queue.connection(
                1000 + i, "192.168.1.41", dst, None, 25, "block", f"SRC=192.168.1.41 DST={dst}"
            )
            assert got is None  # waiting for Kerio's Sent: lines
        assert len(detector.queue) == 3
    finally:
        set_engine(None)
        use_native_mail_servers(before)
