"""``[site]`` and ``[users."ADDRESS"]``: the mail server's domains, networks, clock and accounts."""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kerio_watch.settings.schema import Report


def _help(text: str) -> dict[str, str]:
    return {"help": text}


DEFAULT_TRUSTED = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
)
"""Private and loopback ranges: the trusted networks when none are configured."""
OfficeHours = tuple[frozenset[int], int, int]
"""(weekdays 0-6, start minute, end minute)."""


@dataclass(frozen=True)
class SiteConfig:
    """``[site]``: the mail server's domains, networks and clock."""

    local_domains: tuple[str, ...] = field(
        default=(),
        metadata=_help(
            "Mail domains this server hosts. Default: the domains of authenticated users "
            "seen in the logs."
        ),
    )
    domain_aliases: dict[str, str] = field(
        default_factory=dict,
        metadata=_help(
            'Kerio alias domains: {"example.net" = "example.com"} makes alice@example.net '
            "a From address of alice@example.com."
        ),
    )
    trusted_networks: tuple[str, ...] = field(
        default=DEFAULT_TRUSTED,
        metadata=_help("LAN, VPN and known servers (CIDR). Default: private and loopback."),
    )
    timezone: str | None = field(
        default=None,
        metadata=_help(
            "The server's IANA time zone (scan and follow warn when the Queue-IDs "
            "contradict it). The state database keeps it: a later run whose configuration "
            "names none reuses it, one that names another replaces it. Default: inferred "
            "from Queue-IDs."
        ),
    )
    office_hours: str | None = field(
        default=None,
        metadata=_help(
            'Office hours, e.g. "Mon-Fri 07:00-19:00"; mail outside them adds weight to '
            "other signals. Default: none (only each account's learned hours count)."
        ),
    )

    def zone(self) -> ZoneInfo | None:
        """The configured zone (validated at load), or None."""
        return ZoneInfo(self.timezone) if self.timezone else None

    @functools.cached_property
    def office(self) -> OfficeHours | None:
        """``office_hours`` parsed (once; validated at load), or None."""
        return parse_office_hours(self.office_hours) if self.office_hours else None


@dataclass(frozen=True)
class UserConfig:
    """``[users."addr"]``: what is known about one account."""

    aliases: tuple[str, ...] = field(
        default=(), metadata=_help("From addresses this account may use.")
    )
    bulk: bool = field(
        default=False,
        metadata=_help("This account sends in bulk by design (newsletter, invoicing, help desk)."),
    )
    ignore: bool = field(default=False, metadata=_help("Never raise incidents for this account."))


def check_site(site: SiteConfig, add: Report) -> SiteConfig:
    """Check ``[site]``; the section with its domains lowercased."""
    for i, net in enumerate(site.trusted_networks):
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError:
            add(
                f"site.trusted_networks[{i}]",
                f"expected a network like 192.168.0.0/16, got {net!r}",
            )
    if site.timezone:
        try:
            ZoneInfo(site.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            add(
                "site.timezone",
                f'expected an IANA time zone name like "Europe/Berlin", got {site.timezone!r}',
            )
    lowered = tuple(d.lower().strip() for d in site.local_domains)
    aliases = {k.lower(): v.lower() for k, v in site.domain_aliases.items()}
    site = dataclasses.replace(site, local_domains=lowered, domain_aliases=aliases)
    try:
        _ = site.office  # parsed here, once, and kept with the section
    except ValueError as exc:
        add("site.office_hours", str(exc))
    return site


def check_users(users: dict[str, UserConfig], add: Report) -> dict[str, UserConfig]:
    """Check ``[users]``; the tables keyed and aliased in lower case."""
    out: dict[str, UserConfig] = {}
    for address, user in users.items():
        if "@" not in address:
            add(f'users."{address}"', "expected an e-mail address as the table name")
        aliases = tuple(a.lower() for a in user.aliases)
        for i, alias in enumerate(aliases):
            if "@" not in alias:
                add(f'users."{address}".aliases[{i}]', f"expected an e-mail address, got {alias!r}")
        out[address.lower()] = dataclasses.replace(user, aliases=aliases)
    return out


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_office_hours(text: str) -> tuple[frozenset[int], int, int]:
    """``"Mon-Fri 07:00-19:00"`` -> (weekdays 0-6, start minute, end minute).

    >>> parse_office_hours("Mon-Fri 07:00-19:00")
    (frozenset({0, 1, 2, 3, 4}), 420, 1140)
    """
    m = re.fullmatch(
        r"\s*([A-Za-z]{3})(?:\s*-\s*([A-Za-z]{3}))?\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*",
        text,
    )
    if not m or m.group(1).lower() not in _DAYS or (m.group(2) and m.group(2).lower() not in _DAYS):
        raise ValueError(f'expected "Mon-Fri 07:00-19:00", got {text!r}')
    first = _DAYS.index(m.group(1).lower())
    last = _DAYS.index(m.group(2).lower()) if m.group(2) else first
    days = frozenset((first + i) % 7 for i in range((last - first) % 7 + 1))
    start = int(m.group(3)) * 60 + int(m.group(4))
    end = int(m.group(5)) * 60 + int(m.group(6))
    if start >= end or end > 24 * 60:
        raise ValueError(f"office hours must start before they end, got {text!r}")
    return days, start, end
