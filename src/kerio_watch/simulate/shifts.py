"""Shifts no issue names (``SimConfig.shifts``, off by default).

A held-out site differs from the simulated one in ways nobody wrote down. This adds, with
its own random numbers, a site whose mail server is hosted outside the office (so the
server sees the office at its public address, not on a LAN, and there is no office
firewall log), and on it:

- ``office_isp`` (benign, the whole site): the office moves to another provider on a
  working day of the last third. From that midnight on every account's office traffic
  (people, the ERP, the newsletter, the help desk) comes from an address of another
  provider's network. The old line is in ``[site] trusted_networks``, the new one is
  not (the administrator has not caught up). Its truth account is ``*``.
- ``vpn_user`` (benign): a person routes everything through a commercial VPN from the
  first day: a hosting network of the country, an exit address that changes each week;
  normal hours, normal mail, no phone, no home line of their own.
- ``home_isp_change`` (benign): a person who works evenings and weekends from home moves
  to another home provider of the country in the middle of the history; same habits.
- ``dormant_takeover`` (hijack): a mailbox kept after its owner left, with no activity in
  the logs, is logged into from a home line abroad and sends spam to strangers.
- ``desk_malware`` (hijack): malware on a person's desk PC sends spam with the person's
  saved password (SMTP AUTH from that PC, From the person's own address, office hours)
  with its own mail engine to hundreds of strangers.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import partial

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.data import BURST_DOMAINS, FIRST_NAMES, FREEMAIL, LAST_NAMES, ascii_name
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.lookalikes import send_as
from kerio_watch.simulate.mail import burst_profile
from kerio_watch.simulate.netplan import Net, address_in
from kerio_watch.simulate.plan import Plan, Planner
from kerio_watch.simulate.site import LAN_PREFIX, Persona

SITE = "*"
"""The truth account of a scenario of the whole site."""
_LAN = re.compile(re.escape(LAN_PREFIX) + r"\d{1,3}\b")


@dataclass(frozen=True)
class OfficeLine:
    """The office's public address before and after it changes provider at ``switch``."""

    old: str
    new: str
    switch: int

    def rewrite(self, t: int, text: str) -> str:
        """A log line as a server outside the office sees it: LAN addresses are the
        office's public address of the time."""
        if LAN_PREFIX not in text:
            return text
        return _LAN.sub(self.old if t < self.switch else self.new, text)

    def trusted(self, config_toml: str) -> str:
        """The site's configuration with the old line trusted instead of the LAN."""
        return config_toml.replace(f'"{LAN_PREFIX}0/24"', f'"{self.old}/32"')


