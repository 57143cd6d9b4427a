"""Windows Defender Firewall's ``pfirewall.log`` (W3C extended log format).

The file starts with directives, then one space-separated record per line::

    #Version: 1.5
    #Software: Microsoft Windows Firewall
    #Time Format: Local
    #Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags
             tcpsyn tcpack tcpwin icmptype icmpcode info path pid
    2022-01-31 12:24:51 DROP TCP 192.168.9.163 192.168.9.212 63619 445 64 S ... RECEIVE 4

Windows always writes this column order (older versions without ``pid``), in the
computer's local time; ``-`` marks an empty field. The framing
(:func:`kerio_watch.formats.envelope.split_syslog`) splits off ``date time``; the
directives are counted as headers by the readers (:func:`is_directive`), not as
unparsed lines.

- ``action``: ``ALLOW``, ``OPEN``, ``OPEN-INBOUND`` -> ``allow``; ``DROP`` -> ``block``;
  ``CLOSE`` (Windows XP: the end of a connection whose ``OPEN`` was logged) ->
  ``close``, which detectors do not count as a new connection;
  ``INFO-EVENTS-LOST`` (records dropped under load) is a
  :class:`~kerio_watch.events.ServerNotice` ``events_lost`` with the number lost.
- ``direction``: ``path`` ``SEND`` -> ``out``, ``RECEIVE`` -> ``in``.
- A line with a known action but too few columns is Unparsed; anything else is not
  this log's (None).
"""

from __future__ import annotations

from typing import ClassVar

from kerio_watch.events import Connection, Event, ServerNotice, Unparsed
from kerio_watch.formats.connection import address, port, protocol_name

LOG = "pfirewall"

_ACTIONS: dict[str, str] = {
    "ALLOW": "allow",
    "OPEN": "allow",
    "OPEN-INBOUND": "allow",
    "DROP": "block",
    "CLOSE": "close",
}
_LOST = "INFO-EVENTS-LOST"
_PATHS: dict[str, str] = {"SEND": "out", "RECEIVE": "in"}
COLUMNS = 15
"""Columns after ``date time`` up to ``path`` (``pid`` and later ones are optional)."""
SOFTWARE = "#Software: Microsoft Windows Firewall"
FIELDS = "#Fields: date time action protocol src-ip dst-ip"


def is_directive(line: str) -> bool:
    """A W3C directive line (``#Version:``, ``#Fields:``...)."""
    return line.startswith("#")


def is_header(line: str) -> bool:
    """A directive that only a Windows Firewall log writes (for discovery by content)."""
    return line.startswith((SOFTWARE, FIELDS))


def _value(text: str) -> str | None:
    return None if text == "-" else text


class PfirewallParser:
    """Parser for ``pfirewall.log`` records."""

    name: ClassVar[str] = "pfirewall"

    def sniff(self, message: str) -> bool:
        """A record with a known action and the full set of columns."""
        fields = message.split(" ", COLUMNS + 1)
        return (fields[0] in _ACTIONS or fields[0] == _LOST) and len(fields) >= COLUMNS

    def parse(self, message: str, ts: int, raw: str) -> Event | Unparsed | None:
        """Parse one record (the text after ``date time``)."""
        fields = message.strip().split()
        if not fields:
            return None
        action = fields[0]
        if action == _LOST:
            lost = fields[13] if len(fields) > 13 else None
            return ServerNotice(ts, LOG, raw, "events_lost", None, _value(lost or "-"))
        if action not in _ACTIONS:
            return None
        if len(fields) < COLUMNS:
            return Unparsed(LOG, raw, f"pfirewall: {len(fields)} columns, expected {COLUMNS}")
        src, dst = _value(fields[2]), _value(fields[3])
        if src is None or dst is None:
            return Unparsed(LOG, raw, "pfirewall: no source or destination address")
        return Connection(
            ts,
            LOG,
            raw,
            _ACTIONS[action],
            protocol_name(fields[1]),
            address(src),
            address(dst),
            port(fields[4]),
            port(fields[5]),
            None,
            _PATHS.get(fields[14]),
            None,
        )
