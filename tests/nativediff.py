"""Helpers for the differential tests: the same input through both engines."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from kerio_watch.cli.common import load, make_timebase
from kerio_watch.events import MessageDelivery, MessageReceived, Unparsed
from kerio_watch.formats import FORMATS
from kerio_watch.formats.mail import MailParser
from kerio_watch.native import load_extension
from kerio_watch.native.reader import OTHER_EVENTS
from kerio_watch.pipeline import Pipeline
from kerio_watch.simulate import SimConfig, simulate
from kerio_watch.sources.files import LogFile, read_records
from kerio_watch.store import open_store


def extension() -> ModuleType:
    """The native extension, or skip the test (it is built only where cargo was)."""
    module, why = load_extension()
    if module is None:
        pytest.skip(why)
    return module


def python_parse(message: str) -> tuple[Any, ...]:
    """The Python parser's answer for a mail.log message, as plain data."""
    event = MailParser().parse(message, 0, "")
    if isinstance(event, MessageReceived):
        recv: tuple[Any, ...] = (event.queue_id, event.service, event.sender, event.recipients)
        recv += (event.size, event.sender_host, event.user, event.ssl, event.subject)
        return ("recv", (*recv, event.msg_id, event.report))
    if isinstance(event, MessageDelivery):
        sent: tuple[Any, ...] = (event.queue_id, event.recipient, event.result, event.status)
        return ("sent", (*sent, event.status_text, event.remote_host, event.msg_id))
    if isinstance(event, Unparsed):
        return ("unparsed", event.reason)
    return ("other", type(event).__name__)


def check_parse(native: ModuleType, message: str) -> str:
    """Assert both parsers agree on ``message``; what the native one did with it."""
    got = tuple(native.parse_mail(message))
    if got[0] == "other":
        assert not message.startswith(("Recv: ", "Sent: ")), message
        return "other"
    assert message.startswith(("Recv: ", "Sent: ")), message
    if got[0] == "defer":
        return "defer"
    assert got == python_parse(message), message
    return str(got[0])


def python_frames(
    data: bytes, folder: Path, compressed: bool = False
) -> tuple[list[tuple[str, int | None]], tuple[int, int, int]]:
    """``read_records`` on ``data``: every non-empty line as (text, stamp or None),
    and the file's (lines, decode errors, cut lines)."""
    path = folder / ("frames.log.gz" if compressed else "frames.log")
    path.write_bytes(gzip.compress(data) if compressed else data)
    log_file = LogFile(str(path), "mail", compressed=compressed)
    seen: list[tuple[str, int | None]] = []

    def skip(raw: str, ts: int) -> str:
        seen.append((raw, ts))
        return ""

    def note(record: Unparsed) -> None:
        seen.append((record.raw, None))

    log_file.note_unparsed = note  # type: ignore[method-assign]
    for rec in read_records(log_file, skip):
        seen.append((rec.raw, None))
    return seen, (log_file.lines, log_file.decode_errors, log_file.cut_lines)


def native_frames(
    native: ModuleType, data: bytes, compressed: bool = False
) -> tuple[list[tuple[str, int | None]], tuple[int, int, int]]:
    """The native framing of ``data``, in the shape of :func:`python_frames`."""
    payload = gzip.compress(data) if compressed else data
    lines, counters, error = native.frame_bytes(payload, compressed)
    assert error is None
    return [(raw, ts) for _lineno, _offset, raw, ts in lines], tuple(counters)


def check_log(native: ModuleType, log: str, message: str) -> str:
    """Assert the core's parser of ``log`` agrees with Python's on ``message`` (the
    very event, or the same reason for an unparsed line, or neither reads it); what the
    core did with it (``event``, ``unparsed``, ``defer`` or ``other``)."""
    raw = f"[01/Mar/2026 10:00:00] {message}"
    got = tuple(native.parse_log(log, message, 1234, raw, OTHER_EVENTS))
    expected = FORMATS[log]().parse(message, 1234, raw)
    if got[0] == "event":
        assert got[1].__class__ is expected.__class__, message
        assert got[1] == expected, message
    elif got[0] == "unparsed":
        assert isinstance(expected, Unparsed), message
        assert got[1] == expected.reason, message
    elif got[0] == "other":
        assert expected is None, message
    return str(got[0])


@contextmanager
def both_pipelines(tmp_path: Path) -> Iterator[tuple[Pipeline, Pipeline]]:
    """A native and a Python pipeline over one small simulated site and one store
    (to ask which classes each engine chose)."""
    folder = tmp_path / "site"
    simulate(SimConfig(seed=5, days=2, users=4), folder)
    config = load(folder / "kerio-watch.toml")
    store = open_store(tmp_path / "state.db")
    try:
        native = Pipeline(config, store, make_timebase(config, []), engine="native")
        python = Pipeline(config, store, make_timebase(config, []), engine="python")
        yield native, python
    finally:
        store.close()
