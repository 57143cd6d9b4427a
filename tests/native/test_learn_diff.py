"""The core's correspondents learner against Python's
(``kerio_watch.detect.correspondents``): after any sequence of inbound messages,
learned local domains, profiles made or loaded elsewhere, saves read back into books of
the same or the other engine, and changed sets written away, the same books, the same
profiles (in the same order) and the same changed accounts (in the same order)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from factories import ALICE, BOB, at, dsn, inbound, login, pipeline, recv
from kerio_watch.detect.correspondents import Correspondents
from kerio_watch.native import set_engine
from kerio_watch.store.sqlite import SQLiteStore
from kerio_watch.values.addresses import AddressBook
from kerio_watch.values.profile import Profile
from kerio_watch.values.signal import Signal
from nativediff import both_pipelines, extension

LOCAL = ["example.com", "Example.com", "ex.org"]
ALIASES = {"alias.example": "example.com", "ü.example": "ex.org"}
DOMAINS = [*LOCAL, *ALIASES, "other.net", "", "\ud800", "ü"]
USERS = ["a", "b", "A", "x@y", "", "é", "\udcff"]
ADDRESS = (
    st.builds(lambda u, d: f"{u}@{d}", st.sampled_from(USERS), st.sampled_from(DOMAINS))
    | st.sampled_from(DOMAINS)
    | st.text(max_size=12)
)
STEP = st.one_of(
    st.tuples(
        st.just("learn"),
        st.lists(ADDRESS, max_size=6),
        ADDRESS.filter(bool),
        st.integers(-(2**40), 2**40),
    ),
    st.tuples(st.just("domain"), st.sampled_from(DOMAINS), st.none(), st.none()),
    st.tuples(st.just("profile"), ADDRESS, st.none(), st.none()),
    st.tuples(st.just("save"), st.booleans(), st.none(), st.none()),
    st.tuples(st.just("written"), st.none(), st.none(), st.none()),
)


class Side:
    """One engine's context objects: domains, profiles (books of ``native`` or not)."""

    def __init__(self, native: bool, limit: int) -> None:
        self.native = native
        self.limit = limit
        self.local = set(LOCAL)
        self.aliases = dict(ALIASES)
        self.profiles: dict[str, Profile] = {}
        self.dirty: set[str] = set()

    def book(self, native: bool) -> Any:
        return extension().AddressBook(self.limit) if native else AddressBook(self.limit)

    def profile(self, account: str) -> Profile:
        prof = self.profiles.get(account)
        if prof is None:
            prof = self.profiles[account] = Profile(account, correspondents=self.book(self.native))
        return prof

    def learner(self) -> Any:
        cls = extension().Correspondents if self.native else Correspondents
        return cls(self.local, self.aliases, self.profiles, self.profile, self.dirty)

    def reload(self, native: bool) -> None:
        """Save every book and read it back into a book of ``native``'s engine (the
        profiles dict itself stays: the learner reads it live)."""
        saved = {a: p.correspondents.dump() for a, p in self.profiles.items()}
        self.profiles.clear()
        for account, pairs in saved.items():
            book = self.book(native)
            book.load([list(pair) for pair in pairs])
            self.profiles[account] = Profile(account, correspondents=book)

    def state(self) -> tuple[Any, ...]:
        books = {a: [list(x) for x in p.correspondents.dump()] for a, p in self.profiles.items()}
        return list(self.profiles), books, list(self.dirty), sorted(self.local)


@settings(max_examples=300, deadline=None)
@given(st.lists(STEP, max_size=40), st.integers(1, 6))
def test_the_same_correspondents_after_any_steps(steps: list[Any], limit: int) -> None:
    native, python = Side(True, limit), Side(False, limit)
    learners = native.learner(), python.learner()
    for op, a, b, c in steps:
        for side, learner in zip((native, python), learners, strict=True):
            if op == "learn":
                learner.learn(tuple(a), b, c)
            elif op == "domain":
                side.local.add(a)
            elif op == "profile":
                side.profile(a)
            elif op == "save":
                side.reload(a if side is native else not a)
            else:
                side.dirty.clear()
        assert native.state() == python.state()


