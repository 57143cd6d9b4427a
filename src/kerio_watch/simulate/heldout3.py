"""Held-out kinds, round three (``SimConfig.heldout3``, off by default).

Kinds whose trace is in the logins, the mailbox operations and the administration, not
in mail.log; written from what a Kerio site's logs show of each, with their own random
numbers: every line goes straight to the logs (the rest of the site is the same with it
on or off), on accounts no other scenario uses.

- ``inbox_diversion`` (hijack): the first step of an invoice fraud. With a phished
  password, from a home line abroad and a browser of its own, the intruder logs in to the
  webmail once or twice a day for three to five days and moves the owner's new mail from
  outside correspondents (suppliers, the bank, customers) out of the Inbox into a folder
  the owner never opens (operations.log). It writes nothing.
- ``device_pair`` (hijack): the password is used to pair the intruder's own phone with
  the mailbox over ActiveSync from a mobile carrier abroad; from then on the device syncs
  the mailbox around the clock (audit.log logins every half hour or so, new carrier
  addresses). Nothing is sent, nothing moved: it reads.
- ``admin_alias`` (hijack): a person who administers the server now and then from the
  office (an office manager with administrator rights) has its password phished; on a
  working day the intruder logs in to the webmail and then to the administration from a
  home line of the site's own country with a browser of its own, and adds an alias that
  delivers the accounts department's address (or the person's) to an outside mailbox
  (config.log). Nothing is sent.
- ``mass_archive``, ``holiday_phone``, ``admin_from_home`` (benign): see
  :mod:`.heldout3_benign`.
"""

from __future__ import annotations

from functools import partial

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.countries import COUNTRIES, net_plan
from kerio_watch.simulate.data import FREEMAIL, WEBMAIL_AGENTS
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.heldout3_benign import ROUTINE, admin_history, plan_benign3
from kerio_watch.simulate.heldout_kit import MINUTE, Out, hook, late_workdays, plan, shuffled_people
from kerio_watch.simulate.mailbox import quoted
from kerio_watch.simulate.netplan import Net, address_in
from kerio_watch.simulate.plan import Planner
from kerio_watch.simulate.sink import LogSink
from kerio_watch.simulate.site import Persona

SALT = 3
"""Round three's random numbers differ from the others' (:class:`.heldout_kit.Out`)."""
HIDDEN = ("RSS Feeds", "Conversation History", "Archive/.sync", "Notes/old")
"""Folders an owner never opens, where an intruder hides mail."""


def plan_heldout3(sc: Planner, days: list[Day], seed: int, config: LogSink) -> None:
    """Plant the kinds on accounts no other scenario uses (as many as are left, the
    hijacks first; ``config``: config.log)."""
    out = Out(sc, seed, SALT)
    rng = out.rng
    people = shuffled_people(out)
    late = late_workdays(days)
    if people:
        _diversion(out, days, rng.choice(late[: max(1, len(late) - 2)]), people.pop())
    if people:
        _device(out, days, rng.choice(late), people.pop())
    admins = [p for p in people if p.home_net][:2]
    for p in admins:
        people.remove(p)
        admin_history(out, days, config, p)
    if admins:
        _admin_alias(out, rng.choice(late), config, admins[0])
    plan_benign3(out, days, config, (admins[1] if len(admins) > 1 else None, people))


def foreign(out: Out) -> str:
    """Another country than the site's."""
    return out.rng.choice([c for c in COUNTRIES if c != out.sc.site.nets.country])


def other_browser(out: Out, v: Persona) -> str:
    return out.rng.choice([a for a in WEBMAIL_AGENTS if a != v.agent])


# -- inbox_diversion ------------------------------------------------------------------------


def _diversion(out: Out, days: list[Day], first: Day, v: Persona) -> None:
    rng = out.rng
    ip = address_in(rng.choice(out.sc.site.nets.abroad), rng)
    agent, folder = other_browser(out, v), rng.choice(HIDDEN)
    plan(
        out,
        "inbox_diversion",
        v.address,
        ip,
        "Hijack: with {a}'s phished password, from {ip} (a home line abroad) and a browser "
        "the owner never used, the intruder logged in to the webmail once or twice a day "
        f"and moved the owner's new mail from outside correspondents into '{folder}' "
        "({span}); nothing was sent.",
    )
    seen = [0]  # the last delivery it moved: each session takes what came in since
    for d in days[first.index : first.index + rng.randrange(3, 6)]:
        for _ in range(rng.randrange(1, 3)):
            hook(out, d, partial(_divert, out, (ip, agent, folder), v, seen))


