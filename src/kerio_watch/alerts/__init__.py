"""Alert sinks, registered by ``type``.

To add a sink: write ``alerts/<type>.py`` with a class implementing
:class:`kerio_watch.alerts.base.Sink`, add one line to :data:`SINKS`, and add
``tests/alerts/test_<type>.py`` against a real local server.
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


def validate_sink(table: dict[str, Any]) -> list[str]:
    """Problems with one ``[[sinks]]`` table (empty when valid)."""
    kind = table.get("type")
    if not isinstance(kind, str):
        return ["type: expected a sink type (one of: " + ", ".join(sorted(SINKS)) + ")"]
    cls = SINKS.get(kind)
    if cls is None:
        return [f"type: unknown sink type {kind!r} (valid: {', '.join(sorted(SINKS)) or 'none'})"]
    problems: list[str] = cls.validate(table)
    return problems


def validate_sink_names(tables: list[dict[str, Any]]) -> list[str]:
    """Problems across ``[[sinks]]`` tables: every sink needs a unique name."""
    seen: dict[str, int] = {}
    problems = []
    for i, table in enumerate(tables):
        name = table.get("name") or table.get("type")
        if not isinstance(name, str):
            continue
        if name in seen:
            problems.append(
                f"sinks[{i}]: name: {name!r} is already the name of sinks[{seen[name]}]; "
                'give each sink a unique name = "..."'
            )
        else:
            seen[name] = i
    return problems
