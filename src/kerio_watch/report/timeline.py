"""One account's timeline, from hourly activity and incidents, beside what is normal for it.

Entries are hourly (the store keeps hourly counts, not messages): "12 messages sent via
SMTP from 203.0.113.66 as x@evil.test" at 02:00. Each is flagged against the account's
profile: an address, user agent, service or From address seen for the first time, an
address outside the trusted networks, mail outside office hours (or the account's own
hours).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

from kerio_watch.config import Config
from kerio_watch.enrich.geo import GeoIndex, open_geo, owner_label
from kerio_watch.enrich.network import Networks
from kerio_watch.report.build import MIN_MESSAGES_FOR_HOURS, QUIET_SHARE
from kerio_watch.report.machines import machine_incidents
from kerio_watch.report.model import IncidentRow, Period, split_key
from kerio_watch.report.periods import days_before
from kerio_watch.report.servertime import ServerTime, describe_active_hours
from kerio_watch.store.base import Store
from kerio_watch.values.profile import Profile

TOP_VALUES = 6


@dataclass(frozen=True)
class Known:
    """A value the profile knows, with how often and when it was used."""

    value: str
    count: int
    first: int
    last: int
    trusted: bool | None = None
    """For addresses: inside the trusted networks (None: not an IP address)."""
    where: str = ""
    """For outside addresses: their network owner and country (``[enrich]``)."""


@dataclass(frozen=True)
class Normal:
    """What is normal for the account (its learned profile)."""

    account: str
    known_since: int
    last_seen: int
    messages: int
    active_hours: str
    hosts: list[Known]
    login_ips: list[Known]
    services: list[Known]
    froms: list[Known]
    user_agents: list[Known]
    places: list[Known]
    """Countries and network owners (AS) it used from outside."""
    typical_hour: float
    """Median messages in the hours of the week the account usually sends."""
    peak_hour: int
    """The largest hourly count learned."""
    recipients_per_message: float
    bulk: bool
    accepted: dict[str, list[str]]
    how: list[int]


@dataclass
class Entry:
    """One line of the timeline (one hour, one kind, one key)."""

    ts: int
    kind: str
    """``login``, ``send``, ``recipients``, ``bounce``, ``fail`` or ``incident``."""
    count: int
    text: str
    details: dict[str, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    severity: str | None = None
    incident_id: int | None = None


@dataclass(frozen=True)
class HourVolume:
    """Messages the account sent in one hour and its norm for that hour of the week."""

    ts: int
    messages: int
    recipients: int
    norm: float
    mad: float


@dataclass
class AccountView:
    """Everything about one account in one period."""

    account: str
    period: Period
    time_note: str
    normal: Normal | None
    entries: list[Entry]
    incidents: list[IncidentRow]
    hourly: list[HourVolume]
    period_how: list[int]
    totals: dict[str, int]


def _known(
    table: dict[str, list[int]], networks: Networks | None = None, geo: GeoIndex | None = None
) -> list[Known]:
    top = sorted(table.items(), key=lambda kv: (-kv[1][0], kv[0]))[:TOP_VALUES]
    out = []
    for k, v in top:
        trusted = networks.is_trusted(k) if networks is not None else None
        where = geo.lookup(k).label() if geo is not None and trusted is False else ""
        out.append(Known(k, v[0], v[1], v[2], trusted, where))
    return out


def _places(profile: Profile) -> list[Known]:
    countries = _known(profile.countries)
    owners = [replace(k, value=owner_label(k.value)) for k in _known(profile.asns)]
    return countries + owners


def normal_of(profile: Profile, networks: Networks, geo: GeoIndex | None = None) -> Normal:
    """The profile, summarised for people."""
    busy = [
        statistics.median(weeks.values())
        for weeks in profile.volume.messages.values()
        if weeks and statistics.median(weeks.values()) > 0
    ]
    return Normal(
        profile.account,
        profile.first_ts,
        profile.last_ts,
        profile.messages,
        describe_active_hours(profile.how),
        _known(profile.hosts, networks, geo),
        _known(profile.login_ips, networks, geo),
        _known(profile.services),
        _known(profile.froms),
        _known(profile.user_agents),
        _places(profile),
        float(statistics.median(busy)) if busy else 0.0,
        profile.volume.peak(),
        profile.recipient_total / profile.messages if profile.messages else 0.0,
        profile.bulk,
        {k: [str(v) for v in values] for k, values in profile.accepted.items()},
        list(profile.how),
    )


def _first_seen(table: dict[str, list[int]] | None, value: str, hour: int) -> bool:
    """Not in the profile, or first learned within this hour."""
    if table is None:
        return False
    entry = table.get(value)
    return entry is None or hour <= entry[1] < hour + 3600


@dataclass
class _Tally:
    """What :meth:`TimelineBuilder.build` gathers from the activity rows."""

    entries: list[Entry] = field(default_factory=list)
    totals: Counter[str] = field(default_factory=Counter)
    sent: Counter[int] = field(default_factory=Counter)
    rcpts: Counter[int] = field(default_factory=Counter)
    domains: defaultdict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))


def _recipient_entries(rcpts: Counter[int], domains: dict[int, Counter[str]]) -> list[Entry]:
    """One entry per hour: how many recipients, in which domains."""
    entries = []
    for hour, n in rcpts.items():
        top = ", ".join(f"{d} {c}" for d, c in domains[hour].most_common(4))
        more = len(domains[hour]) - 4
        nd = len(domains[hour])
        text = f"{n} recipient{'s' if n != 1 else ''} in {nd} domain{'s' if nd != 1 else ''}: {top}"
        if more > 0:
            text += f" (+{more} more)"
        entries.append(Entry(hour, "recipients", n, text, {"domains": top}))
    return entries


def _more_reasons(n: int) -> str:
    """What an incident's headline leaves out.

    >>> _more_reasons(1), _more_reasons(3), _more_reasons(0)
    (' (+1 more reason)', ' (+3 more reasons)', '')
    """
    return f" (+{n} more reason{'s' if n != 1 else ''})" if n > 0 else ""


def _incident_entry(inc: IncidentRow) -> Entry:
    """The timeline entry of an incident's opening."""
    return Entry(
        inc.opened,
        "incident",
        1,
        f"incident #{inc.id} opened ({inc.severity}, score {inc.score}, "
        f"{inc.status}): {inc.headline}{_more_reasons(len(inc.reasons) - 1)}",
        {"status": inc.status},
        severity=inc.severity,
        incident_id=inc.id,
    )


