"""The simulated organisation: its accounts, their habits, their correspondents and networks."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

from kerio_watch.simulate.countries import NetPlan, net_plan
from kerio_watch.simulate.data import (
    ALIAS_LOCALS,
    FIRST_NAMES,
    FREEMAIL,
    LAST_NAMES,
    PARTNER_KINDS,
    PARTNER_STEMS,
    PARTNER_TLDS,
    WEBMAIL_AGENTS,
    ascii_name,
)
from kerio_watch.simulate.ips import IpRegistry

LOCALHOST = "127.0.0.1"
LAN_PREFIX = "192.168.10."
VPN_PREFIX = "10.8.0."
TRUSTED_NETWORKS: tuple[str, ...] = ("192.168.10.0/24", "10.8.0.0/24")
ADMIN_IP = "192.168.10.5"
NEWSLETTER_IP = "192.168.10.240"
ERP_IP = "192.168.10.250"
HELPDESK_IPS: tuple[str, ...] = ("192.168.10.31", "192.168.10.32")

#: A mail peer: (address, display name, host that mail *to* it is delivered to, host that
#: mail *from* it comes from, whether that host uses TLS ("yes"/"no"), domain). Local
#: mailboxes are delivered to 127.0.0.1 and have no sending host.
Peer = tuple[str, str, str, str, str, str]


def local_peer(address: str, name: str = "") -> Peer:
    return (address, name, LOCALHOST, "", "", address.rpartition("@")[2])


def ssl_of(host: str) -> str:
    """Whether a remote server uses TLS: fixed per sending host, mostly yes."""
    return "no" if sum(map(ord, host)) % 9 == 0 else "yes"


class Domains:
    """Every remote domain's inbound MX and outbound sending hosts, created on first use."""

    def __init__(self, ips: IpRegistry, local: tuple[str, ...]) -> None:
        self.ips = ips
        self.local = set(local)
        self.mx: dict[str, str] = {}
        self.senders: dict[str, tuple[str, ...]] = {}

    def add(self, domain: str, senders: int = 2) -> None:
        if domain in self.mx or domain in self.local:
            return
        self.mx[domain] = self.ips.public()
        self.senders[domain] = tuple(self.ips.public() for _ in range(senders))

    def delivery_host(self, address: str) -> str:
        domain = address.rpartition("@")[2]
        if domain in self.local:
            return LOCALHOST
        if domain not in self.mx:
            self.add(domain)
        return self.mx[domain]

    def peer(self, address: str, name: str) -> Peer:
        domain = address.rpartition("@")[2]
        if domain in self.local:
            return local_peer(address, name)
        self.add(domain)
        sender = self.ips.rng.choice(self.senders[domain])
        return (address, name, self.mx[domain], sender, ssl_of(sender), domain)


