"""What is normal for the whole site: the warm-up norm for accounts with little history.

A new account is neither a blind spot nor a noise source: until it has its own history,
detectors judge it against what accounts on this site usually do. The site profile
aggregates, from every account the learner learns from (never from accounts under an
incident):

- ``hour_counts``: messages per active account-hour, per hour of the day (the last
  :data:`HOUR_SAMPLES` non-bulk account-hours each), for a warm-up volume norm;
- ``how``: messages per hour-of-week, site-wide (is anybody active at this hour?);
- ``services`` and ``protocols``: mail ``Service:`` values and login protocols in use;
- ``clients``: the mail programs (Message-ID shapes) the site's accounts write with;
- ``networks``: client /24s (sends and successful logins) and the accounts using them;
- ``domains``: recipient domains written to, and a decayed share of new recipients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HOUR_SAMPLES = 400
"""Account-hours remembered per hour of the day."""

MAX_DOMAINS = 50_000
MAX_CLIENTS = 2_000
CLIENT_HISTORY = 100
"""Messages the ``clients`` table must have counted before it can say that nobody on
the site writes with a program (a table that began with an upgrade knows nothing yet)."""
CLIENT_USES = 3
"""Messages with a program from which somebody on the site writes with it."""
COUNTRY_ACCOUNTS = 2
"""Accounts that must have used a country before it is the site's: the logins of one
account (an intruder's among them, below any alert and so learned) teach the site none."""
MAX_NETWORKS = 20_000
NETWORK_ACCOUNTS = 5
"""Accounts remembered per network (enough to say "shared by several accounts")."""

DECAY = 0.95
"""Daily decay of the recent-recipient counters (half-life about two weeks)."""


@dataclass(slots=True)
class SiteProfile:
    """Site-wide norms (see the module docstring)."""

    hour_counts: list[list[int]] = field(default_factory=lambda: [[] for _ in range(24)])
    how: list[int] = field(default_factory=lambda: [0] * 168)
    messages: int = 0
    services: dict[str, int] = field(default_factory=dict)
    protocols: dict[str, int] = field(default_factory=dict)
    networks: dict[str, list[str]] = field(default_factory=dict)
    domains: dict[str, int] = field(default_factory=dict)
    rcpt_recent: float = 0.0
    novel_recent: float = 0.0
    recent_day: int = 0
    first_ts: int = 0
    """The first outbound message seen: when kerio-watch began watching this site."""
    clients: dict[str, int] = field(default_factory=dict)
    client_messages: int = 0
    """Messages counted in ``clients`` (since the table began)."""
    countries: dict[str, int] = field(default_factory=dict)
    """Uses of outside addresses per country (since the table began)."""
    country_accounts: dict[str, list[str]] = field(default_factory=dict)
    """The first accounts (up to :data:`COUNTRY_ACCOUNTS`) that used each country."""
    _p95: dict[int, int] = field(default_factory=dict)

    # -- questions ----------------------------------------------------------------------
    def busy_hour(self, hour: int) -> int:
        """The 95th percentile of messages per active account-hour at this hour of day.

        Zero until a few account-hours were seen; cached until the next sample arrives.
        """
        cached = self._p95.get(hour)
        if cached is not None:
            return cached
        samples = sorted(self.hour_counts[hour % 24])
        value = samples[min(len(samples) - 1, int(len(samples) * 0.95))] if samples else 0
        self._p95[hour] = value
        return value

    def activity_share(self, how: int, spread: int = 1) -> float:
        """Share of the site's messages sent within ``spread`` hours of this hour-of-week."""
        if not self.messages:
            return 0.0
        near = sum(self.how[(how + d) % 168] for d in range(-spread, spread + 1))
        return near / self.messages

    def network_accounts(self, network: str) -> list[str]:
        """Accounts seen using this /24 (up to :data:`NETWORK_ACCOUNTS`)."""
        return self.networks.get(network, [])

    def client_unknown(self, client: str) -> bool:
        """Whether nobody on the site writes with this mail program (once the site's
        table has seen enough messages to tell).

        >>> site = SiteProfile()
        >>> for _ in range(CLIENT_HISTORY): site.learn_client("Outlook")
        >>> site.client_unknown("Outlook"), site.client_unknown("shape h10.h5")
        (False, True)
        """
        if self.client_messages < CLIENT_HISTORY:
            return False
        return self.clients.get(client, 0) < CLIENT_USES

    def country_unknown(self, country: str) -> bool:
        """Whether fewer than :data:`COUNTRY_ACCOUNTS` accounts on the site have used an
        outside address of this country (once the site's table has seen enough outside
        addresses to tell; "": never).

        >>> site = SiteProfile()
        >>> for i in range(CLIENT_HISTORY): site.learn_country("DE", f"u{i % 5}")
        >>> site.learn_country("ES", "u1"); site.learn_country("ES", "u1")
        >>> site.country_unknown("DE"), site.country_unknown("ES"), site.country_unknown("")
        (False, True, False)
        >>> site.learn_country("ES", "u2"); site.country_unknown("ES")
        False
        """
        if not country or sum(self.countries.values()) < CLIENT_HISTORY:
            return False
        return len(self.country_accounts.get(country, ())) < COUNTRY_ACCOUNTS

    def novelty_rate(self) -> float:
        """Recent share of outside recipients that were new to their sender."""
        return self.novel_recent / self.rcpt_recent if self.rcpt_recent >= 1 else 0.0

    # -- learning (the learner only) ----------------------------------------------------
    def learn_hour(self, hour: int, messages: int) -> None:
        """One finished account-hour of a non-bulk account."""
        samples = self.hour_counts[hour % 24]
        samples.append(messages)
        if len(samples) > HOUR_SAMPLES:
            del samples[: len(samples) - HOUR_SAMPLES]
        self._p95.pop(hour % 24, None)

    def learn_send(self, service: str, how: int, ts: int, client: str | None = None) -> None:
        """One outbound message (at ``ts``; written with ``client``, if known)."""
        if not self.first_ts or ts < self.first_ts:
            self.first_ts = ts
        self.messages += 1
        self.how[how] += 1
        self.services[service] = self.services.get(service, 0) + 1
        if client:
            self.learn_client(client)

    def learn_client(self, client: str) -> None:
        """One outbound message written with this mail program (its Message-ID shape)."""
        self.client_messages += 1
        count = self.clients.get(client)
        if count is not None:
            self.clients[client] = count + 1
        elif len(self.clients) < MAX_CLIENTS:
            self.clients[client] = 1

    def learn_network(self, network: str, account: str) -> None:
        """An account used a client address in this network."""
        accounts = self.networks.get(network)
        if accounts is None:
            if len(self.networks) >= MAX_NETWORKS:
                return
            self.networks[network] = [account]
        elif account not in accounts and len(accounts) < NETWORK_ACCOUNTS:
            accounts.append(account)

    def learn_country(self, country: str, account: str) -> None:
        """An account used an outside address of this country ("": unknown, not counted)."""
        if country:
            self.countries[country] = self.countries.get(country, 0) + 1
            accounts = self.country_accounts.setdefault(country, [])
            if account not in accounts and len(accounts) < COUNTRY_ACCOUNTS:
                accounts.append(account)

    def forget_network(self, network: str, account: str) -> None:
        """Undo :meth:`learn_network` (the account was hijacked when it used it)."""
        accounts = self.networks.get(network)
        if accounts is not None and account in accounts:
            accounts.remove(account)
            if not accounts:
                del self.networks[network]

    def learn_protocol(self, protocol: str) -> None:
        """A successful login."""
        self.protocols[protocol] = self.protocols.get(protocol, 0) + 1

    def learn_recipients(self, domains: list[str], new: int, day: int) -> None:
        """Outside recipients of one message (their domains), ``new`` of them new to
        their sender."""
        if day != self.recent_day:
            factor = DECAY ** max(0, min(60, day - self.recent_day)) if self.recent_day else 1.0
            self.rcpt_recent *= factor
            self.novel_recent *= factor
            self.recent_day = day
        self.rcpt_recent += len(domains)
        self.novel_recent += new
        table = self.domains
        for domain in domains:
            count = table.get(domain)
            if count is not None:
                table[domain] = count + 1
            elif len(table) < MAX_DOMAINS:
                table[domain] = 1

    # -- storage ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "hour_counts": self.hour_counts,
            "how": self.how,
            "messages": self.messages,
            "services": self.services,
            "protocols": self.protocols,
            "networks": self.networks,
            "domains": self.domains,
            "rcpt_recent": self.rcpt_recent,
            "novel_recent": self.novel_recent,
            "recent_day": self.recent_day,
            "first_ts": self.first_ts,
            "clients": self.clients,
            "client_messages": self.client_messages,
            "countries": self.countries,
            "country_accounts": self.country_accounts,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SiteProfile:
        """Inverse of :meth:`to_dict` (unknown keys are ignored, missing ones default)."""
        site = cls()
        counts = data.get("hour_counts")
        if isinstance(counts, list) and len(counts) == 24:
            site.hour_counts = [[int(c) for c in hour] for hour in counts]
        how = data.get("how")
        if isinstance(how, list) and len(how) == 168:
            site.how = [int(c) for c in how]
        site.messages = int(data.get("messages", 0))
        site.services = {str(k): int(v) for k, v in data.get("services", {}).items()}
        site.protocols = {str(k): int(v) for k, v in data.get("protocols", {}).items()}
        site.networks = {str(k): list(v) for k, v in data.get("networks", {}).items()}
        site.domains = {str(k): int(v) for k, v in data.get("domains", {}).items()}
        site.rcpt_recent = float(data.get("rcpt_recent", 0.0))
        site.novel_recent = float(data.get("novel_recent", 0.0))
        site.recent_day = int(data.get("recent_day", 0))
        site.first_ts = int(data.get("first_ts", 0))
        site.clients = {str(k): int(v) for k, v in data.get("clients", {}).items()}
        site.client_messages = int(data.get("client_messages", 0))
        site.countries = {str(k): int(v) for k, v in data.get("countries", {}).items()}
        # A table saved before the accounts were kept: its countries stay the site's.
        known = {c: [""] * COUNTRY_ACCOUNTS for c in site.countries}
        accounts = data.get("country_accounts", known)
        site.country_accounts = {str(k): [str(a) for a in v] for k, v in accounts.items()}
        return site
