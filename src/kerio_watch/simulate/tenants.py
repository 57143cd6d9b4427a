"""Two more shapes of site (each off by default, own random numbers; see :mod:`.shapes`).

- ``hosting`` (a number of companies, 2 or more): a managed-service provider's server
  that hosts several small companies, each on its own domain. The first company is the
  provider's own staff on the server's LAN (its domain and administrator are the
  site's); each other company has its own office line on the internet (one public
  address, the office's router) or no office at all (everybody at home), its own
  working hours, and its own staff as colleagues. Its people mail the other companies
  as they mail anybody outside (the server delivers it locally: one server, many
  domains).
- ``role_mailboxes``: a site whose staff largely works in shared role mailboxes
  (``info@``, ``sales@``, ``hotline@``...). Each is used by several people at once,
  each from their own desk, home line and phone, in their own hours: one account, many
  places and devices every day.
"""

from __future__ import annotations

import copy
import random

from kerio_watch.simulate.data import PARTNER_KINDS, PARTNER_STEMS
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.netplan import address_in
from kerio_watch.simulate.site import Persona, Site

ROLE_LOCALS: tuple[str, ...] = (
    "info", "sales", "hotline", "office", "orders", "service", "kundenservice", "anfragen",
    "bestellung", "disposition", "auftraege", "team",
)  # fmt: skip
_MIN_COMPANY = 3


def company_sizes(rng: random.Random, people: int, companies: int) -> list[int]:
    """Split ``people`` into ``companies`` companies of at least three (fewer companies
    when there are not enough people), of very different sizes."""
    n = max(1, min(companies, people // _MIN_COMPANY))
    weights = [rng.lognormvariate(0.0, 0.8) for _ in range(n)]
    spare = people - n * _MIN_COMPANY
    sizes = [_MIN_COMPANY + int(spare * w / sum(weights)) for w in weights]
    sizes[0] += people - sum(sizes)
    return sizes


def _company_domains(rng: random.Random, site: Site, n: int) -> list[str]:
    taken = {*site.partners, *site.local_domains}
    out: list[str] = []
    while len(out) < n:
        domain = f"{rng.choice(PARTNER_STEMS)}-{rng.choice(PARTNER_KINDS)}.de"
        if domain not in taken:
            taken.add(domain)
            out.append(domain)
    return out


def hosting(site: Site, rng: random.Random, companies: int) -> list[list[Persona]]:
    """Make the site a provider's server for ``companies`` companies; returns them."""
    if companies < 2:
        return [site.users]
    people = site.users[:]
    rng.shuffle(people)
    sizes = company_sizes(rng, len(people), companies)
    groups: list[list[Persona]] = []
    for size in sizes:
        groups.append(people[:size])
        people = people[size:]
    domains = _company_domains(rng, site, len(groups) - 1)
    renamed: dict[str, str] = {}
    taken = {p.address for p in groups[0]}
    for group, domain in zip(groups[1:], domains, strict=True):
        office = address_in(rng.choice(site.nets.hotel), rng) if rng.random() < 0.75 else None
        shift = int(rng.uniform(-1.5, 2.0) * HOUR)
        for p in group:
            renamed[p.address] = _move(p, domain, taken, rng, site)
            p.start, p.end = p.start + shift, p.end + shift
            if office is None:  # works at home, on a line with a fixed address
                p.remote, p.home_days, p.vpn_ip = False, frozenset(), None
                home = [n for n in site.nets.home if n.cidr == p.home_net]
                p.lan_ip = address_in(home[0] if home else rng.choice(site.nets.home), rng)
            else:
                p.lan_ip = office
    for group in groups:
        for p in group:
            p.colleagues = [q.me for q in group if q is not p] or [p.me]
    site.declared_aliases = {
        renamed.get(a, a): tuple(x for x in al if x != renamed.get(a, a))
        for a, al in site.declared_aliases.items()
    }
    site.more_domains = tuple(domains)
    site.domains.local.update(domains)
    return groups


def _move(p: Persona, domain: str, taken: set[str], rng: random.Random, site: Site) -> str:
    """Give ``p`` an address at its company's ``domain``: no office VPN, its remote days
    from its home line."""
    local = p.address.rpartition("@")[0]
    address, n = f"{local}@{domain}", 1
    while address in taken:
        address, n = f"{local}{n}@{domain}", n + 1
    taken.add(address)
    p.aliases = tuple(
        a for a in (f"{x.rpartition('@')[0]}@{domain}" for x in p.aliases) if a != address
    )
    p.alias_prob = p.alias_prob if p.aliases else 0.0
    p.address = address
    p.__post_init__()
    if p.vpn_ip:  # the office VPN is the provider's; its people work from home instead
        p.vpn_ip, p.remote = None, True
        p.home_net = p.home_net or rng.choice(site.nets.home).cidr
    elif p.home_days:
        p.remote = True
    p.home_net = p.home_net or rng.choice(site.nets.home).cidr
    return address


def role_mailboxes(site: Site, rng: random.Random) -> list[Persona]:
    """Most of the staff also works in a shared role mailbox; returns the role mailboxes'
    users (one :class:`Persona` per person and mailbox, added to ``site.users``)."""
    used = {p.address.rpartition("@")[0] for p in site.users}
    used |= {a.rpartition("@")[0] for p in site.users for a in p.aliases}
    free = [x for x in ROLE_LOCALS if x not in used]
    n = min(len(free), max(2, len(site.users) // 6))
    boxes = [f"{x}@{site.domain}" for x in rng.sample(free, n)]
    members: dict[str, list[Persona]] = {b: [] for b in boxes}
    for p in site.users:
        if rng.random() < 0.8:
            members[rng.choice(boxes)].append(p)
    for box in boxes:  # at least two people in every box
        while len(members[box]) < 2:
            members[box].append(rng.choice(site.users))
    added: list[Persona] = []
    for box, staff in members.items():
        for p in staff:
            added.append(_box_user(p, box, rng))
            p.out_mean *= 0.5  # the person's own mailbox gets half the mail it did
    site.users.extend(added)
    return added


def _box_user(p: Persona, box: str, rng: random.Random) -> Persona:
    """Person ``p`` working in role mailbox ``box``: its desk, home line, phone, hours."""
    u = copy.copy(p)
    u.address, u.name = box, ""
    u.__post_init__()
    u.aliases, u.alias_prob = (), 0.0
    u.out_mean = p.out_mean * rng.uniform(0.4, 0.8)
    u.in_mean = p.in_mean * rng.uniform(0.4, 0.8)
    u.contacts = p.contacts[:]
    u.colleagues = p.colleagues[:]
    u.repliable, u.inbox, u.travel = [], [], {}
    u.travel_tag = None
    u.last_smtp = u.last_web = (0, "")
    return u
