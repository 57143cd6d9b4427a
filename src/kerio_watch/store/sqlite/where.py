"""The WHERE clause of a listing query, built from the filters a caller gave."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class Where:
    """Conditions joined by AND, with their parameters in order.

    >>> w = Where().add("sink = ?", "mail").add("kind = ?", None).one_of("status", ["a", "b"])
    >>> w.sql, w.params
    (' WHERE sink = ? AND status IN (?,?)', ['mail', 'a', 'b'])
    >>> Where().sql
    ''
    """

    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.params: list[Any] = []

    def add(self, condition: str, value: Any) -> Where:
        """``condition`` (one ``?``) with ``value``, unless the value is None."""
        if value is not None:
            self.conditions.append(condition)
            self.params.append(value)
        return self

    def one_of(self, column: str, values: Iterable[Any] | None) -> Where:
        """``column`` is one of ``values``, unless they are None."""
        if values is not None:
            wanted = list(values)
            self.conditions.append(f"{column} IN ({','.join('?' * len(wanted))})")
            self.params.extend(wanted)
        return self

    @property
    def sql(self) -> str:
        """`` WHERE ...`` (empty without conditions)."""
        return f" WHERE {' AND '.join(self.conditions)}" if self.conditions else ""
