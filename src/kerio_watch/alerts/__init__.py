"""Alert sinks, registered by ``type``.

To add a sink: write ``alerts/<type>.py`` with a class implementing
:class:`kerio_watch.alerts.base.Sink`, add one line to :data:`SINKS`, and add
``tests/alerts/test_<type>.py`` against a real local server.
"""

from __future__ import annotations

from typing import Any

SINKS: dict[str, Any] = {}
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