def test_a_native_pipeline_learns_correspondents_in_the_core(tmp_path: Path) -> None:
    """The native engine's learner uses the core's (so the differential scans in
    ``test_scan_diff.py`` compare its profiles with Python's), the Python engine's the
    reference."""
    module = extension()
    with both_pipelines(tmp_path) as (native, python):
        assert isinstance(native.learner.correspondents, module.Correspondents)
        assert isinstance(python.learner.correspondents, Correspondents)


OUTSIDE = ["x@partner.test", "y@else.test", "a.b@partner.test"]
LOCALS = [ALICE, BOB, "carol@example.com"]
EVENT = st.one_of(
    st.tuples(
        st.just("in"),
        st.sampled_from(OUTSIDE),
        st.lists(st.sampled_from(LOCALS + OUTSIDE), min_size=1, max_size=3),
    ),
    st.tuples(st.just("dsn"), st.sampled_from(LOCALS), st.none()),
    st.tuples(
        st.just("sub"),
        st.sampled_from(["192.168.1.10", "203.0.113.9"]),
        st.lists(st.sampled_from(LOCALS + OUTSIDE), min_size=1, max_size=3),
    ),
    st.tuples(
        st.just("login"),
        st.sampled_from(["192.168.1.10", "203.0.113.9", "198.51.100.7"]),
        st.none(),
    ),
    st.tuples(st.just("raise"), st.sampled_from([25, 45, 70]), st.none()),
    st.tuples(st.just("tick"), st.none(), st.none()),
    st.tuples(st.just("save"), st.booleans(), st.none()),
)
STEPS = st.lists(st.tuples(st.integers(1, 30 * 3600), EVENT), max_size=25)


def _events(steps: list[Any]) -> list[tuple[int, str, Any]]:
    """The steps as (log time, what, event or argument), built once for both engines
    (the factories number Queue-IDs as they build)."""
    out: list[tuple[int, str, Any]] = []
    ts = at(0)
    for delta, (op, a, b) in steps:
        ts += delta
        if op == "in":
            out.append((ts, "event", inbound(ts, a, tuple(b))))
        elif op == "dsn":
            out.append((ts, "event", dsn(ts, a)))
        elif op == "sub":
            out.append((ts, "event", recv(ts, host=a, to=tuple(b))))
        elif op == "login":
            out.append((ts, "event", login(ts, source=a)))
        else:
            out.append((ts, op, a))
    return out


def _run(engine: str, steps: list[tuple[int, str, Any]], path: Path) -> list[Any]:
    """The learner's state after each step of one engine's run (a save reads the
    database back with the same engine or, when the step says so, the other)."""
    other = {"native": "python", "python": "native"}
    snapshots: list[Any] = []
    set_engine(engine)
    p = pipeline("from_mismatch", store=SQLiteStore(path))
    core = isinstance(p.learner.correspondents, extension().Correspondents)
    assert core is (engine == "native")
    try:
        for ts, op, a in steps:
            if op == "event":
                p.process(a)
            elif op == "raise":
                side = "decisive" if a >= 70 else "access"
                p.inject([Signal(f"test.rule{a}", ALICE, ts, a, "test", side=side)])
            elif op == "tick":
                p.tick(ts)
            else:
                p.save()
                p.store.close()
                set_engine(other[engine] if a else engine)
                p = pipeline("from_mismatch", store=SQLiteStore(path))
                saved = p.store.load_detector_state("learner")
                snapshots.append(json.loads(json.dumps(saved)))
            profiles = {n: prof.to_dict() for n, prof in sorted(p.ctx.profiles.items())}
            snapshots.append(json.loads(json.dumps([profiles, sorted(p.ctx.dirty)])))
    finally:
        p.store.close()
        set_engine(None)
    return snapshots


@settings(max_examples=30, deadline=None)
@given(STEPS)
def test_a_learner_on_either_engine_learns_the_same(steps: list[Any]) -> None:
    """Whole learners, each engine (with holds raised to medium and high, probation
    released, forgetting at high, DSNs held, and saves read back by the same or the
    other engine): the same profiles, changed accounts and saved learner state after
    every step."""
    extension()
    with tempfile.TemporaryDirectory() as folder:
        events = _events(steps)
        native = _run("native", events, Path(folder) / "native.db")
        python = _run("python", events, Path(folder) / "python.db")
    assert native == python