@dataclass(eq=False)
class Persona:
    """One mailbox account and how its owner works."""

    address: str
    name: str
    client: str  # "outlook" | "thunderbird" | "webmail"
    lan_ip: str
    start: int  # working day, seconds after local midnight
    end: int
    out_mean: float  # outbound messages per working day
    in_mean: float  # inbound messages per working day
    p_internal: float  # share of recipients that are colleagues
    agent: str  # browser user agent (webmail)
    reader: str = "IMAP"  # audit protocol of the mail reader: IMAP, POP3 or HTTP/KOFF
    vpn_ip: str | None = None
    home_days: frozenset[int] = frozenset()
    home_net: str | None = None  # the home line's provider prefix (DSL/cable)
    home_ip: tuple[int, str] = (-99, "")  # (day it was leased, address): it changes
    carrier: str | None = None  # the phone's mobile carrier prefix (CGNAT)
    off_days: frozenset[int] = frozenset()  # vacation
    evening_prob: float = 0.02
    weekend_prob: float = 0.02
    aliases: tuple[str, ...] = ()
    alias_prob: float = 0.0
    colleagues: list[Peer] = field(default_factory=list)
    contacts: list[Peer] = field(default_factory=list)  # weighted by repetition
    repliable: list[tuple[Peer, str]] = field(default_factory=list)  # who wrote, and about what
    inbox: list[tuple[int, str, str, str, str, int]] = field(default_factory=list)
    travel: dict[int, str] = field(default_factory=dict)  # day -> hotel /24 ("a.b.c.") or IP
    travel_tag: str | None = None  # the scenario its travel belongs to
    late_days: frozenset[int] = frozenset()
    last_smtp: tuple[int, str] = (0, "")
    last_web: tuple[int, str] = (0, "")
    me: Peer = ("", "", "", "", "", "")  # this mailbox as a recipient
    user_field: str = ""  # mail.log ", User: <address>"
    domain: str = ""
    remote: bool = False  # works from the home line on home days, no VPN (remote-first)

    def __post_init__(self) -> None:
        self.me = local_peer(self.address, self.name)
        self.user_field = f", User: {self.address}"
        self.domain = self.address.rpartition("@")[2]

    @property
    def webmail(self) -> bool:
        return self.client == "webmail"

    def desk(self, weekday: int) -> str:
        """Where the person works on a working day (not travelling): the VPN, or for a
        remote worker the home line's current address, on a home day; else the LAN desk."""
        if weekday in self.home_days:
            if self.vpn_ip:
                return self.vpn_ip
            if self.remote and self.home_ip[1]:
                return self.home_ip[1]
        return self.lan_ip


@dataclass(eq=False)
class Site:
    """Everything the generators share."""

    domain: str
    second_domain: str
    hostname: str
    users: list[Persona]
    admin: str
    ips: IpRegistry
    domains: Domains
    former: tuple[str, ...]  # addresses of people who left (warning.log, unknown recipients)
    groups: tuple[str, ...]  # distribution lists
    declared_aliases: dict[str, tuple[str, ...]]
    partners: list[str]
    service_accounts: list[str] = field(default_factory=list)
    desks: dict[str, list[str]] = field(default_factory=dict)
    """LAN address -> other accounts used there (a team mailbox at each member's PC)."""
    holidays: frozenset[int] = frozenset()  # day indexes the office is closed
    nets: NetPlan = field(default_factory=net_plan)
    """The networks of the site's country and abroad."""
    more_domains: tuple[str, ...] = ()
    """Other companies' domains on the same server (a hosting provider's)."""

    @property
    def local_domains(self) -> tuple[str, ...]:
        return (self.domain, self.second_domain, *self.more_domains)

    def accounts(self) -> tuple[str, ...]:
        """Every account once (several people may work in one role mailbox)."""
        users = dict.fromkeys(p.address for p in self.users)
        return (*users, self.admin, *self.service_accounts)

    def aliases(self) -> dict[str, tuple[str, ...]]:
        return {p.address: p.aliases for p in self.users if p.aliases}

    def config_toml(self, timezone: str) -> str:
        def q(value: str) -> str:
            return json.dumps(value, ensure_ascii=False)

        def arr(values: tuple[str, ...]) -> str:
            return "[" + ", ".join(q(v) for v in values) + "]"

        lines = [
            "# kerio-watch configuration for the simulated site (written by kerio_watch.simulate).",
            "# Only some users declare their aliases; the others are left for alias learning.",
            "[site]",
            f"local_domains = {arr(self.local_domains)}",
            f"trusted_networks = {arr(TRUSTED_NETWORKS)}",
            f"timezone = {q(timezone)}",
        ]
        for account, aliases in self.declared_aliases.items():
            lines += ["", f"[users.{q(account)}]", f"aliases = {arr(aliases)}"]
        return "\n".join(lines) + "\n"


