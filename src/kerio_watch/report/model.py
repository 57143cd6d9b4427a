"""What a report holds: plain dataclasses, rendered as text, JSON or HTML.

Every string that comes from the logs (accounts, addresses, user agents, subjects) is
kept as it was logged; each renderer makes it inert for its own output.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from kerio_watch.values.incident import Incident
from kerio_watch.values.response import ResponseSection


def split_key(key: str) -> tuple[str, str, str]:
    """``a|b|c`` (the last part may itself hold ``|``) -> three strings."""
    parts = key.split("|", 2)
    parts.extend([""] * (3 - len(parts)))
    return parts[0], parts[1], parts[2]


@dataclass(frozen=True)
class Period:
    """``[since, until)`` in UTC epoch seconds, and the server's UTC offsets (seconds
    east) at both ends, which make :attr:`days` a length on the server's clock."""

    since: int
    until: int
    offsets: tuple[int, int] = field(default=(0, 0), compare=False, metadata={"json": False})

    @property
    def seconds(self) -> int:
        """Length of the period."""
        return self.until - self.since

    @property
    def days(self) -> float:
        """Length in days on the server's clock: whole local days where the period is
        (a week across a daylight-saving change is 7, not 6.958)."""
        return (self.seconds + self.offsets[1] - self.offsets[0]) / 86400


@dataclass(frozen=True)
class IncidentRow:
    """An incident as the report lists it."""

    id: int
    key: str
    user: str | None
    severity: str
    score: int
    status: str
    opened: int
    updated: int
    summary: str
    source_ips: list[str]
    rules: list[str]
    reasons: list[str] = field(default_factory=list)
    """Each rule's explanation, strongest first (the summary joins them)."""
    quiet_since: int | None = None
    """An open incident waiting for a decision without signals since then."""

    @property
    def headline(self) -> str:
        """The strongest reason, for tables."""
        return self.reasons[0] if self.reasons else self.summary

    @classmethod
    def of(cls, inc: Incident) -> IncidentRow:
        """From a stored incident."""
        return cls(
            inc.id,
            inc.key,
            inc.user,
            inc.severity.label,
            inc.score,
            inc.status,
            inc.opened,
            inc.updated,
            inc.summary(),
            list(inc.source_ips),
            [s.rule for s in inc.reasons()],
            [inc.counted(s) for s in inc.reasons()],
            inc.quiet_since,
        )


@dataclass(frozen=True)
class SenderRow:
    """One account's sending in the period against its own norm."""

    account: str
    messages: int
    recipients: int
    usual_messages: float | None
    """Median messages in windows as long as the period, over the weeks before it."""
    usual_recipients: float | None
    peak_hour: int | None
    peak_messages: int
    peak_norm: float
    """Median messages the account sent in that hour of the week (its profile)."""
    peak_mad: float
    above_norm: bool

    @property
    def ratio(self) -> float | None:
        """Messages against the usual amount (None without history)."""
        if self.usual_messages is None:
            return None
        return self.messages / max(self.usual_messages, 1.0)

    @property
    def recipient_ratio(self) -> float | None:
        """Recipients against the usual amount (None without history)."""
        if self.usual_recipients is None:
            return None
        return self.recipients / max(self.usual_recipients, 1.0)


@dataclass(frozen=True)
class HostRow:
    """A sending or login address outside the trusted networks."""

    account: str
    address: str
    kind: str
    """``send`` or ``login``."""
    via: list[str]
    count: int
    first: int
    last: int
    new: bool
    """Not known to the account's profile before the period."""
    agents: list[str] = field(default_factory=list)
    where: str = ""
    """The address's network owner and country (``[enrich]``), if known."""


@dataclass(frozen=True)
class HourCount:
    """A count in one hour."""

    ts: int
    count: int


@dataclass(frozen=True)
class OffHoursRow:
    """An account that sent outside office hours (or its learned hours)."""

    account: str
    messages: int
    hours: list[HourCount]
    """The busiest such hours."""
    usual: str


@dataclass(frozen=True)
class BounceRow:
    """Bounces and failed deliveries of one account's mail."""

    account: str
    dsn: int
    failed: int
    delayed: int
    recipients: int

    @property
    def total(self) -> int:
        """Failures (DSNs and failed deliveries)."""
        return self.dsn + self.failed

    @property
    def rate(self) -> float:
        """Failures per recipient sent in the period."""
        return self.total / max(self.recipients, 1)


@dataclass(frozen=True)
class GuessSource:
    """An address that failed to log in."""

    source: str
    failures: int
    accounts: list[tuple[str, int]]
    unknown_users: int
    protocols: list[str]
    blocked: int
    logged_in: list[str]
    """Accounts that then logged in successfully from the same address."""


