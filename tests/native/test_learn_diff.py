"""The core's correspondents learner against Python's
(``kerio_watch.detect.correspondents``): after any sequence of inbound messages,
learned local domains, profiles made or loaded elsewhere, saves read back into books of
the same or the other engine, and changed sets written away, the same books, the same
profiles (in the same order) and the same changed accounts (in the same order)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kerio_watch.cli.common import load, make_timebase
from kerio_watch.detect.correspondents import Correspondents
from kerio_watch.pipeline import Pipeline
from kerio_watch.simulate import SimConfig, simulate
from kerio_watch.store import open_store
from kerio_watch.values.addresses import AddressBook
from kerio_watch.values.profile import Profile
from nativediff import extension

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
    folder = tmp_path / "site"
    simulate(SimConfig(seed=5, days=2, users=4), folder)
    config = load(folder / "kerio-watch.toml")
    store = open_store(tmp_path / "state.db")
    try:
        pipeline = Pipeline(config, store, make_timebase(config, []), engine="native")
        assert isinstance(pipeline.learner.correspondents, module.Correspondents)
        python = Pipeline(config, store, make_timebase(config, []), engine="python")
        assert isinstance(python.learner.correspondents, Correspondents)
    finally:
        store.close()
