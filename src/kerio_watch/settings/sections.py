"""``[state]``, ``[enrich]`` and ``[firewall]``: history kept, network identity, firewall logs."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kerio_watch.settings.numbers import period
from kerio_watch.settings.schema import Report

MAX_DAYS = 36500
"""A hundred years: the most [state] keeps or looks back (a larger number made the
pruning's cutoff too large for SQLite, and every scan and follow crashed)."""


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True)
class StateConfig:
    """``[state]``: how long the state database keeps history."""

    activity_days: int = period(
        400,
        "days",
        "Days of hourly activity (what reports, timelines and the dashboard show) to "
        "keep, counted back from the newest log time; 0 keeps it forever. Profiles, "
        "incidents and alerts are kept regardless.",
        positive=False,
        zero="keep forever",
        high=MAX_DAYS,
    )
    future_hours: int = period(
        24,
        "hours",
        "A line dated more than this many hours ahead of its log's recent lines, and "
        "after its file was last written, is implausible (a clock glitch, a corrupted "
        "line): counted and shown by scan and status, never processed, so it moves no "
        "watermark, pruning or report period (docs/service.md).",
    )
    past_days: int = period(
        0,
        "days",
        "A line dated more than this many days behind its log's recent lines is "
        "implausible; 0: activity_days (400 when that is 0).",
        positive=False,
        zero="activity_days",
        high=MAX_DAYS,
    )

    def time_limits(self) -> tuple[int, int]:
        """(future, past) seconds for the plausibility of log times."""
        past = self.past_days or self.activity_days or 400
        return self.future_hours * 3600, past * 86400


@dataclass(frozen=True)
class EnrichConfig:
    """``[enrich]``: the country and network owner of outside addresses, offline."""

    geo: str = field(
        default="auto",
        metadata=_help(
            'Where country and AS come from: "maxmind" (the databases below), "geoip2fast" '
            '(the data file of the geoip2fast package), "off", or "auto": maxmind when a '
            "database is set, else geoip2fast when installed, else off."
        ),
    )
    country_db: str | None = field(
        default=None, metadata=_help("A MaxMind Country or City database (.mmdb).")
    )
    asn_db: str | None = field(default=None, metadata=_help("A MaxMind ASN database (.mmdb)."))
    anonymous_db: str | None = field(
        default=None,
        metadata=_help("A MaxMind Anonymous-IP database (.mmdb): its hosting-provider flag."),
    )
    hosting: tuple[str, ...] = field(
        default=(),
        metadata=_help(
            'More hosting networks: AS numbers ("AS64500") or words of AS names, besides the '
            "well-known cloud and hosting providers."
        ),
    )


@dataclass(frozen=True)
class FirewallConfig:
    """``[firewall]``: firewall logs and the machines that may send mail (docs/firewall.md)."""

    mail_servers: tuple[str, ...] = field(
        default=(),
        metadata=_help(
            "The mail server's addresses (IP or CIDR), LAN and public, and any other server "
            "that delivers mail itself: their SMTP is expected, and connections to them are "
            "not direct sending. Default: inferred (infer_mail_server)."
        ),
    )
    infer_mail_server: bool = field(
        default=True,
        metadata=_help(
            "Take as a mail server the LAN address whose outbound SMTP matches Kerio's own "
            "deliveries (mail.log Remote-Host), or that receives SMTP from the internet."
        ),
    )
    relays: tuple[str, ...] = field(
        default=(),
        metadata=_help(
            "Outside servers LAN machines may reach on mail ports by design: the ISP's "
            "smarthost, a backup MX, a mail service an application uses."
        ),
    )
    allowed_hosts: tuple[str, ...] = field(
        default=(),
        metadata=_help(
            "LAN machines allowed to speak SMTP to the internet: monitoring probes, an "
            "application server that sends its own mail."
        ),
    )
    timezone: str | None = field(
        default=None,
        metadata=_help(
            "The firewall's IANA time zone, when its logs are in local time and it differs "
            "from the mail server's. Default: the mail server's (see [site] timezone)."
        ),
    )

    def zone(self) -> ZoneInfo | None:
        """The configured zone (validated at load), or None."""
        return ZoneInfo(self.timezone) if self.timezone else None


def check_firewall(firewall: FirewallConfig, add: Report) -> None:
    """Check ``[firewall]``: addresses, networks and the zone."""
    for key in ("mail_servers", "relays", "allowed_hosts"):
        for i, net in enumerate(getattr(firewall, key)):
            try:
                ipaddress.ip_network(net.strip(), strict=False)
            except ValueError:
                add(
                    f"firewall.{key}[{i}]",
                    f"expected an address or network like 192.168.1.5 or 203.0.113.0/28, "
                    f"got {net!r}",
                )
    if firewall.timezone:
        try:
            ZoneInfo(firewall.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            add(
                "firewall.timezone",
                f'expected an IANA time zone name like "UTC", got {firewall.timezone!r}',
            )
