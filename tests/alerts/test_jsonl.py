"""The JSON-lines file sink."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from kerio_watch.alerts.jsonl import JsonlSink, alert_record
from kerio_watch.errors import SinkError
from kerio_watch.values.alert import Alert


def sink(path: Path) -> JsonlSink:
    """A jsonl sink writing to ``path``."""
    s = JsonlSink.from_table({"type": "jsonl", "path": str(path)})
    assert isinstance(s, JsonlSink)
    return s


class TestJsonl:
    """One complete JSON object per line, appended."""

    def test_appends_one_line_per_alert(self, tmp_path: Path, alert: Callable[..., Alert]) -> None:
        """Each alert is one line; earlier lines are kept; the file is not world-readable."""
        path = tmp_path / "alerts.jsonl"
        path.write_text('{"earlier": true}\n')
        s = sink(path)
        s.send(alert())
        s.send(alert(id="12-4"))
        lines = path.read_text().splitlines()
        assert len(lines) == 3 and json.loads(lines[0]) == {"earlier": True}
        record = json.loads(lines[1])
        assert {k: v for k, v in record.items() if k != "delivered"} == alert_record(alert())
        assert json.loads(lines[2])["id"] == "12-4"
        fresh = tmp_path / "new.jsonl"
        sink(fresh).send(alert())
        assert os.stat(fresh).st_mode & 0o007 == 0

    def test_hostile_content_stays_one_line(
        self, tmp_path: Path, hostile: Callable[..., Alert]
    ) -> None:
        """Newlines and control characters are JSON-escaped, so one alert = one line."""
        path = tmp_path / "alerts.jsonl"
        sink(path).send(hostile())
        data = path.read_bytes()
        assert data.count(b"\n") == 1
        assert not any(b < 0x20 for b in data[:-1])
        assert json.loads(data)["user"].startswith("eve@example.com\r\nBcc:")

    def test_missing_directory(self, tmp_path: Path, alert: Callable[..., Alert]) -> None:
        """The directory is not created silently; the message says it is missing."""
        with pytest.raises(SinkError, match="its directory does not exist"):
            sink(tmp_path / "nope" / "alerts.jsonl").send(alert())
