"""IP address text: what may be kept as an address (log content may be anything)."""

from __future__ import annotations

import functools
import ipaddress


def ip_or_none(text: str | None) -> str | None:
    """The text when it is an IP address (brackets and spaces around it dropped), else None.

    >>> ip_or_none(" 203.0.113.7"), ip_or_none("[2001:db8::1]"), ip_or_none("mx.example.com")
    ('203.0.113.7', '2001:db8::1', None)
    """
    if not text:
        return None
    candidate = text.strip().strip("[]")
    return candidate if is_ip(candidate) else None


@functools.lru_cache(maxsize=65536)
def is_ip(host: str | None) -> bool:
    """Whether the text is an IP address (Kerio may log host names instead; cached:
    the same addresses recur constantly)."""
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
