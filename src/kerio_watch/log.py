"""kerio-watch's own log: one ``key=value`` (or JSON) line per event.

The follower (:mod:`kerio_watch.service`, :mod:`kerio_watch.sources.follow`) logs its
events with :func:`note` under one logger, :data:`SERVICE`; a component that logs plain
messages (the sinks' delivery, :mod:`kerio_watch.alerts.router`) uses :func:`get_logger`
with its own name, which the line carries as ``logger=...``. This module is the bottom
layer: it imports nothing from kerio-watch.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import IO, Any

from kerio_watch.textsafe import json_text

ROOT = "kerio_watch"
SERVICE = "kerio_watch.service"
"""The logger of the service's events (file, rotation, checkpoint, alert, ...)."""
ROUTER = "kerio_watch.alerts.router"
"""The logger of the sinks' delivery (its lines carry ``logger=kerio_watch.alerts.router``)."""
_UNLABELLED = (SERVICE, "kerio_watch.sources.follow")
"""Loggers whose lines carry no ``logger=`` field (the service's own events)."""

_service = logging.getLogger(SERVICE)


def note(level: int, event: str, **fields: Any) -> None:
    """Log a structured service event (``event`` plus key=value fields)."""
    _service.log(level, event, extra={"kv": fields})


def get_logger(name: str) -> logging.Logger:
    """The logger of a component whose lines name it (``logger=<name>``)."""
    return logging.getLogger(name)


class KeyValueFormatter(logging.Formatter):
    """``ts=... level=info event=file_opened path=/x offset=0`` (one line per event)."""

    def __init__(self, as_json: bool = False) -> None:
        super().__init__()
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        """One line for one record."""
        fields: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        extra = getattr(record, "kv", None)
        if isinstance(extra, dict):
            fields.update(extra)
        if record.name not in _UNLABELLED:
            fields["logger"] = record.name
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            fields["error"] = f"{type(exc).__name__}: {exc}"
        if self.as_json:
            return json_text(fields, default=str)
        return " ".join(f"{k}={_kv(v)}" for k, v in fields.items())


def _kv(value: object) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if not text or any(c in text for c in ' "=\n\r\t\\') or not text.isprintable():
        return json_text(text)
    return text


def configure_logging(stream: IO[str], as_json: bool = False, level: int = logging.INFO) -> None:
    """Send kerio-watch's log to ``stream`` as key=value (or JSON) lines."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(KeyValueFormatter(as_json))
    root = logging.getLogger(ROOT)
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
