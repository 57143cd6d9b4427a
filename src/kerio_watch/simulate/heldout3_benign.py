"""The benign kinds of round three (:mod:`.heldout3`), and the administration the two
people with administrator rights do from the office all month.

- ``mass_archive`` (benign): one evening or weekend at home, with the usual mail program,
  a person files years of old mail: one to three thousand items moved from the Inbox into
  ``Archiv/<year>`` folders, and a few hundred old newsletters into Deleted Items
  (operations.log), over an hour or two. Nothing is sent.
- ``holiday_phone`` (benign): on a week of leave abroad (a weekend, when no leave is
  planned) a person pairs a new phone with the mailbox over ActiveSync on that country's
  mobile carrier; it syncs the mailbox through the day until the person comes back.
  Nothing is sent from it.
- ``admin_from_home`` (benign): the second person with administrator rights prepares a new
  colleague's start one evening from home (the home line's provider, the usual browser):
  an account, an alias, a group.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.countries import COUNTRIES, net_plan
from kerio_watch.simulate.data import FIRST_NAMES, LAST_NAMES, ascii_name
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.heldout_kit import DAY, MINUTE, Out, hook, plan
from kerio_watch.simulate.mailbox import quoted
from kerio_watch.simulate.netplan import Net, address_in
from kerio_watch.simulate.sink import LogSink
from kerio_watch.simulate.site import Persona

ROUTINE = (
    'Update AntiSpam {spamScoreLimit="6.0", blockScoreLimit="12.0"}',
    'Insert TimeRange {description="Backup", type="TimeRangeDaily", days="6"}',
    'Update SecurityPolicy {lockoutEnabled="True", lockoutCount="10"}',
)
"""Changes that name no account."""
FOR_PEOPLE = (
    'Update User {{loginName="{login}", quota="10240"}}',
    'Update User {{loginName="{login}", description="Vertrieb"}}',
    'Update User {{loginName="{login}", password="********"}}',
)
"""Changes to a colleague's account (a password reset, a larger mailbox)."""


def admin_history(out: Out, days: list[Day], config: LogSink, v: Persona) -> None:
    """``v`` has administrator rights: a session from its desk every few working days."""
    work = [d for d in days if d.workday and d.index not in v.off_days]
    for d in work[out.rng.randrange(0, 4) :: out.rng.randrange(4, 8)]:
        hook(out, d, partial(_desk_session, out, config, v))


def _desk_session(out: Out, config: LogSink, v: Persona, day: Day) -> None:
    rng, site = out.rng, out.sc.site
    t = day.at(rng.uniform(9.0, 16.0) * HOUR)
    out.login(t, "HTTP/WebAdmin", v.address, v.lan_ip, v.agent)
    for _ in range(rng.randrange(1, 3)):
        t += rng.randrange(60, 600)
        who = rng.choice(site.users).address.partition("@")[0]
        change = rng.choice((*ROUTINE, *(c.format(login=who) for c in FOR_PEOPLE)))
        config.add(t, f"{v.address} - {change}\n")