def _divert(out: Out, how: tuple[str, str, str], v: Persona, seen: list[int], day: Day) -> None:
    rng, sc = out.rng, out.sc
    ip, agent, folder = how
    a = v.address
    t = day.at(rng.uniform(7.0, 23.0) * HOUR)
    out.login(t, "HTTP/WebMail", a, ip, agent)
    local = sc.site.local_domains
    new = [m for m in v.inbox if seen[0] < m[0] < t and m[2].rpartition("@")[2] not in local]
    for delivered, name, sender, subj, mid, size in sorted(new)[-rng.randrange(2, 7) :]:
        t += rng.randrange(15, 90)
        sc.ops.add(
            t,
            f"{{MOVE}} Protocol: HTTP/WebMail, User: {a}, IP: {ip}, Folder: ~{a}/INBOX, "
            f'Destination Folder: ~{a}/{folder}, From: "{quoted(name)}" <{sender}>, '
            f'Subject: "{quoted(subj)}", Msg-Id: <<{mid}>>, '
            f"Delivered: {sc.clock.wall(delivered)}, Size: {size}\n",
        )
        sc.mail.count(t, t, False, 0, [], "inbox_diversion")  # each hidden message: harm
        seen[0] = max(seen[0], delivered)


# -- device_pair ----------------------------------------------------------------------------


def _device(out: Out, days: list[Day], first: Day, v: Persona) -> None:
    rng = out.rng
    there = net_plan(foreign(out))
    carrier = rng.choice(there.mobile)
    plan(
        out,
        "device_pair",
        v.address,
        address_in(carrier, rng),
        "Hijack: {a}'s password paired the intruder's phone with the mailbox over "
        f"ActiveSync from a mobile carrier in {there.country} ({carrier.owner}), which "
        "synced it around the clock from then on ({span}); nothing was sent.",
    )
    start = [first.at(rng.uniform(9.0, 22.0) * HOUR)]
    for d in days[first.index :]:
        hook(out, d, partial(_sync_day, out, carrier, v, start))


def _sync_day(out: Out, carrier: Net, v: Persona, start: list[int], day: Day) -> None:
    rng = out.rng
    t = max(start[0], day.start)
    ip = address_in(carrier, rng)
    while t < day.end:
        out.login(t, "HTTP/ActiveSync", v.address, ip)
        if t == start[0]:
            out.mark(t, t, "device_pair")  # the pairing: from now on it reads
        elif rng.random() < 0.2:  # the carrier hands out a new address now and then
            ip = address_in(carrier, rng)
        t += rng.randrange(15 * MINUTE, 75 * MINUTE)


# -- admin_alias ----------------------------------------------------------------------------


def _admin_alias(out: Out, day: Day, config: LogSink, v: Persona) -> None:
    rng, nets = out.rng, out.sc.site.nets
    ip = address_in(rng.choice(nets.home), rng)
    plan(
        out,
        "admin_alias",
        v.address,
        ip,
        "Hijack: {a} has administrator rights; with its phished password the intruder "
        "logged in to the webmail and the administration from {ip} (a home line of the "
        "country) with a browser the owner never used, and added an alias delivering the "
        "accounts department's mail to an outside mailbox ({span}); nothing was sent.",
    )
    hook(out, day, partial(_alias_session, out, (ip, other_browser(out, v)), config, v))


def _alias_session(
    out: Out, how: tuple[str, str], config: LogSink, v: Persona, day: Day
) -> None:  # fmt: skip
    rng, site = out.rng, out.sc.site
    ip, agent = how
    t = day.at(rng.uniform(9.5, 16.5) * HOUR)
    out.login(t, "HTTP/WebMail", v.address, ip, agent)
    t += rng.randrange(2 * MINUTE, 15 * MINUTE)
    out.login(t, "HTTP/WebAdmin", v.address, ip, agent)
    drop = f"{out.text.token(rng.randrange(6, 10))}{rng.randrange(10, 99)}@{rng.choice(FREEMAIL)}"
    login = v.address.partition("@")[0]
    names = [rng.choice(("rechnung", "buchhaltung", "invoice", "accounts")), login]
    first = t + rng.randrange(40, 240)
    t = first
    for name in names[: rng.randrange(1, 3)]:
        config.add(
            t, f'{v.address} - Insert Alias {{alias="{name}@{site.domain}", deliverTo="{drop}"}}\n'
        )
        t += rng.randrange(40, 240)
    if rng.random() < 0.5:  # and a routine-looking change to blend in
        config.add(t, f"{v.address} - {rng.choice(ROUTINE)}\n")
    out.mark(first, t, "admin_alias")
