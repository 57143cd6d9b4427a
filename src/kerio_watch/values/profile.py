"""What is normal for one account: its learned profile, and the site's.

A profile grows with what the account does differently, not with how much it does:
counters keyed by host, service, From address, correspondent and hour-of-week bucket.
Volume is kept per hour-of-week and per week (the last :data:`WEEKS` weeks), so the norm
for "Monday 02:00" is the median of what this account sent on recent Mondays at 02:00,
zeros included, with the median absolute deviation as its spread (robust to the odd
busy hour, unlike a mean).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any

from kerio_watch.values.addresses import MAX_ADDRESSES, Book, book_from_saved, new_book
from kerio_watch.values.hourly import WEEKS, HourlyVolume
from kerio_watch.values.tables import bump, bump_day, days_of, trim

__all__ = ["WEEKS", "HourlyVolume", "Profile"]

MAX_DOMAINS = MAX_ADDRESSES
"""Recipient domains remembered per account (least recently seen are forgotten first)."""

WEEK = 7 * 24 * 3600

IP_DAYS = 14
"""Days of distinct-login-address counts kept per account."""

DECAY = 0.95
"""Daily decay of the recent-recipient counters (half-life about two weeks)."""


@dataclass(slots=True)
class Profile:
    """The learned behaviour of one account.

    Tables of ``key -> [count, first_ts, last_ts]``: ``hosts`` (sending client IPs,
    webmail sends attributed to the session IP), ``networks`` (their /24),
    ``login_ips``, ``user_agents``, ``services`` (mail.log ``Service:`` and audit
    protocols), ``froms`` (From addresses). ``correspondents`` (who wrote to the
    account) and ``recipients`` (whom it wrote to) are address books (address ->
    last seen, kept by key: :mod:`kerio_watch.values.addresses`);
    ``rcpt_domains`` counts recipient domains. ``how`` counts messages per
    hour-of-week (0 = Monday 00:00 local). ``mail_services`` counts the ``Service:`` of
    sent messages only. ``rcpt_recent``/``novel_recent`` are outside recipients and the
    new ones among them, decayed daily (the recent novelty rate). ``ip_days`` holds the
    number of distinct outside login addresses per day, for the last
    :data:`IP_DAYS` days with any.
    """

    account: str
    first_ts: int = 0
    last_ts: int = 0
    messages: int = 0
    recipient_total: int = 0
    new_recipient_total: int = 0
    hosts: dict[str, list[int]] = field(default_factory=dict)
    networks: dict[str, list[int]] = field(default_factory=dict)
    login_ips: dict[str, list[int]] = field(default_factory=dict)
    user_agents: dict[str, list[int]] = field(default_factory=dict)
    services: dict[str, list[int]] = field(default_factory=dict)
    froms: dict[str, list[int]] = field(default_factory=dict)
    correspondents: Book = field(default_factory=new_book)
    recipients: Book = field(default_factory=new_book)
    rcpt_domains: dict[str, int] = field(default_factory=dict)
    how: list[int] = field(default_factory=lambda: [0] * 168)
    volume: HourlyVolume = field(default_factory=HourlyVolume)
    delivered: int = 0
    failed: int = 0
    delayed: int = 0
    bounces: int = 0
    bulk: bool = False
    mail_services: dict[str, list[int]] = field(default_factory=dict)
    rcpt_recent: float = 0.0
    novel_recent: float = 0.0
    recent_day: int = 0
    ip_days: list[int] = field(default_factory=list)
    accepted: dict[str, list[Any]] = field(default_factory=dict)
    """Facts an administrator marked benign (``ack --benign``): never alert on them."""
    asns: dict[str, list[int]] = field(default_factory=dict)
    """Networks' owners it used from outside (``AS3320``, or ``AS:<name>``), with the
    number of distinct days of use as a fourth value (:meth:`place_days`)."""
    countries: dict[str, list[int]] = field(default_factory=dict)
    """Countries it used from outside (ISO codes)."""
    clients: dict[str, list[int]] = field(default_factory=dict)
    """Mail programs it sends with, by the shape of their Message-IDs."""
    hod: list[int] = field(default_factory=list, repr=False, compare=False)
    """Messages per hour of the day (derived from ``how``; not stored)."""
    dow: list[int] = field(default_factory=list, repr=False, compare=False)
    """Messages per day of the week (derived from ``how``; not stored)."""

    def __post_init__(self) -> None:
        how = self.how
        self.hod = [sum(how[d * 24 + h] for d in range(7)) for h in range(24)]
        self.dow = [sum(how[d * 24 : d * 24 + 24]) for d in range(7)]

    # -- questions detectors ask ------------------------------------------------------
    def days_known(self, now: int) -> float:
        """How long this account has been observed, in days."""
        return 0.0 if not self.first_ts else max(0.0, (now - self.first_ts) / 86400)

    def weeks_known(self, now: int) -> int:
        """Whole weeks of history (at least 1 once anything was seen)."""
        return max(1, int(self.days_known(now) // 7)) if self.first_ts else 0

    def knows_host(self, host: str) -> bool:
        """The account has sent or logged in from this address before."""
        return host in self.hosts or host in self.login_ips

    def knows_network(self, network: str) -> bool:
        """The account has used an address in this /24 before."""
        return network in self.networks

    def range_use(self, prefix: str | None, ts: int, usual: int = 3) -> tuple[bool, int]:
        """Whether the account rotates through the provider range ``prefix`` (the /16 of
        a /24, see :func:`kerio_watch.enrich.network.provider_range`): its phone carrier
        or dynamic line handed it ``usual`` /24s of it or more, first since before today,
        so a new /24 there is the same place; and how often it used the range."""
        if not prefix:
            return False, 0
        uses = distinct = 0
        first = ts
        for network, entry in self.networks.items():
            if network.startswith(prefix):
                uses += entry[0]
                distinct += 1
                first = min(first, entry[1])
        return distinct >= usual and uses >= usual and ts - first >= 86400, uses

    def place_days(self, as_key: str) -> int:
        """On how many distinct days (UTC) the account used this network owner from
        outside: a place of its own recurs over days, an intruder's burst does not."""
        entry = self.asns.get(as_key)
        return days_of(entry) if entry is not None else 0

    def knows_address(self, address: str) -> bool:
        """A correspondent or an earlier recipient."""
        return address in self.correspondents or address in self.recipients

    def usual(self, table: dict[str, list[int]], key: str, share: float = 0.02) -> bool:
        """Whether ``key`` makes up at least ``share`` of a table's counts."""
        entry = table.get(key)
        if entry is None:
            return False
        total = sum(e[0] for e in table.values())
        return total == 0 or entry[0] >= max(1.0, share * total)

    def top(self, table: dict[str, list[int]], n: int = 3) -> list[str]:
        """The ``n`` most used keys of a table."""
        return [k for k, _ in sorted(table.items(), key=lambda kv: -kv[1][0])[:n]]

    def activity_share(self, how: int, spread: int = 1) -> float:
        """Share of the account's messages sent within ``spread`` hours of this hour."""
        total = sum(self.how)
        if not total:
            return 0.0
        near = sum(self.how[(how + d) % 168] for d in range(-spread, spread + 1))
        return near / total

    def novelty_rate(self) -> float:
        """Share of recipients that were new to the account, over its history."""
        if self.recipient_total == 0:
            return 0.0
        return self.new_recipient_total / self.recipient_total

    def recent_novelty(self) -> float:
        """Share of outside recipients that were new, over the last weeks (decayed)."""
        return self.novel_recent / self.rcpt_recent if self.rcpt_recent >= 1 else 0.0

    def failure_rate(self) -> float:
        """Share of delivery attempts of this account's mail that failed or were delayed."""
        total = self.delivered + self.failed + self.delayed
        return (self.failed + self.delayed) / total if total else 0.0

    def is_accepted(self, fact: str, value: Any) -> bool:
        """Whether an administrator accepted this value (e.g. a host) for the account."""
        return value in self.accepted.get(fact, ())

    def accept(self, fact: str, values: list[Any]) -> None:
        """Record values an administrator accepted."""
        known = self.accepted.setdefault(fact, [])
        for v in values:
            if v not in known:
                known.append(v)

    # -- learning (called by the learner only) ------------------------------------------
    def touch(self, ts: int) -> None:
        """Note activity at ``ts``."""
        if not self.first_ts or ts < self.first_ts:
            self.first_ts = ts
        self.last_ts = max(self.last_ts, ts)

    def learn_host(self, host: str, network: str, ts: int) -> None:
        """A sending host."""
        bump(self.hosts, host, ts)
        bump(self.networks, network, ts)

    def learn_login(self, ip: str, network: str, protocol: str, agent: str | None, ts: int) -> None:
        """A successful login."""
        bump(self.login_ips, ip, ts)
        bump(self.networks, network, ts)
        bump(self.services, protocol, ts)
        if agent:
            bump(self.user_agents, agent[:200], ts)

    def learn_send(
        self,
        service: str,
        sender: str,
        recipients: tuple[str, ...],
        how: int,
        ts: int,
        new_message: bool,
        local: Container[str] = (),
        aliases: Container[str] = (),
    ) -> tuple[int, list[str]]:
        """An outbound message (or more recipients of one).

        Returns the number of outside recipients that were new to the account and the
        domains of all outside recipients (outside = a domain in neither ``local`` nor
        ``aliases``), for the novelty counters.
        """
        if not self.first_ts or ts < self.first_ts:
            self.first_ts = ts
        self.last_ts = max(self.last_ts, ts)
        if new_message:
            self.messages += 1
            self.how[how] += 1
            self.hod[how % 24] += 1
            self.dow[how // 24] += 1
            bump(self.services, service, ts)
            if sender:
                bump(self.froms, sender, ts)
        known, correspondents, domains = self.recipients, self.correspondents, self.rcpt_domains
        new = new_outside = 0
        outside: list[str] = []
        for r in recipients:
            fresh = not known.see(r, ts) and r not in correspondents
            if fresh:
                new += 1
            domain = r.rpartition("@")[2]
            domains[domain] = domains.get(domain, 0) + 1
            if domain not in local and domain not in aliases:
                outside.append(domain)
                if fresh:
                    new_outside += 1
        self.recipient_total += len(recipients)
        self.new_recipient_total += new
        if len(domains) > MAX_DOMAINS:
            trim(domains, MAX_DOMAINS)
        return new_outside, outside

    def learn_novelty(self, outside: int, new: int, day: int) -> None:
        """Outside recipients of one submission, ``new`` of them new to the account."""
        if day != self.recent_day:
            if self.recent_day:
                factor = DECAY ** max(0, min(60, day - self.recent_day))
                self.rcpt_recent *= factor
                self.novel_recent *= factor
            self.recent_day = day
        self.rcpt_recent += outside
        self.novel_recent += new

    def learn_place(self, as_key: str, country: str, ts: int) -> None:
        """An outside address of this AS and country was used (empty: unknown)."""
        if as_key:
            bump_day(self.asns, as_key, ts)
        if country:
            bump(self.countries, country, ts)

    def learn_client(self, client: str, ts: int) -> None:
        """A message was sent with this kind of mail program."""
        bump(self.clients, client, ts)

    def learn_mail_service(self, service: str, ts: int) -> None:
        """The ``Service:`` of a sent message."""
        bump(self.mail_services, service, ts)

    def learn_ip_day(self, count: int) -> None:
        """Distinct outside login addresses of one finished day."""
        self.ip_days.append(count)
        if len(self.ip_days) > IP_DAYS:
            del self.ip_days[: len(self.ip_days) - IP_DAYS]

    def forget_since(self, ts: int) -> list[str]:
        """Unlearn hosts, networks, services, From addresses and user agents first seen
        at or after ``ts`` (what an account first did during an incident is not normal).

        Returns the forgotten values (for tests and logs).
        """
        forgotten: list[str] = []
        for table in (
            self.hosts,
            self.networks,
            self.login_ips,
            self.user_agents,
            self.services,
            self.mail_services,
            self.froms,
            self.asns,
            self.countries,
            self.clients,
        ):
            for key in [k for k, e in table.items() if e[1] >= ts]:
                del table[key]
                forgotten.append(key)
        return forgotten

    def learn_correspondent(self, address: str, ts: int) -> None:
        """Someone wrote to this account."""
        self.correspondents.see(address, ts)

    # -- storage ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "account": self.account,
            "first_ts": self.first_ts,
            "last_ts": self.last_ts,
            "messages": self.messages,
            "recipient_total": self.recipient_total,
            "new_recipient_total": self.new_recipient_total,
            "hosts": self.hosts,
            "networks": self.networks,
            "login_ips": self.login_ips,
            "user_agents": self.user_agents,
            "services": self.services,
            "froms": self.froms,
            "correspondents": self.correspondents.dump(),
            "recipients": self.recipients.dump(),
            "rcpt_domains": self.rcpt_domains,
            "how": self.how,
            "volume": {
                "messages": {
                    str(k): {str(w): c for w, c in v.items()}
                    for k, v in self.volume.messages.items()
                },
                "recipients": {
                    str(k): {str(w): c for w, c in v.items()}
                    for k, v in self.volume.recipients.items()
                },
            },
            "delivered": self.delivered,
            "failed": self.failed,
            "delayed": self.delayed,
            "bounces": self.bounces,
            "bulk": self.bulk,
            "mail_services": self.mail_services,
            "rcpt_recent": self.rcpt_recent,
            "novel_recent": self.novel_recent,
            "recent_day": self.recent_day,
            "ip_days": self.ip_days,
            "accepted": self.accepted,
            "asns": self.asns,
            "countries": self.countries,
            "clients": self.clients,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Profile:
        """Inverse of :meth:`to_dict`."""
        volume = data.get("volume", {})
        hv = HourlyVolume(
            {
                int(k): {int(w): c for w, c in v.items()}
                for k, v in volume.get("messages", {}).items()
            },
            {
                int(k): {int(w): c for w, c in v.items()}
                for k, v in volume.get("recipients", {}).items()
            },
        )
        books = ("correspondents", "recipients")
        plain = {k: v for k, v in data.items() if k not in ("volume", "hod", "dow", *books)}
        return cls(
            **plain,
            volume=hv,
            correspondents=book_from_saved(data.get("correspondents")),
            recipients=book_from_saved(data.get("recipients")),
        )
