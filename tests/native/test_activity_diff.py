"""The core's hourly activity counters against Python's (``kerio_watch.enrich.enrichers
.Activity`` with ``kerio_watch.store.activity.ActivityRecorder``): after any sequence
of events, the same batches written, row for row and in the same order, at the same
moments (whole scans writing many batches: ``test_scan_diff.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerio_watch.detect.direct_smtp import MAIL_PORTS
from kerio_watch.enrich.enrichers import Activity
from kerio_watch.enrich.messages import MessageState, MessageTracker, Submission
from kerio_watch.events import (
    Connection,
    HostBlocked,
    LoginFailed,
    LoginSucceeded,
    MessageDelivery,
    MessageReceived,
)
from kerio_watch.native.activity import NativeActivity
from kerio_watch.store.activity import ActivityRecorder
from nativediff import both_pipelines, extension

PIECES = ["a", "B", "@", "|", "x.com", "é", "\ud800", "😀", " ", "0", "None"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=5).map("".join) | st.text(max_size=8)
MAYBE = st.none() | TEXT
TS = st.integers(-(10**7), 10**10)
RCPTS = st.lists(TEXT, max_size=4).map(tuple)
QIDS = st.sampled_from(["q1", "q2", "q3"])


def _received(ts: int, service: str, sender: str, rcpts: Any, user: Any, report: Any) -> Any:
    return MessageReceived(
        ts, "mail", "raw", "q1", service, sender, rcpts, None, None, user, report=report
    )


def _submission(
    ts: int, account: str, new: bool, sender: str, rcpts: Any, service: str, host: Any
) -> Any:
    event = _received(ts, service, sender, rcpts, account, None)
    return Submission(ts, account, "q1", new, sender, rcpts, service, host, host, False, event)


EVENTS = st.one_of(
    st.builds(
        _received,
        TS,
        st.sampled_from(["SMTP", "DSN", "HTTP/WebMail"]) | TEXT,
        st.just("") | TEXT,
        RCPTS,
        MAYBE,
        st.none() | st.just("report"),
    ),
    st.builds(_submission, TS, TEXT, st.booleans(), TEXT, RCPTS, TEXT, MAYBE),
    st.builds(LoginSucceeded, TS, st.just("audit"), st.just("r"), TEXT, TEXT, TEXT, MAYBE),
    st.builds(LoginFailed, TS, st.just("security"), st.just("r"), TEXT, TEXT, TEXT, MAYBE),
    st.builds(
        HostBlocked, TS, st.just("security"), st.just("r"), TEXT, TEXT, st.just("block") | TEXT
    ),
    st.builds(
        Connection,
        TS,
        st.just("filter"),
        st.just("r"),
        TEXT,
        MAYBE,
        TEXT,
        TEXT,
        st.none() | st.integers(0, 70000),
        st.none() | st.sampled_from(sorted(MAIL_PORTS)) | st.integers(-5, 70000),
    ),
    st.builds(
        MessageDelivery,
        TS,
        st.just("mail"),
        st.just("r"),
        QIDS,
        TEXT,
        st.sampled_from(["delivered", "delayed", "failed"]),
        st.none() | st.sampled_from(["5.1.1", "4.4.1"]),
    ),
)


class Store:
    """What ``add_activity`` was given, batch by batch, rows in order."""

    def __init__(self) -> None:
        self.batches: list[list[tuple[Any, ...]]] = []

    def add_activity(self, rows: dict[Any, int]) -> None:
        self.batches.append([(*key, n) for key, n in rows.items()])

    def add_activity_rows(self, rows: list[tuple[Any, ...]]) -> None:
        self.batches.append(list(rows))


def _tracker() -> MessageTracker:
    tracker = MessageTracker()
    tracker.messages["q1"] = MessageState(0, "owner@x.com", "s")
    tracker.messages["q2"] = MessageState(0, None, "s")
    return tracker


def _is_local(address: str) -> bool:
    return address.endswith(("a", "x.com"))


@settings(max_examples=300)
@given(st.lists(EVENTS, max_size=40), st.integers(1, 6))
def test_the_same_batches_after_any_events(events: list[Any], limit: int) -> None:
    core = extension().Activity(_is_local, MAIL_PORTS, limit)
    python = ActivityRecorder(limit)
    py_handlers = Activity(python, _tracker(), _is_local, MAIL_PORTS).handlers()
    core_handlers = NativeActivity(core, _tracker(), _is_local, MAIL_PORTS).handlers()
    py_store, core_store = Store(), Store()
    for event in events:
        assert py_handlers[type(event)](event) is None
        assert core_handlers[type(event)](event) is None
        assert core.full is python.full
        assert len(core) == len(python.rows)
        assert core.rows() == [(*key, n) for key, n in python.rows.items()]
        if python.full:
            python.write(py_store)  # type: ignore[arg-type]
            core.write(core_store)
    python.write(py_store)  # type: ignore[arg-type]
    core.write(core_store)
    assert core_store.batches == py_store.batches
    assert len(core) == 0


def test_a_failed_write_keeps_the_rows() -> None:
    """As Python's recorder: a batch the store refused is written with the next one."""

    class Refusing(Store):
        def add_activity_rows(self, rows: list[tuple[Any, ...]]) -> None:
            raise OSError("disk full")

    core = extension().Activity(_is_local, MAIL_PORTS)
    core.add(7200, "a@x.com", "rcpt", "y.org", 2)
    with pytest.raises(OSError, match="disk full"):
        core.write(Refusing())
    store = Store()
    core.write(store)
    assert store.batches == [[(2, "a@x.com", "rcpt", "y.org", 2)]]


def test_a_native_pipeline_counts_in_the_core(tmp_path: Path) -> None:
    """The native engine's recorder and enricher are the core's (so the differential
    scans in ``test_scan_diff.py`` compare its activity rows with Python's)."""
    module = extension()
    with both_pipelines(tmp_path) as (native, python):
        assert isinstance(native.activity, module.Activity)
        assert any(isinstance(e, NativeActivity) for e in native.enrichment.enrichers)
        assert isinstance(python.activity, ActivityRecorder)