def make_person(rng: random.Random, domain: str) -> tuple[str, str]:
    """A random (address, display name) at ``domain``; role addresses have no name."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    f, ln = ascii_name(first), ascii_name(last)
    if domain in FREEMAIL:
        local = rng.choice((f"{f}.{ln}", f"{f}{ln}", f"{f[0]}.{ln}", f"{f}_{ln}"))
        if rng.random() < 0.6:
            local += str(rng.choice((rng.randrange(1, 99), rng.randrange(1955, 2006))))
        return f"{local}@{domain}", f"{first} {last}"
    style = rng.random()
    if style < 0.55:
        local = f"{f}.{ln}"
    elif style < 0.8:
        local = f"{f[0]}.{ln}"
    elif style < 0.93:
        local = ln
    else:
        local = rng.choice(("info", "office", "vertrieb", "sales", "kontakt", "buchhaltung"))
        return f"{local}@{domain}", ""
    return f"{local}@{domain}", f"{first} {last}"


def second_domain_of(domain: str) -> str:
    stem = domain.rsplit(".", 1)[0]
    return f"{stem}.org" if f"{stem}.org" != domain else f"{stem}.net"


class SiteBuilder:
    """Builds a :class:`Site` from a seeded random generator."""

    def __init__(
        self, rng: random.Random, domain: str, users: int, nets: NetPlan | None = None
    ) -> None:
        self.rng = rng
        self.nets = nets or net_plan()
        self.domain = domain
        self.second = second_domain_of(domain)
        self.n_users = users
        self.ips = IpRegistry(rng)
        self.domains = Domains(self.ips, (domain, self.second))
        self.partners = self._partner_domains(max(40, users // 2 + 30))
        for d in FREEMAIL:
            self.domains.add(d, senders=12)
        for d in self.partners:
            self.domains.add(d, senders=self.rng.choice((1, 1, 2, 3)))
        self._lan_hosts = [h for h in range(20, 230) if h not in (31, 32)]
        rng.shuffle(self._lan_hosts)

    def _partner_domains(self, n: int) -> list[str]:
        rng = self.rng
        out: set[str] = set()
        while len(out) < n:
            stem, kind = rng.choice(PARTNER_STEMS), rng.choice(PARTNER_KINDS)
            out.add(f"{stem}-{kind}{rng.choice(PARTNER_TLDS)}")
        return sorted(out)

    def person(self, domain: str) -> tuple[str, str]:
        return make_person(self.rng, domain)

    def external_peer(self, freemail_share: float = 0.2) -> Peer:
        rng = self.rng
        if rng.random() < freemail_share:
            domain = rng.choice(FREEMAIL)
        else:
            domain = rng.choice(self.partners)
        return self.domains.peer(*self.person(domain))

    def build(self) -> Site:
        rng = self.rng
        taken: set[str] = set()
        personas = [self._persona(i, taken) for i in range(self.n_users)]
        self._teams(personas)
        declared = self._aliases(personas)
        former: list[str] = []
        while len(former) < 3:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            address = f"{ascii_name(first)}.{ascii_name(last)}@{self.domain}"
            if address not in taken and address not in former:
                former.append(address)
        groups = (
            f"team@{self.domain}",
            f"alle@{self.domain}",
            f"projekt-{rng.randrange(10, 99)}@{self.second}",
        )
        return Site(
            domain=self.domain,
            second_domain=self.second,
            hostname=f"mail.{self.domain}",
            users=personas,
            admin=f"admin@{self.domain}",
            ips=self.ips,
            domains=self.domains,
            former=tuple(former),
            groups=groups,
            partners=self.partners,
            declared_aliases=declared,
            nets=self.nets,
        )

    def _persona(self, index: int, taken: set[str]) -> Persona:
        rng = self.rng
        for attempt in range(1000):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            domain = self.second if rng.random() < 0.12 else self.domain
            suffix = str(attempt // 20) if attempt >= 20 else ""  # namesakes: anna.mueller2
            address = f"{ascii_name(first)}.{ascii_name(last)}{suffix}@{domain}"
            if address not in taken:
                break
        taken.add(address)
        roll = rng.random()
        client = "webmail" if roll < 0.3 else ("outlook" if roll < 0.8 else "thunderbird")
        if rng.random() < 0.15:  # early bird
            start = int(rng.uniform(6.0, 7.0) * 3600)
        else:
            start = int(rng.uniform(7.5, 9.5) * 3600)
        end = start + int(rng.uniform(8.0, 9.5) * 3600)
        out_mean = min(40.0, max(5.0, rng.lognormvariate(2.6, 0.5)))
        persona = Persona(
            address=address,
            name=f"{first} {last}",
            client=client,
            lan_ip=f"{LAN_PREFIX}{self._lan_hosts[index % len(self._lan_hosts)]}",
            start=start,
            end=end,
            out_mean=out_mean,
            in_mean=out_mean * rng.uniform(2.0, 3.0),
            p_internal=rng.uniform(0.15, 0.4),
            agent=rng.choice(WEBMAIL_AGENTS),
        )
        if client == "outlook" and rng.random() < 0.2:
            persona.reader = "HTTP/KOFF"
        elif client == "thunderbird" and rng.random() < 0.25:
            persona.reader = "POP3"
        if rng.random() < 0.3:
            persona.vpn_ip = f"{VPN_PREFIX}{10 + index % 240}"
            persona.home_days = frozenset(rng.sample(range(5), rng.choice((1, 1, 2))))
        if rng.random() < 0.45:
            persona.carrier = rng.choice(self.nets.mobile).cidr
        if not persona.vpn_ip or rng.random() < 0.3:
            persona.home_net = rng.choice(self.nets.home).cidr
        if rng.random() < 0.2:
            persona.evening_prob = 0.25
        if rng.random() < 0.1:
            persona.weekend_prob = 0.3
        persona.contacts = self._contacts()
        return persona

    def _contacts(self) -> list[Peer]:
        rng = self.rng
        domains = rng.sample(self.partners, min(len(self.partners), rng.randrange(4, 13)))
        contacts: list[Peer] = []
        for _ in range(rng.randrange(15, 61)):
            if rng.random() < 0.15:
                peer = self.domains.peer(*self.person(rng.choice(FREEMAIL)))
            else:
                peer = self.domains.peer(*self.person(rng.choice(domains)))
            contacts.extend([peer] * rng.choice((1, 1, 1, 2, 3, 5)))
        return contacts

    def _teams(self, personas: list[Persona]) -> None:
        rng = self.rng
        order = personas[:]
        rng.shuffle(order)
        for start in range(0, len(order), 6):
            team = order[start : start + 6]
            for p in team:
                others = [q for q in team if q is not p]
                extra = rng.sample(personas, min(len(personas), 3))
                peers = [q.me for q in others + others + extra if q is not p]
                p.colleagues = peers or [p.me]

    def _aliases(self, personas: list[Persona]) -> dict[str, tuple[str, ...]]:
        """About a quarter of users send as aliases; about half of them are declared."""
        rng = self.rng
        n = max(1, round(len(personas) / 4))
        users = rng.sample(personas, min(n, len(personas)))
        locals_ = list(ALIAS_LOCALS)
        rng.shuffle(locals_)
        for i, p in enumerate(users):
            local = locals_[i] if i < len(locals_) else f"{locals_[i % len(locals_)]}{i}"
            p.aliases = (f"{local}@{self.domain}",)
            p.alias_prob = rng.uniform(0.1, 0.3)
        taken = {p.address for p in personas}
        candidates = [p for p in personas if p.address.endswith("@" + self.domain)]
        if candidates:
            p = rng.choice(candidates)
            second = p.address.replace("@" + self.domain, "@" + self.second)
            if second not in taken:
                p.aliases = (*p.aliases, second)
                p.alias_prob = max(p.alias_prob, 0.15)
                if p not in users:
                    users.append(p)
        declared = rng.sample(users, (len(users) + 1) // 2)
        return {p.address: p.aliases for p in personas if p in declared}
