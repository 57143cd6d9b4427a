"""Linux netfilter ``LOG`` lines (iptables, nftables, ufw, firewalld, EdgeOS).

The kernel writes one line per logged packet, the same for iptables ``-j LOG`` and
nftables ``log``::

    [uptime] <prefix>IN=<if> OUT=<if> [MAC=..] SRC=<ip> DST=<ip> LEN=.. ... PROTO=TCP
    SPT=<port> DPT=<port> ... SYN URGP=0

It arrives through syslog (``kern.log``, ``/var/log/messages``, a remote syslog
server) or the journal (``journalctl -k``, ``-o short-iso``, ``-o json``); the framing
(see :mod:`kerio_watch.formats.envelope`) hands this parser the text after
``kernel:``. The kernel's own uptime stamp (``[16571.459614]``) is skipped.

- The verdict is not part of the line: only the administrator's prefix says it, so
  ``action`` is ``block`` or ``allow`` when a word of the prefix says so (``DROP``,
  ``REJECT``, ``[UFW BLOCK]``, ``ACCEPT``), EdgeOS's ``[RULE-10-D]`` / ``-A`` suffixes
  are read, and the prefix ``mail-egress`` written by kerio-watch's own egress rule
  (see ``kerio-watch report``) is a rejection; otherwise ``unknown``.
- ``direction``: ``in`` (only ``IN=`` set: the INPUT chain), ``out`` (only ``OUT=``:
  OUTPUT), ``forward`` (both: a routed packet, what a LAN gateway logs).
- A line with ``IN=`` and ``SRC=`` but no ``DST=`` (or no ``SRC=``) is Unparsed; a
  line without the ``IN=``/``SRC=`` shape is not this log's (None).
"""

from __future__ import annotations

import re
from typing import ClassVar

from kerio_watch.events import Connection, Event, Unparsed
from kerio_watch.formats.connection import address, port, protocol_name, verdict_in

LOG = "netfilter"

_UPTIME = re.compile(r"\[\s*\d+\.\d+\]\s?")
_EDGE = re.compile(r"\[[^\]]*-([ADR])\]")
_EGRESS_PREFIX = "mail-egress"
MAX_PREFIX = 200
"""Characters before ``IN=`` read as the prefix (iptables allows 29, nftables 127)."""


def _start(message: str) -> int:
    """Index of the ``IN=`` that starts the packet fields, or -1."""
    i = message.find("IN=")
    while i > 0 and message[i - 1].isalnum():
        i = message.find("IN=", i + 3)
    return i


def _action(prefix: str) -> str:
    if _EGRESS_PREFIX in prefix:
        return "block"
    edge = _EDGE.search(prefix)
    if edge is not None:
        return "allow" if edge.group(1) == "A" else "block"
    return verdict_in(prefix)


class NetfilterParser:
    """Parser for netfilter ``LOG`` lines."""

    name: ClassVar[str] = "netfilter"

    def sniff(self, message: str) -> bool:
        """A packet line: ``IN=``, ``SRC=`` and ``DST=``."""
        return " SRC=" in message and " DST=" in message and _start(message) >= 0

    def parse(self, message: str, ts: int, raw: str) -> Event | Unparsed | None:
        """Parse one kernel message."""
        i = _start(message)
        if i < 0 or "SRC=" not in message:
            return None
        fields: dict[str, str] = {}
        for token in message[i:].split():
            key, sep, value = token.partition("=")
            if sep:
                fields.setdefault(key, value)
        src, dst = fields.get("SRC"), fields.get("DST")
        if not src or not dst:
            return Unparsed(LOG, raw, "netfilter: no SRC= or DST=")
        prefix = _UPTIME.sub("", message[max(0, i - MAX_PREFIX) : i], count=1).strip()
        if_in, if_out = fields.get("IN", ""), fields.get("OUT", "")
        if if_in and if_out:
            direction: str | None = "forward"
        elif if_in:
            direction = "in"
        elif if_out:
            direction = "out"
        else:
            direction = None
        return Connection(
            ts,
            LOG,
            raw,
            _action(prefix),
            protocol_name(fields.get("PROTO")),
            address(src),
            address(dst),
            port(fields.get("SPT")),
            port(fields.get("DPT")),
            if_in or if_out or None,
            direction,
            prefix.rstrip(":").strip() or None,
        )
