"""The parser seam: one module per Kerio log, each a :class:`Parser`.

A parser gets the *message* of a line (the text after the ``[date] `` prefix or the
syslog header), the line's time and the raw line. It returns an :class:`Event`, an
:class:`Unparsed` record for a line it recognises as its own but cannot read, or
``None`` for a line that is not its kind at all. Parsers never raise on input.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from kerio_watch.events import Event, Unparsed


class Parser(Protocol):
    """A Kerio log format."""

    name: ClassVar[str]
    """The log's name: ``mail``, ``security``, ``audit``..."""

    def sniff(self, message: str) -> bool:
        """Cheaply tell whether a message looks like this log's (auto-detection)."""
        ...

    def parse(self, message: str, ts: int, raw: str) -> Event | Unparsed | None:
        """Turn one message into an event; never raises."""
        ...


def strip_brackets(value: str) -> str:
    """``<a@b>`` -> ``a@b``; leaves other text (stripped) alone."""
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        return value[1:-1].strip()
    return value


def split_addresses(value: str) -> tuple[str, ...]:
    """``<a@x>, <b@y>`` (or bare addresses) -> lower-cased ``("a@x", "b@y")``. An address
    opened and not closed (``<victim35@mailbox35.te``: the line was cut, as Kerio cuts a
    line at 1,024 characters) is none."""
    value = value.strip()
    if not value:
        return ()
    if value.count("<") <= 1:
        one = _address(value)
        return (one,) if one else ()
    parts = [_address(p) for p in value.split(",")]
    return tuple(p for p in parts if p)


def _address(part: str) -> str:
    part = part.strip()
    if part.startswith("<") and not part.endswith(">"):
        return ""
    return strip_brackets(part).lower()