class TimelineBuilder:
    """Builds an :class:`AccountView`."""

    def __init__(self, store: Store, config: Config, st: ServerTime) -> None:
        self.store = store
        self.config = config
        self.st = st
        self.networks = Networks(config.site.trusted_networks)
        self.geo = open_geo(config.enrich)

    def default_period(self, account: str, days: int = 7) -> Period:
        """The last ``days`` before the account's newest activity (or the store's)."""
        rows = self.store.activity(account=account)
        last = rows[-1][0] if rows else None
        machines = machine_incidents(self.store, account, 0, 2**62)
        if machines:  # a machine the account uses sent mail itself after its last activity
            newest = max(i.updated for i in machines)
            last = max(last or 0, newest - newest % 3600)
        if last is None:
            span = self.store.activity_span()
            last = span[1] if span else 0
        return days_before(last + 3600, days, self.st)

    def _off_hours(self, profile: Profile | None, hour: int) -> bool:
        inside = self.st.in_office_hours(hour)
        if inside is not None:
            return not inside
        if profile is None or sum(profile.how) < MIN_MESSAGES_FOR_HOURS:
            return False
        return profile.activity_share(self.st.how(hour)) < QUIET_SHARE

    def build(self, account: str, period: Period) -> AccountView:
        """The account's timeline over the period."""
        account = account.strip().lower()
        profile = self.store.load_profile(account)
        rows = self.store.activity(period.since, period.until, account=account)
        tally = _Tally()
        for hour, _a, kind, key, n in rows:
            if period.since <= hour < period.until:
                self._count(tally, profile, account, (hour, kind, key, n))
        tally.entries += _recipient_entries(tally.rcpts, tally.domains)
        incidents = self._incidents(account, period)
        tally.entries += [_incident_entry(inc) for inc in incidents]
        order = {"incident": 0, "login": 1, "fail": 2, "send": 3, "recipients": 4, "bounce": 5}
        tally.entries.sort(key=lambda e: (e.ts, order.get(e.kind, 9), -e.count))
        period_how = [0] * 168
        for hour, n in tally.sent.items():
            period_how[self.st.how(hour)] += n
        return AccountView(
            account,
            period,
            self.st.note,
            normal_of(profile, self.networks, self.geo) if profile is not None else None,
            tally.entries,
            incidents,
            self._hourly(profile, period, tally),
            period_how,
            dict(tally.totals),
        )

    def _count(
        self, tally: _Tally, profile: Profile | None, account: str, row: tuple[int, str, str, int]
    ) -> None:
        """Count one hourly activity row, and add its entry (recipients are summed)."""
        hour, kind, key, n = row
        tally.totals[kind] += n
        if kind == "login":
            tally.entries.append(self._login(profile, hour, key, n))
        elif kind == "send":
            tally.sent[hour] += n
            tally.entries.append(self._send(profile, account, hour, key, n))
        elif kind == "rcpt":
            tally.rcpts[hour] += n
            tally.domains[hour][key] += n
        elif kind == "bounce":
            label = {"dsn": "bounce (DSN) received", "failed": "delivery failed"}.get(
                key, "delivery delayed"
            )
            tally.entries.append(Entry(hour, "bounce", n, f"{n} x {label}", {"result": key}))
        elif kind == "fail":
            tally.entries.append(self._fail(profile, hour, key, n))

    def _incidents(self, account: str, period: Period) -> list[IncidentRow]:
        """The account's incidents in the period, and those of the machines it uses."""
        incidents = [
            IncidentRow.of(i)
            for i in self.store.incidents(
                key=account, since=period.since, until=period.until, limit=100
            )
        ]
        incidents += [  # the machines the account uses that sent mail themselves
            IncidentRow.of(i)
            for i in machine_incidents(self.store, account, period.since, period.until)
        ]
        return incidents

    def _hourly(self, profile: Profile | None, period: Period, tally: _Tally) -> list[HourVolume]:
        """Messages and recipients per hour beside the profile's norm for that hour."""
        weeks = profile.weeks_known(period.until) if profile is not None else 0
        hourly = []
        for hour in sorted(set(tally.sent) | set(tally.rcpts)):
            med, mad = (
                profile.volume.norm(self.st.how(hour), weeks) if profile is not None else (0, 0)
            )
            hourly.append(HourVolume(hour, tally.sent[hour], tally.rcpts[hour], med, mad))
        return hourly

    def _login(self, profile: Profile | None, hour: int, key: str, n: int) -> Entry:
        protocol, ip, agent = split_key(key)
        flags = []
        if self.networks.is_external(ip):
            flags.append("outside LAN")
        if profile is not None:
            if _first_seen(profile.login_ips, ip, hour) and not (
                ip in profile.hosts and profile.hosts[ip][1] < hour
            ):
                flags.append("new address")
            if agent and _first_seen(profile.user_agents, agent[:200], hour):
                flags.append("new user agent")
            if _first_seen(profile.services, protocol, hour):
                flags.append("new service")
        text = f"{n} x login via {protocol} from {ip}"
        if agent:
            text += f" ({agent})"
        return Entry(
            hour, "login", n, text, {"protocol": protocol, "ip": ip, "agent": agent}, flags
        )

    def _send(self, profile: Profile | None, account: str, hour: int, key: str, n: int) -> Entry:
        service, host, sender = split_key(key)
        flags = []
        if host and self.networks.is_external(host):
            flags.append("outside LAN")
        if self._off_hours(profile, hour):
            flags.append("off hours")
        if profile is not None:
            if (
                host
                and _first_seen(profile.hosts, host, hour)
                and not (host in profile.login_ips and profile.login_ips[host][1] < hour)
            ):
                flags.append("new address")
            if sender and sender != account and _first_seen(profile.froms, sender, hour):
                flags.append("new From")
            if _first_seen(profile.services, service, hour):
                flags.append("new service")
        text = f"{n} message{'s' if n != 1 else ''} sent via {service or 'unknown'}"
        if host:
            text += f" from {host}"
        if sender and sender != account:
            text += f" as {sender}"
        details = {"service": service, "host": host, "from": sender}
        return Entry(hour, "send", n, text, details, flags)

    def _fail(self, profile: Profile | None, hour: int, key: str, n: int) -> Entry:
        protocol, source, reason = split_key(key)
        flags = []
        if n >= 5:
            flags.append("password guessing")
        if profile is not None and (source in profile.login_ips or source in profile.hosts):
            flags.append("known address")
        text = f"{n} x failed login via {protocol} from {source} ({reason.replace('_', ' ')})"
        details = {"protocol": protocol, "source": source, "reason": reason}
        return Entry(hour, "fail", n, text, details, flags)


def account_view(
    store: Store, config: Config, st: ServerTime, account: str, period: Period | None = None
) -> AccountView:
    """One account's timeline and norm (default period: its last 7 days of activity)."""
    builder = TimelineBuilder(store, config, st)
    return builder.build(account, period or builder.default_period(account.strip().lower()))