def plan_benign3(
    out: Out, days: list[Day], config: LogSink, free: tuple[Persona | None, list[Persona]]
) -> None:
    """Plant the benign kinds (``free``: the second person with administrator rights,
    and the free people left)."""
    admin, people = free
    rng = out.rng
    late = list(days[(2 * len(days) + 2) // 3 :]) or days[-1:]
    if admin is not None:
        _from_home(out, rng.choice(late), config, admin)
    away = [p for p in people if p.off_days] or people[:1]
    if away:
        people.remove(away[0])
        _holiday(out, days, away[0])
    filers = [p for p in people if p.reader != "POP3" or p.webmail]
    if filers:
        people.remove(filers[0])
        _archive(out, rng.choice(late), filers[0])


def _home(out: Out, v: Persona) -> str:
    if v.home_ip[1]:
        return v.home_ip[1]
    home = v.home_net
    return str(ipaddress.ip_network(home)[out.rng.randrange(2, 250)]) if home else v.lan_ip


# -- admin_from_home ------------------------------------------------------------------------


def _from_home(out: Out, day: Day, config: LogSink, v: Persona) -> None:
    ip = _home(out, v)
    plan(
        out,
        "admin_from_home",
        v.address,
        ip,
        "Benign: {a} has administrator rights and prepared a new colleague's start one "
        "evening from home ({ip}, its home line) with its usual browser: an account, an "
        "alias and a group ({span}).",
    )
    hook(out, day, partial(_new_colleague, out, (ip, config), v))


def _new_colleague(out: Out, where: tuple[str, LogSink], v: Persona, day: Day) -> None:
    rng, site = out.rng, out.sc.site
    ip, config = where
    t = day.at(rng.uniform(19.0, 22.0) * HOUR)
    out.login(t, "HTTP/WebAdmin", v.address, ip, v.agent)
    first, last = ascii_name(rng.choice(FIRST_NAMES)), ascii_name(rng.choice(LAST_NAMES))
    login = f"{first}.{last}".lower()
    group = rng.choice(site.groups).partition("@")[0] if site.groups else "team"
    changes = (
        f'Insert User {{loginName="{login}", fullName="{first} {last}", authType="0"}}',
        f'Insert Alias {{alias="{first.lower()}@{site.domain}", '
        f'deliverTo="{login}@{site.domain}"}}',
        f'Update Group {{name="{group}", members="+{login}"}}',
    )
    start = t + rng.randrange(60, 300)
    t = start
    for change in changes:
        config.add(t, f"{v.address} - {change}\n")
        t += rng.randrange(40, 300)
    out.mark(start, t, "admin_from_home")


# -- holiday_phone --------------------------------------------------------------------------


def _holiday(out: Out, days: list[Day], v: Persona) -> None:
    rng, site = out.rng, out.sc.site
    trip = [d for d in days if d.index in v.off_days]
    if not trip:  # no leave planned: a weekend away
        sat = next((d for d in days[len(days) // 3 :] if d.date.weekday() == 5), days[-2])
        trip = days[sat.index : sat.index + 2]
    there = net_plan(rng.choice([c for c in COUNTRIES if c != site.nets.country]))
    carrier = rng.choice(there.mobile)
    noon = datetime.combine(trip[0].date, datetime.min.time()).replace(hour=12)
    home_off = ZoneInfo(site.nets.zone).utcoffset(noon)
    away_off = ZoneInfo(there.zone).utcoffset(noon)
    shift = (home_off - away_off).total_seconds() if home_off and away_off else 0.0
    plan(
        out,
        "holiday_phone",
        v.address,
        address_in(carrier, rng),
        f"Benign: on leave in {there.country}, {{a}} paired a new phone with the mailbox "
        f"over ActiveSync on a local carrier ({carrier.owner}); it synced the mailbox "
        "until the person came back ({span}); nothing was sent from it.",
    )
    paired = rng.randrange(0, min(3, len(trip)))
    for k, d in enumerate(trip[paired:]):
        hook(out, d, partial(_phone_day, out, (carrier, shift), v, k == 0))


def _phone_day(out: Out, where: tuple[Net, float], v: Persona, first: bool, day: Day) -> None:
    rng = out.rng
    carrier, shift = where
    t = day.at(rng.uniform(9.0, 14.0) * HOUR + shift) if first else day.at(7.0 * HOUR + shift)
    end = day.at(23.5 * HOUR + shift)
    if first:
        out.mark(t, t, "holiday_phone")
    ip = address_in(carrier, rng)
    while t < end:
        out.login(t, "HTTP/ActiveSync", v.address, ip)
        if rng.random() < 0.3:
            ip = address_in(carrier, rng)
        t += rng.randrange(20 * MINUTE, 120 * MINUTE)


# -- mass_archive ---------------------------------------------------------------------------


def _archive(out: Out, day: Day, v: Persona) -> None:
    ip = _home(out, v)
    plan(
        out,
        "mass_archive",
        v.address,
        ip,
        "Benign: one evening at home ({ip}) {a} filed years of old mail with its usual mail "
        "program: thousands of items moved from the Inbox into yearly archive folders, and "
        "old newsletters into Deleted Items ({span}); nothing was sent.",
    )
    hook(out, day, partial(_filing, out, ip, v))


def _filing(out: Out, ip: str, v: Persona, day: Day) -> None:
    rng, text, sc = out.rng, out.text, out.sc
    a = v.address
    proto, agent = ("HTTP/WebMail", v.agent) if v.webmail else (v.reader, None)
    t = start = day.at(rng.uniform(18.5, 21.0) * HOUR)
    out.login(t - rng.randrange(30, 300), proto, a, ip, agent)
    peers = list(v.contacts + v.colleagues) or [v.me]
    batches = [(f"Archiv/{y}", rng.randrange(150, 500)) for y in range(2017, 2025)]
    batches.append(("Deleted Items", rng.randrange(100, 400)))
    for dest, n in batches:
        t += rng.randrange(1 * MINUTE, 8 * MINUTE)
        for _ in range(n):
            t += rng.randrange(0, 2)
            peer = rng.choice(peers)
            old = day.start - rng.randrange(400, 3000) * DAY
            sc.ops.add(
                t,
                f"{{MOVE}} Protocol: {proto}, User: {a}, IP: {ip}, Folder: ~{a}/INBOX, "
                f'Destination Folder: ~{a}/{dest}, From: "{quoted(peer[1])}" <{peer[0]}>, '
                f'Subject: "{quoted(text.pick(text.business))}", '
                f"Msg-Id: <<{text.mid('outlook', peer[0].rpartition('@')[2])}>>, "
                f"Delivered: {sc.clock.wall(old)}, Size: {text.size()}\n",
            )
    out.mark(start, t, "mass_archive")
