"""warning.log: minor problems (formats doc §9). Free text; two shapes are known.

- ``No local mailbox <addr>, expanded from <addr>`` ->
  ``ServerNotice("no_local_mailbox", address, detail=<expanded-from address>)``
- ``Address <addr> expanded to zero recipients`` (written ``Address <<addr>> ...`` in the
  doc's notation) -> ``ServerNotice("zero_recipients", addr)``
- any other non-blank line -> ``ServerNotice("warning", None, <message>)``: the log is
  free text, so its lines are kept as events rather than counted as unparsed.

:meth:`WarningParser.sniff` accepts only the two known shapes, so that auto-detection
does not claim every file for this log.
"""

from __future__ import annotations

import re
from typing import ClassVar

from kerio_watch.events import Event, ServerNotice, Unparsed

LOG = "warning"

_NO_MAILBOX = re.compile(r"No local mailbox (?P<addr>.+?), expanded from (?P<src>.+?)\.?\Z")
_ZERO = re.compile(r"Address (?P<addr>.+?) expanded to zero recipients\.?\Z")


def _address(value: str) -> str:
    value = value.strip()
    for _ in range(2):
        if len(value) >= 2 and value[0] == "<" and value[-1] == ">":
            value = value[1:-1].strip()
    return value.lower()


class WarningParser:
    """Parser for ``warning.log``."""

    name: ClassVar[str] = "warning"

    def sniff(self, message: str) -> bool:
        """One of the two known warning shapes."""
        return self._known(message.rstrip(), 0, message) is not None

    def parse(self, message: str, ts: int, raw: str) -> Event | Unparsed | None:
        """Parse one warning.log message; any non-blank text is a notice."""
        text = message.rstrip()
        if not text:
            return None
        known = self._known(text, ts, raw)
        if known is not None:
            return known
        return ServerNotice(ts, LOG, raw, "warning", None, text)

    @staticmethod
    def _known(text: str, ts: int, raw: str) -> ServerNotice | None:
        if text.startswith("No local mailbox "):
            m = _NO_MAILBOX.match(text)
            if m is not None:
                return ServerNotice(
                    ts, LOG, raw, "no_local_mailbox", _address(m["addr"]), _address(m["src"])
                )
        elif text.startswith("Address "):
            m = _ZERO.match(text)
            if m is not None:
                return ServerNotice(ts, LOG, raw, "zero_recipients", _address(m["addr"]))
        return None
