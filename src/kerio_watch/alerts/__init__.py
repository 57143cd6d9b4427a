"""Alert sinks, registered by ``type`` in :data:`kerio_watch.alerts.registry.SINKS`.

To add a sink: write ``alerts/<type>.py`` with a class implementing
:class:`kerio_watch.alerts.base.Sink`, add one line to ``SINKS`` in
``alerts/registry.py``, and add ``tests/alerts/test_<type>.py`` against a real local
server. This package's own module imports no sink: a scan without ``[[sinks]]`` never
loads them.
"""

from __future__ import annotations

from typing import Any


def validate_sink(table: dict[str, Any]) -> list[str]:
    """Problems with one ``[[sinks]]`` table (empty when valid)."""
    from kerio_watch.alerts.registry import SINKS  # noqa: PLC0415 (only with [[sinks]])

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
