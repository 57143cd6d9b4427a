"""What the firewall log formats share: verdict words, protocols, ports and addresses.

Firewalls write the same facts in different words: netfilter says nothing about the
verdict (only the administrator's log prefix hints at it), pf says ``pass``/``block``,
Windows ``ALLOW``/``DROP``, Kerio Control ``PERMIT``/``DENY``/``DROP``. The helpers
here normalise them for :class:`~kerio_watch.events.Connection`:

- :func:`verdict`: a word -> ``allow``, ``block`` or ``unknown``;
- :func:`protocol_name`: ``TCP``, ``6``, ``tcp`` -> ``tcp``;
- :func:`port`: ``"25"`` -> 25, anything else -> None;
- :func:`address`: an IPv4/IPv6 address in its canonical text (netfilter writes IPv6
  fully expanded), or the text itself when the firewall logged a host name or
  something that is no address (``192.168.2.xx`` in a redacted forum post): the event
  keeps what was written, and detectors only act on real addresses.

Nothing here raises on input.
"""

from __future__ import annotations

import ipaddress

from kerio_watch.values.ip import is_ip

FIREWALL_LOGS: frozenset[str] = frozenset({"netfilter", "filterlog", "pfirewall", "control"})
"""The logs that are firewall formats (their events are :class:`Connection`)."""

_ALLOW = frozenset({"accept", "accepted", "allow", "allowed", "pass", "permit", "open"})
_BLOCK = frozenset(
    {"drop", "dropped", "reject", "rejected", "block", "blocked", "deny", "denied", "refuse"}
)

_PROTOCOLS: dict[str, str] = {
    "1": "icmp",
    "2": "igmp",
    "6": "tcp",
    "17": "udp",
    "41": "ipv6",
    "47": "gre",
    "50": "esp",
    "58": "ipv6-icmp",
    "112": "carp",
    "icmpv6": "ipv6-icmp",
}

_ADDRESS_CHARS = frozenset("0123456789abcdefABCDEF.:")
_cache: dict[str, str] = {}


def verdict(word: str) -> str:
    """``allow``, ``block`` or ``unknown`` for an action word (any case).

    >>> verdict("PERMIT"), verdict("drop"), verdict("match")
    ('allow', 'block', 'unknown')
    """
    lowered = word.strip().lower()
    if lowered in _ALLOW:
        return "allow"
    if lowered in _BLOCK:
        return "block"
    return "unknown"


def verdict_in(text: str) -> str:
    """The verdict named by any word of a free text (a log prefix), else ``unknown``.

    >>> verdict_in("[UFW BLOCK]"), verdict_in("filter_IN_public_REJECT:"), verdict_in("x")
    ('block', 'block', 'unknown')
    """
    word = []
    found = "unknown"
    for c in text.lower() + " ":
        if c.isalpha():
            word.append(c)
            continue
        if word:
            v = verdict("".join(word))
            if v == "block":
                return v
            if v == "allow":
                found = v
            word = []
    return found


def protocol_name(text: str | None) -> str | None:
    """A protocol name or number -> its lower-case name (None for ``-`` or nothing).

    >>> protocol_name("TCP"), protocol_name("17"), protocol_name("ICMPv6"), protocol_name("-")
    ('tcp', 'udp', 'ipv6-icmp', None)
    """
    if text is None:
        return None
    value = text.strip().lower()
    if not value or value == "-" or len(value) > 20:
        return None
    return _PROTOCOLS.get(value, value)


def port(text: str | None) -> int | None:
    """A port number, or None when the text is not one (``-``, empty, out of range).

    >>> port("25"), port("-"), port("70000"), port("²")
    (25, None, None, None)
    """
    if text is None:
        return None
    value = text.strip()
    if not value or len(value) > 5 or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if number <= 65535 else None


def address(text: str) -> str:
    """An address in canonical form (IPv6 compressed, lower case); other text as given.

    >>> address("2001:0db8:0000:0000:0000:0000:0000:0001"), address("10.0.0.1")
    ('2001:db8::1', '10.0.0.1')
    >>> address("hit.google.com")
    'hit.google.com'
    """
    cached = _cache.get(text)
    if cached is not None:
        return cached
    value = text
    if text and set(text) <= _ADDRESS_CHARS:
        try:
            value = str(ipaddress.ip_address(text))
        except ValueError:
            value = text
    if len(_cache) > 100_000:
        _cache.clear()
    _cache[text] = value
    return value


def split_host_port(text: str) -> tuple[str, int | None] | None:
    """``10.0.0.1:25``, ``[2001:db8::1]:25``, ``host.example:25`` -> (host, port).

    An IPv6 address without brackets has a port only when it is not a valid address
    itself and the part before the last ``:`` is. None when there is no ``:port``.

    >>> split_host_port("192.168.1.11:3663"), split_host_port("[2001:db8::1]:25")
    (('192.168.1.11', 3663), ('2001:db8::1', 25))
    """
    value = text.strip()
    if value.startswith("["):
        end = value.find("]")
        if end < 0 or value[end + 1 : end + 2] != ":":
            return None
        return address(value[1:end]), port(value[end + 2 :])
    host, sep, tail = value.rpartition(":")
    if not sep or not host:
        return None
    if ":" in host and (is_ip(value) or not is_ip(host)):
        return None  # a bare IPv6 address, or no address at all
    number = port(tail)
    if number is None:
        return None
    return address(host), number