@dataclass(frozen=True)
class TargetRow:
    """An account whose password was tried."""

    account: str
    failures: int
    sources: int
    top_sources: list[tuple[str, int]]
    compromised_from: list[str]
    """Guessing sources the account also logged in from."""


@dataclass(frozen=True)
class TrafficBin:
    """The server's traffic in one time bin."""

    ts: int
    seconds: int
    sent: int
    recipients: int
    inbound: int
    failed_logins: int
    bounces: int


@dataclass(frozen=True)
class Heatmap:
    """An account's sending by hour of week: usual (learned) and in the period."""

    account: str
    usual: list[int]
    period: list[int]
    active_hours: str


@dataclass(frozen=True)
class ServiceUse:
    """Kerio services an account used, and those its access policy could disallow."""

    account: str
    used: list[str]
    unused: list[str]
    raw: list[str]
    """Names as logged (``HTTP/WebMail``, ``Kerio Outlook Connector``...)."""
    suspect: list[str]
    """Services first used around one of the account's incidents (maybe the intruder's)."""


@dataclass(frozen=True)
class PolicyGroup:
    """Accounts with the same set of used services: one access policy fits them all."""

    used: list[str]
    disallow: list[str]
    accounts: list[str]


@dataclass(frozen=True)
class ExternalAccess:
    """An account reached from outside the trusted networks."""

    account: str
    service: str
    addresses: list[str]
    count: int
    last: int


@dataclass(frozen=True)
class EgressRule:
    """A firewall rule that lets only the mail server reach the mail ports."""

    mail_server: str | None
    ports: tuple[int, ...]
    nftables: str
    iptables: str
    why: str
    pfsense: str = ""
    """pfSense/OPNsense: the alias and the two LAN rules, as steps."""
    kerio_control: str = ""
    """Kerio Control: the service group and the two traffic rules, as steps."""


@dataclass(frozen=True)
class MachineRow:
    """A LAN machine that opened SMTP connections to the internet itself."""

    host: str
    incident_id: int
    severity: str
    status: str
    opened: int
    updated: int
    accounts: list[str]
    """The accounts that used the machine (mail.log Sender-Host, audit.log logins)."""
    ports: list[int]
    headline: str
    connections: int = 0
    """SMTP connections the firewall logged from the machine in the period."""
    blocked: int = 0
    """...of which it blocked."""


@dataclass(frozen=True)
class DirectSmtp:
    """The section "Machines that spoke SMTP directly" (from the firewall logs)."""

    machines: list[MachineRow]
    mail_servers: list[str]
    """The mail server's addresses, each with where it comes from."""
    firewall_seen: bool
    """Whether any firewall log was ever read (else the section cannot say anything)."""


@dataclass(frozen=True)
class Hardening:
    """Advice from what the logs show."""

    services: list[ServiceUse]
    groups: list[PolicyGroup]
    external: list[ExternalAccess]
    egress: EgressRule


@dataclass
class Totals:
    """Counts for the whole period."""

    sent: int = 0
    recipients: int = 0
    inbound: int = 0
    failed_logins: int = 0
    bounces: int = 0
    active_accounts: int = 0


@dataclass
class Report:
    """A digest of one period."""

    period: Period
    time_note: str
    off_hours_basis: str
    totals: Totals
    incidents: list[IncidentRow]
    top_by_messages: list[SenderRow]
    top_by_recipients: list[SenderRow]
    external_hosts: list[HostRow]
    off_hours: list[OffHoursRow]
    bounces: list[BounceRow]
    guess_sources: list[GuessSource]
    targets: list[TargetRow]
    traffic: list[TrafficBin]
    heatmaps: list[Heatmap]
    hardening: Hardening
    empty: bool = False
    direct_smtp: DirectSmtp | None = None
    response: ResponseSection | None = None
    """Only when a follower has used Kerio's API."""
    external_hosts_more: int = 0
    """Outside addresses beyond those listed (known places, the least used)."""


def jsonable(value: Any, iso: Any) -> Any:
    """Dataclasses to plain data; ``iso`` turns epoch fields into ISO 8601 text."""
    time_fields = {
        "since", "until", "opened", "updated", "first", "last", "ts", "peak_hour",
        "quiet_since", "known_since", "last_seen", "when", "polled",
    }  # fmt: skip
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            if f.metadata.get("json") is False:
                continue
            v = getattr(value, f.name)
            out[f.name] = (
                iso(v) if f.name in time_fields and isinstance(v, int) else jsonable(v, iso)
            )
        for prop in ("ratio", "recipient_ratio", "rate", "total", "days"):
            if hasattr(type(value), prop) and isinstance(getattr(type(value), prop), property):
                out[prop] = getattr(value, prop)
        return out
    if isinstance(value, list | tuple):
        return [jsonable(v, iso) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v, iso) for k, v in value.items()}
    return value
