"""The shared save/load of detector state (``detect/state.py``)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from factories import at, feed, pipeline, recv
from kerio_watch.detect import DETECTORS
from kerio_watch.detect.state import STATE_VERSION, SavedState
from kerio_watch.store.sqlite import SQLiteStore

STATEFUL = sorted(n for n, cls in DETECTORS.items() if issubclass(cls, SavedState))


def test_stateful_detectors_use_saved_state() -> None:
    """Every detector with windows saves them the shared way (from_mismatch has none)."""
    assert set(DETECTORS) - set(STATEFUL) == {"from_mismatch"}


@pytest.mark.parametrize("name", STATEFUL)
def test_save_stamps_version_time_and_recent(tmp_path: Path, name: str) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    p = pipeline(name, store=store)
    assert p.detectors[0].name == name
    p.save(final=False)
    assert store.load_detector_state(name) is None  # nothing before the first event
    feed(p, [recv(at(1, "09:00"))])
    p.save(final=False)
    saved = store.load_detector_state(name)
    assert saved is not None
    assert saved["v"] == STATE_VERSION and saved["now"] == at(1, "09:00")
    assert ("recent" in saved) == (getattr(p.detectors[0], "recent", None) is not None)


@pytest.mark.parametrize("name", STATEFUL)
@pytest.mark.parametrize(
    "garbage",
    [
        {"recent": [["k"]]},  # a row of the wrong length
        {"recent": 7, "windows": 1, "accounts": 1, "episodes": 1, "queue": 1, "checked": 1},
    ],
)
def test_unreadable_state_starts_empty_and_says_so(
    tmp_path: Path, name: str, garbage: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    p = pipeline(name, store=store)
    feed(p, [recv(at(1, "09:00"))])
    p.save(final=False)
    saved = store.load_detector_state(name)
    assert saved is not None
    with store.transaction():
        store.save_detector_state(name, {**saved, **garbage})
    with caplog.at_level(logging.WARNING):
        q = pipeline(name, store=store)
    detector = q.detectors[0]
    recent = getattr(detector, "recent", None)
    assert recent is None or not recent.fired
    assert f"ignoring unreadable {name} state" in caplog.text or "recent" not in saved


@pytest.mark.parametrize("name", STATEFUL)
def test_other_version_is_ignored(tmp_path: Path, name: str) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    with store.transaction():
        store.save_detector_state(name, {"v": STATE_VERSION + 1, "now": 5, "recent": 7})
    q = pipeline(name, store=store)  # no error: another version is simply not read
    assert q.detectors[0].name == name
