"""Kerio Control's filter log and connection log (log name ``control``).

Kerio Control writes the same ``[DD/Mon/YYYY HH:MM:SS]`` prefix as Kerio Connect. Its
manual documents both logs with examples (GFI, "Using the Filter log" and "Using the
Connection log"; docs/firewall.md lists what the documentation leaves open):

- filter log, a packet matching a traffic rule with "Log packets"::

      PERMIT 'Local traffic' packet to LAN, proto:TCP, len:47,
      ip/port:195.39.55.4:41272 -> 192.168.1.11:3663, flags: ACK PSH, seq:... win:64036

  The part after the interface comes from an editable template ("Format of logged
  packets"), so the parser looks for the pieces wherever they are: the action
  (``PERMIT`` -> ``allow``, ``DENY``/``DROP`` -> ``block``), the quoted rule name,
  ``packet to|from <interface>``, a protocol (``proto:TCP`` or a bare ``TCP``) and an
  address pair ``host:port -> host:port`` (also ``>>``, ``>`` or `` - `` between them).
  ``direction`` is ``out`` for ``packet to``, ``in`` for ``packet from``.
- filter log, an HTTP or FTP rule (``ALLOW URL 'rule' 192.168.64.142 user HTTP GET
  http://...``): a :class:`~kerio_watch.events.ServerNotice` ``url_rule``/``ftp_rule``.
- connection log, written when a connection ends (allowed traffic only)::

      [ID] 613181 [Rule] NAT [Service] HTTP [User] james [Connection] TCP
      192.168.1.140:1193 -> hit.google.com:80 [Duration] 121 sec [Bytes] 1575/1290/2865

  The destination is a host name when Kerio Control's DNS cache knew one; it is kept
  as written. ``action`` is ``allow``.

A line with the right start but no readable address pair is Unparsed.
"""

from __future__ import annotations

import re
from typing import ClassVar

from kerio_watch.events import Connection, Event, ServerNotice, Unparsed
from kerio_watch.formats.connection import address, protocol_name, split_host_port, verdict
from kerio_watch.values.ip import is_ip

LOG = "control"

_PACKET = re.compile(
    r"(?P<action>PERMIT|DENY|DROP) (?P<q>['\"])(?P<rule>.*?)(?P=q) packet "
    r"(?P<dir>to|from) (?P<rest>.*)\Z",
    re.S,
)
_RULE_LINE = re.compile(r"(?P<action>ALLOW|DENY) (?P<kind>URL|FTP) (?P<rest>.*)\Z", re.S)
_ARROWS = frozenset({"->", ">>", ">", "-", "→"})
_PROTO = re.compile(r"proto:\s*(?P<p>[A-Za-z0-9-]+)|\b(?P<w>TCP|UDP|ICMP|ICMPv6|GRE|ESP)\b")
_ITEM = re.compile(r"\[(?P<key>[A-Za-z]+)\] (?P<value>.*?)(?= \[[A-Za-z]+\] |\Z)", re.S)


def _endpoint(text: str) -> tuple[str, int | None] | None:
    """``host:port`` (or a bare IP address) -> (host, port)."""
    pair = split_host_port(text)
    if pair is not None:
        return pair
    bare = address(text.strip("[]"))
    return (bare, None) if is_ip(bare) else None


def _pair(text: str) -> tuple[tuple[str, int | None], tuple[str, int | None]] | None:
    """The first ``source ARROW destination`` whose both sides are endpoints."""
    tokens = text.split()
    for i in range(1, len(tokens) - 1):
        if tokens[i] not in _ARROWS:
            continue
        a = _endpoint(tokens[i - 1].strip("(,").removeprefix("ip/port:"))
        b = _endpoint(tokens[i + 1].strip("),"))
        if a is not None and b is not None:
            return a, b
    return None


def _protocol(text: str) -> str | None:
    m = _PROTO.search(text)
    if m is None:
        return None
    return protocol_name(m["p"] or m["w"])


class ControlParser:
    """Parser for Kerio Control's filter and connection logs."""

    name: ClassVar[str] = "control"

    def sniff(self, message: str) -> bool:
        """A traffic-rule packet line or a connection-log line."""
        if message.startswith("[ID] "):
            return "[Connection] " in message
        return message.startswith(("PERMIT ", "DENY ", "DROP ")) and " packet " in message

    def parse(self, message: str, ts: int, raw: str) -> Event | Unparsed | None:
        """Parse one filter-log or connection-log message."""
        if message.startswith("[ID] "):
            return self._connection(message, ts, raw)
        m = _PACKET.match(message)
        if m is not None:
            return self._packet(m, ts, raw)
        m = _RULE_LINE.match(message)
        if m is not None:
            topic = "url_rule" if m["kind"] == "URL" else "ftp_rule"
            return ServerNotice(ts, LOG, raw, topic, None, f"{m['action']} {m['rest']}")
        return None

    @staticmethod
    def _packet(m: re.Match[str], ts: int, raw: str) -> Event | Unparsed:
        rest = m["rest"]
        pair = _pair(rest)
        if pair is None:
            return Unparsed(LOG, raw, "control: packet line without source and destination")
        (src, sport), (dst, dport) = pair
        head = rest.split(",", 1)[0]
        interface = head.split(" ", 1)[0] if "(" in head or ">" in head else head
        return Connection(
            ts,
            LOG,
            raw,
            verdict(m["action"]),
            _protocol(rest),
            src,
            dst,
            sport,
            dport,
            interface.strip() or None,
            "out" if m["dir"] == "to" else "in",
            m["rule"] or None,
        )

    @staticmethod
    def _connection(message: str, ts: int, raw: str) -> Event | Unparsed | None:
        items = {m["key"]: m["value"].strip() for m in _ITEM.finditer(message)}
        conn = items.get("Connection")
        if conn is None:
            return None
        proto, _, endpoints = conn.partition(" ")
        pair = _pair(endpoints)
        if pair is None:
            return Unparsed(LOG, raw, "control: connection line without source and destination")
        (src, sport), (dst, dport) = pair
        return Connection(
            ts,
            LOG,
            raw,
            "allow",
            protocol_name(proto),
            src,
            dst,
            sport,
            dport,
            None,
            None,
            items.get("Rule") or None,
        )
