"""Planting the newer scenarios: hijacks of :mod:`.hijacks`, look-alikes of :mod:`.lookalikes`.

Each kind gets an account no other scenario uses; a site too small for all of them
plants the first ones in :data:`ORDER` (hijacks and look-alikes alternate). The shared
mailbox and the ERP's month-end run need no person and are always planted.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.countries import NetPlan
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.hijacks import (
    aitm_session,
    botnet_spam,
    proxy_drip,
    reply_chain,
    stuffing_spam,
)
from kerio_watch.simulate.lookalikes import (
    abroad_blocks,
    assistant_alias,
    catch_up,
    conference,
    erp_month_end,
    mass_mailing,
    new_phone,
    send_as,
)
from kerio_watch.simulate.netplan import Net
from kerio_watch.simulate.plan import Plan, Planner
from kerio_watch.simulate.site import ERP_IP, Peer, Persona

Fresh = Callable[[Callable[[Persona], bool]], Persona | None]
Hook = Callable[[Planner, Day, Persona, Plan], None]


class Victims:
    """Picks each scenario's account: one no other scenario uses, quiet ones first."""

    def __init__(self, users: list[Persona], rng: random.Random) -> None:
        self.rng = rng
        self.pool = users[:]
        rng.shuffle(self.pool)
        self.used: list[Persona] = []

    def take(self, wanted: Callable[[Persona], bool]) -> Persona:
        """A fresh account as wanted, else any fresh one, else any."""
        return self.fresh(wanted) or self.fresh(bool) or self.rng.choice(self.pool)

    def fresh(self, wanted: Callable[[Persona], bool]) -> Persona | None:
        """An account no other scenario uses (None when none is left)."""
        for quiet in (True, False):
            for p in self.pool:
                if p not in self.used and wanted(p) and (not quiet or not (p.travel or p.off_days)):
                    self.used.append(p)
                    return p
        return None


Where = Callable[[NetPlan], tuple[Net, ...]] | None

#: kind, which accounts suit it, where its address comes from (of the site's country's
#: networks; None: the person's own).
ORDER: tuple[tuple[str, Callable[[Persona], bool], Where], ...] = (
    ("proxy_drip", lambda p: not p.webmail, lambda n: n.home),
    ("mass_mailing", lambda p: not p.webmail, None),
    ("reply_chain", bool, lambda n: n.hosting_abroad),
    ("catch_up", lambda p: p.vpn_ip is None, lambda n: n.home),
    ("aitm_session", lambda p: p.webmail, lambda n: n.hosting),
    ("new_phone", lambda p: p.carrier is None, lambda n: n.mobile),
    ("stuffing_spam", bool, lambda n: (*n.faraway, *n.abroad)),
    ("conference", lambda p: not p.webmail, None),
    ("botnet_spam", bool, lambda n: n.faraway),
    ("assistant_alias", lambda p: not p.webmail, None),
)
HOOKS: dict[str, Hook] = {
    "proxy_drip": proxy_drip,
    "reply_chain": reply_chain,
    "aitm_session": aitm_session,
    "stuffing_spam": stuffing_spam,
    "botnet_spam": botnet_spam,
    "mass_mailing": mass_mailing,
    "catch_up": catch_up,
    "new_phone": new_phone,
    "conference": conference,
    "assistant_alias": assistant_alias,
}


def plan_more(sc: Planner, days: list[Day], work: list[Day], fresh: Fresh) -> None:
    """Plant the newer scenarios on the working days ``work`` of the last third."""
    rng = sc.rng
    ips = sc.site.ips
    for kind, suits, where in ORDER:
        nets = where(sc.site.nets) if where else None
        victim = fresh(suits)
        if victim is None:
            continue
        day = rng.choice(work)
        if kind == "catch_up":
            nets = tuple(n for n in nets or () if n.cidr != victim.home_net)
        net = rng.choice(nets).cidr if nets else None
        ip = ips.in_net(net) if net else victim.lan_ip
        plan = sc._hook(day, victim, kind, ip, partial(HOOKS[kind], sc))
        if kind == "catch_up":
            victim.travel, victim.travel_tag = {day.index: ip}, "catch_up"
        elif kind == "new_phone" and net:
            plan.notes["carrier"] = plan.source_ip = net
            for d in days[day.index + 1 :]:
                sc.hooks.setdefault(d.index, []).append(partial(_run, sc, d, victim, plan))
        elif kind == "conference":
            _conference(sc, work, day, victim, plan)
        elif kind == "assistant_alias":
            _assistant(sc, day, victim, plan, fresh)
    _shared_mailbox(sc, days)
    _month_end(sc, work[-1])


