"""The sink types: ``type`` -> class (:data:`SINKS`).

Kept apart from :mod:`kerio_watch.alerts` so that a command that delivers to no sink
(a ``scan`` without ``[[sinks]]``) does not import the sinks' modules and what they
need (``smtplib``, ``email``, ``ssl``, ``urllib``, ``subprocess``): only validating or
building a configured sink, listing the types and the configuration reference import
this module.
"""

from __future__ import annotations

from typing import Any

from kerio_watch.alerts.base import Sink
from kerio_watch.alerts.command import CommandSink
from kerio_watch.alerts.email import EmailSink
from kerio_watch.alerts.jsonl import JsonlSink
from kerio_watch.alerts.syslog import SyslogSink
from kerio_watch.alerts.webhook import WebhookSink

SINKS: dict[str, type[Sink[Any]]] = {
    JsonlSink.type: JsonlSink,
    SyslogSink.type: SyslogSink,
    EmailSink.type: EmailSink,
    WebhookSink.type: WebhookSink,
    CommandSink.type: CommandSink,
}
"""Sink type -> class."""
