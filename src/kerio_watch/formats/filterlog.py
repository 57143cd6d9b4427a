"""pfSense and OPNsense ``filterlog``: one CSV record per logged packet.

The layout is documented by Netgate, "Raw Filter Log Format"
(https://docs.netgate.com/pfsense/en/latest/monitoring/raw-filter-log-format.html);
OPNsense writes the same fields (its tracker is a hash). Common fields first::

    rule,subrule,anchor,tracker,interface,reason,action,direction,ipversion,

then for IPv4 ``tos,ecn,ttl,id,offset,flags,protocol-id,protocol,length,src,dst`` and
for IPv6 ``class,flow-label,hop-limit,protocol,protocol-id,length,src,dst``, then for
TCP and UDP ``src-port,dst-port,data-length`` (TCP adds flags, sequence, ack, window,
urg, options; ICMP and CARP have their own tails, which are not needed here).

The syslog framing names the log by its tag or app-name ``filterlog``; the BSD format
pfSense forwards has no host name (``<134>Jul  3 19:10:30 filterlog[72237]: ...``),
which the framing accepts. ``action``: ``pass`` -> ``allow``, ``block``/``reject`` ->
``block``; ``direction`` is ``in`` or ``out`` as logged (relative to the interface).
A record whose common fields are there but whose addresses are missing is Unparsed;
text without the common fields is not this log's (None).
"""

from __future__ import annotations

from typing import ClassVar

from kerio_watch.events import Connection, Event, Unparsed
from kerio_watch.formats.connection import address, port, protocol_name, verdict

LOG = "filterlog"

_DIRECTIONS = frozenset({"in", "out"})
_ACTIONS = frozenset({"pass", "block", "reject", "match", "scrub", "nat", "rdr", "binat"})


def _common(fields: list[str]) -> bool:
    return (
        len(fields) > 9
        and fields[6] in _ACTIONS
        and fields[7] in _DIRECTIONS
        and fields[8] in ("4", "6")
    )


class FilterlogParser:
    """Parser for pfSense/OPNsense ``filterlog`` records."""

    name: ClassVar[str] = "filterlog"

    def sniff(self, message: str) -> bool:
        """The common CSV fields: an action, a direction and an IP version."""
        return "," in message and _common(message.split(",", 10))

    def parse(self, message: str, ts: int, raw: str) -> Event | Unparsed | None:
        """Parse one filterlog record."""
        if "," not in message:
            return None
        fields = message.strip().split(",")
        if not _common(fields):
            return None
        if fields[8] == "4":
            if len(fields) < 20:
                return Unparsed(LOG, raw, "filterlog: IPv4 record without addresses")
            proto, src, dst, rest = fields[16], fields[18], fields[19], fields[20:]
        else:
            if len(fields) < 17:
                return Unparsed(LOG, raw, "filterlog: IPv6 record without addresses")
            proto, src, dst, rest = fields[12], fields[15], fields[16], fields[17:]
        if not src or not dst:
            return Unparsed(LOG, raw, "filterlog: empty address")
        protocol = protocol_name(proto)
        sport = dport = None
        if protocol in ("tcp", "udp") and len(rest) >= 2:
            sport, dport = port(rest[0]), port(rest[1])
        return Connection(
            ts,
            LOG,
            raw,
            verdict(fields[6]),
            protocol,
            address(src),
            address(dst),
            sport,
            dport,
            fields[4] or None,
            fields[7],
            fields[3] or fields[0] or None,
        )