def plan_shifts(sc: Planner, days: list[Day], seed: int) -> OfficeLine:
    """Plant the five kinds (the persons ones on accounts no other scenario uses); returns
    the office line, which the logs' writers apply."""
    rng = sc.site.ips.group(seed * 9_000_011 + 53)
    nets = sc.site.nets
    work = [d for d in days[(2 * len(days) + 2) // 3 :] if d.workday] or days[-1:]
    old = rng.choice(nets.hotel)  # business lines of the country
    lines = (old, rng.choice([n for n in nets.hotel if n.owner != old.owner] or [old]))
    switch = rng.choice(work[: max(1, len(work) // 2)])
    office = OfficeLine(address_in(lines[0], rng), address_in(lines[1], rng), switch.start)
    plan = Plan("office_isp", SITE, office.new)
    plan.notes["describe"] = (
        f"Benign: the office moved from its line {office.old} ({lines[0].owner}, trusted) "
        f"to {office.new} ({lines[1].owner}, not in trusted_networks) at midnight; every "
        "account's office traffic comes from there since ({span})."
    )
    sc.plans.append(plan)
    sc.mail.count(switch.start, switch.end - 1, False, 0, [], "office_isp")
    taken = {p.account for p in sc.plans} | set(sc.site.desks)
    people = [p for p in sc.site.users if p.address not in taken and p.lan_ip not in sc.site.desks]
    rng.shuffle(people)
    if people:
        _vpn_user(sc, rng, days, people.pop())
    if people:
        _home_change(sc, rng, days, people.pop())
    _dormant(sc, rng, work)
    desk = [p for p in people if not p.webmail]
    if desk:
        _malware(sc, rng, work, desk[-1], office)
    return office


def _vpn_user(sc: Planner, rng: random.Random, days: list[Day], p: Persona) -> None:
    net = rng.choice(sc.site.nets.hosting)
    p.lan_ip = address_in(net, rng)
    p.vpn_ip, p.home_net, p.carrier = None, None, None
    p.home_days, p.travel = frozenset(), {}
    plan = Plan("vpn_user", p.address, p.lan_ip)
    plan.notes["describe"] = (
        f"Benign: {{a}} routes all its mail through a commercial VPN ({net.owner}, a "
        "hosting network; first exit {ip}, a new exit each week) from the first day, in "
        "office hours, to usual correspondents: {n} marked messages ({span})."
    )
    sc.plans.append(plan)
    for d in days:
        if d.workday:
            sc.hooks.setdefault(d.index, []).append(partial(_vpn_day, sc, rng, p, net))


def _vpn_day(sc: Planner, rng: random.Random, p: Persona, net: Net, day: Day) -> None:
    if day.index in p.off_days or day.index in sc.site.holidays:
        return
    t = day.at(p.start + rng.uniform(0.3, 0.9) * (p.end - p.start))
    send_as(sc, p, t, p.lan_ip, [_usual(rng, p)], sc.text.pick(sc.text.business), "vpn_user")
    if day.weekday == 4:  # the VPN hands out another exit next week
        p.lan_ip = address_in(net, rng)


def _usual(rng: random.Random, p: Persona) -> tuple[str, str, str, str, str, str]:
    pool = [peer for peer, _ in p.repliable[-80:]] or p.contacts or p.colleagues
    return rng.choice(pool)


def _home_change(sc: Planner, rng: random.Random, days: list[Day], p: Persona) -> None:
    home = sc.site.nets.home
    old = next((n for n in home if n.cidr == p.home_net), None) or rng.choice(home)
    new = rng.choice([n for n in home if n.owner != old.owner] or list(home))
    p.home_net, p.home_ip = old.cidr, (-99, "")
    p.evening_prob, p.weekend_prob = max(p.evening_prob, 0.35), max(p.weekend_prob, 0.3)
    middle = days[len(days) // 2 :]
    switch = next((d for d in middle if d.workday), middle[0])
    plan = Plan("home_isp_change", p.address, None)
    plan.notes["describe"] = (
        f"Benign: {{a}} works evenings and weekends from home; its home line moved from "
        f"{old.owner} to {new.owner} on day {switch.index + 1}; same habits; {{n}} marked "
        "evening messages from the new line ({span})."
    )
    sc.plans.append(plan)
    for d in days[switch.index :]:
        sc.hooks.setdefault(d.index, []).append(partial(_home_day, sc, rng, p, new, switch))


def _home_day(sc: Planner, rng: random.Random, p: Persona, new: Net, switch: Day, day: Day) -> None:
    """Runs after the day's traffic: the new line serves from the day after ``switch``."""
    if day.index == switch.index:
        p.home_net, p.home_ip = new.cidr, (-99, "")
        return
    if day.index in p.off_days or rng.random() < 0.5:
        return
    ip = sc.traffic.away.home(p, day) or ""
    t = day.at(rng.uniform(19.0, 22.0) * HOUR)
    for _ in range(rng.randrange(1, 4)):
        t += rng.randrange(120, 900)
        send_as(sc, p, t, ip, [_usual(rng, p)], sc.text.pick(sc.text.business), "home_isp_change")


def _dormant(sc: Planner, rng: random.Random, work: list[Day]) -> None:
    taken = set(sc.site.accounts()) | set(sc.site.former)
    address = ""
    while not address or address in taken:
        first, last = ascii_name(rng.choice(FIRST_NAMES)), ascii_name(rng.choice(LAST_NAMES))
        address = f"{first}.{last}@{sc.site.domain}".lower()
    sc.site.service_accounts.append(address)  # a mailbox of the site, silent until now
    ip = address_in(rng.choice(sc.site.nets.abroad), rng)
    plan = Plan("dormant_takeover", address, ip)
    sc.plans.append(plan)
    sc.hooks.setdefault(rng.choice(work).index, []).append(partial(_takeover, sc, rng, plan))


def _takeover(sc: Planner, rng: random.Random, plan: Plan, day: Day) -> None:
    a, ip = plan.account, plan.source_ip or ""
    t = day.at(rng.uniform(9.0, 16.0) * HOUR)
    sc._login(t, "IMAP", a, ip)
    t += rng.randrange(600, 2400)
    n = rng.randrange(120, 221)
    _spam(sc, rng, (a, a, ip), sc._times(t, n, rng.randrange(3600, 7200)), "dormant_takeover")
    plan.notes["describe"] = (
        "Hijack: {a}, a mailbox with no activity in the logs (its owner left), was logged "
        "into over IMAP from {ip}, a home line abroad, then sent {n} spam messages to "
        "{recipients} strangers over SMTP from it ({span}); {bounces}."
    )


def _malware(
    sc: Planner, rng: random.Random, work: list[Day], p: Persona, office: OfficeLine
) -> None:
    day = rng.choice([d for d in work if d.index not in p.off_days] or work)
    plan = Plan("desk_malware", p.address, office.rewrite(day.start, p.lan_ip))  # as logged
    plan.notes["desk"] = p.lan_ip
    sc.plans.append(plan)
    sc.hooks.setdefault(day.index, []).append(partial(_infected, sc, rng, p, plan))


def _infected(sc: Planner, rng: random.Random, p: Persona, plan: Plan, day: Day) -> None:
    t = day.at(rng.uniform(p.start + HOUR, p.end - 3 * HOUR))
    n = rng.randrange(200, 351)
    _spam(sc, rng, (p.address, p.address, p.lan_ip), sc._times(t, n, 5400), "desk_malware")
    plan.notes["describe"] = (
        "Hijack: malware on the desk PC of {a} (" + p.lan_ip + ", seen at the office "
        "line {ip}) sent {n} "
        "spam messages to {recipients} strangers with the person's saved password and "
        "From address, in office hours, with its own mail engine ({span}); {bounces}."
    )


def _spam(
    sc: Planner, rng: random.Random, who: tuple[str, str, str], times: list[int], tag: str
) -> None:
    """Spam to strangers over SMTP (``who``: account, From, address), logging in again
    every 40 messages."""
    account, frm, ip = who
    sc._login(times[0] - rng.randrange(3, 30), "SMTP", account, ip)
    domains = (*FREEMAIL, *BURST_DOMAINS)
    for i, t in enumerate(times):
        if i and i % 40 == 0:
            sc._login(t - 1, "SMTP", account, ip)
        rcpts = [sc._stranger(domains) for _ in range(rng.randrange(1, 4))]
        mid = sc.text.mid("generic", sc.site.domain)
        subj = sc.text.pick(sc.text.spam)
        sc.mail.emit(
            t, "SMTP", frm, ip, account, "yes", rcpts, subj, sc.text.small_size(), mid,
            burst_profile(0.1, 0.15), tag,
        )  # fmt: skip
