"""``type = "jsonl"``: append one JSON object per alert to a file, fsync'd."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Any

from kerio_watch.alerts.base import Sink, SinkOptions, option
from kerio_watch.alerts.render import one_line
from kerio_watch.errors import SinkError
from kerio_watch.textsafe import json_text
from kerio_watch.values.alert import Alert


@dataclass(frozen=True, kw_only=True)
class JsonlOptions(SinkOptions):
    """Options of the JSON-lines file sink."""

    path: str = option(
        help="The file to append to (created with mode 0640; its directory must exist).",
        example='"/var/log/kerio-watch/alerts.jsonl"',
    )
    fsync: bool = option(True, "Flush each line to disk before counting it as delivered.")


def alert_record(alert: Alert) -> dict[str, Any]:
    """The JSON object written for an alert: ``Alert.to_dict()`` plus a one-line ``text``."""
    record = alert.to_dict()
    record["text"] = one_line(alert)
    return record


class JsonlSink(Sink[JsonlOptions]):
    """Appends alerts to a JSON-lines file for log shippers and scripts.

    Each line is one complete JSON object (non-ASCII kept, every control and bidi
    character escaped: :func:`~kerio_watch.textsafe.json_text`), written with a single
    ``write`` on an ``O_APPEND`` descriptor so concurrent writers never interleave, then
    fsync'd.
    """

    type = "jsonl"
    options_class = JsonlOptions

    def send(self, alert: Alert) -> None:
        """Append one line."""
        record = alert_record(alert)
        record["delivered"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        data = (json_text(record) + "\n").encode("utf-8")
        path = self.options.path
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        except FileNotFoundError:
            raise SinkError(f"cannot open {path}: its directory does not exist") from None
        except OSError as exc:
            raise SinkError(f"cannot open {path}: {exc.strerror or exc}") from None
        try:
            written = os.write(fd, data)
            if written != len(data):
                raise SinkError(f"short write to {path} ({written} of {len(data)} bytes)")
            if self.options.fsync:
                os.fsync(fd)
        except OSError as exc:
            raise SinkError(f"cannot write {path}: {exc.strerror or exc}") from None
        finally:
            os.close(fd)