def _run(sc: Planner, day: Day, victim: Persona, plan: Plan, _today: Day) -> None:
    HOOKS[plan.kind](sc, day, victim, plan)


def _conference(sc: Planner, work: list[Day], day: Day, v: Persona, plan: Plan) -> None:
    """Four working days abroad from ``day`` (earlier when the period ends sooner)."""
    start = min(work.index(day), max(0, len(work) - 4))
    trip = work[start : start + 4]
    blocks, shift = abroad_blocks(sc)
    plan.notes.update(blocks=blocks, shift=str(shift))
    plan.source_ip = f"{blocks.split()[0]}0/24"
    v.off_days = v.off_days | {d.index for d in trip}
    sc.hooks[day.index].pop()  # planted on the first day of the trip instead
    for d in trip:
        sc.hooks.setdefault(d.index, []).append(partial(_run, sc, d, v, plan))


def _assistant(sc: Planner, day: Day, v: Persona, plan: Plan, fresh: Fresh) -> None:
    manager = fresh(lambda p: p.domain == v.domain) or fresh(bool)
    if manager is None:  # no account left to be the manager: no assistant either
        sc.hooks[day.index].pop()
        sc.plans.remove(plan)
        return
    plan.notes["manager"] = manager.address
    v.aliases = (*v.aliases, manager.address)
    v.alias_prob = max(v.alias_prob, 0.15)
    sc.site.declared_aliases[v.address] = v.aliases


def _shared_mailbox(sc: Planner, days: list[Day]) -> None:
    """A team mailbox answered by three colleagues, each with their own PC and program."""
    rng, site = sc.rng, sc.site
    members = rng.sample(site.users, min(3, len(site.users)))
    box = f"innendienst@{site.domain}"
    site.service_accounts.append(box)
    for member in members:
        site.desks.setdefault(member.lan_ip, []).append(box)
    seats = [replace(m, address=box, name="Innendienst", aliases=(), inbox=[]) for m in members]
    customers = [sc.services.builder.external_peer(0.3) for _ in range(60)]
    first = next((d for d in days if d.index >= (2 * len(days) + 2) // 3), days[-1])
    plan = sc._hook(first, seats[0], "shared_mailbox", members[0].lan_ip, lambda *_: None)
    plan.notes["describe"] = (
        "Benign: {a} is a team mailbox that three colleagues answer from their own PCs, "
        "programs and home lines: {n} replies to customers over the month ({span})."
    )
    for d in days:
        sc.hooks.setdefault(d.index, []).append(partial(_box_day, sc, seats, customers, d))


def _box_day(
    sc: Planner, seats: list[Persona], customers: list[Peer], day: Day, _today: Day
) -> None:
    rng, text = sc.rng, sc.text
    rnd = rng.random
    me = seats[0].me
    if rnd() < 0.1:
        customers.append(sc.services.builder.external_peer(0.3))
    for _ in range(rng.randrange(8, 25) if day.workday else rng.randrange(0, 3)):
        c = rng.choice(customers)
        t = day.at((7 + rnd() * 12) * HOUR)
        subj = text.pick(text.support)
        mid = text.mid("generic", c[5])
        sc.mail.emit(t, "SMTP", c[0], c[3], "", c[4], [me], subj, text.size(), mid)
        seat = rng.choice(seats)
        home = sc.traffic.away.home(seat, day)
        late = rnd() < 0.1 and home is not None
        at = day.at(19.5 * HOUR + rnd() * 7200) if late else t + rng.randrange(600, 7200)
        if not day.workday and not late:
            continue
        ip = (home or seat.lan_ip) if late else seat.lan_ip
        send_as(sc, seat, at, ip, [c], f"AW: {subj}", "shared_mailbox")


def _month_end(sc: Planner, day: Day) -> None:
    plan = Plan("erp_month_end", sc.services.billing, ERP_IP)
    sc.plans.append(plan)
    sc.hooks.setdefault(day.index, []).append(
        lambda d: erp_month_end(sc, d, sc.services.support, plan)
    )
