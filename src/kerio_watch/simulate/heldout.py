"""Held-out kinds no other group plants (``SimConfig.heldout``, off by default).

Written from what a Kerio site's logs show of each, with their own random numbers: every
line goes straight to the logs (the rest of the site is the same with it on or off), on
accounts no other scenario uses.

- ``spray_then_read`` (hijack): a slow password spray over five or six days from dozens
  of addresses abroad (botnet homes and rented servers), one or two failed IMAP logins
  per address and day, each for another account (people who left too); one address's
  guess works, it reads the mailbox over IMAP a few times a day for two or three days,
  sending nothing, then sends one "shared document" lure over SMTP to 25 to 50 of the
  account's own correspondents and colleagues, with a mailing tool.
- ``mobile_proxy`` (hijack): a spammer rents a mobile proxy on the owner's own phone
  carrier (its own country, its CGNAT pool): a new carrier address for every SMTP
  connection, 40 to 90 messages to strangers over two hours, PHPMailer's Message-IDs.
- ``session_replay`` (hijack): an infostealer took a webmail user's session cookie; its
  operator replays it from a home line abroad while the owner works: no login line at
  all, 20 to 40 "shared document" messages to the account's correspondents through the
  webmail, each one's move from Drafts to Sent Items in operations.log with the
  operator's address.
- ``imap_exfil`` (hijack): the password works from a rented server abroad; a sync tool
  opens IMAP connection after connection for one to three hours at night and copies the
  mailbox. Nothing is sent, nothing moved.
- ``archive_reader`` (benign): from a working day of the middle third, the IT service
  provider's hosted mail archive (a cloud of the site's country) logs in over IMAP to
  every person's mailbox each night from one address and sends nothing.
- ``phone_swap`` (benign): a person whose phone reads mail on a carrier gets a new model
  (an Android phone with another mail app) on the same carrier; it reads and sends a few
  messages a day to the usual correspondents, with Message-IDs of a program the account
  never used. (The person's old phone keeps its own traffic in the simulation.)
- ``quota_cleanup`` (benign): the mailbox is full; one evening at home the person logs in
  to the webmail and moves 200 to 600 old items from Sent Items and the Inbox to Deleted
  Items (operations.log). Nothing is sent.
"""

from __future__ import annotations

from functools import partial

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.heldout_benign import plan_benign
from kerio_watch.simulate.heldout_kit import (
    MINUTE,
    Out,
    hook,
    late_workdays,
    people_of,
    plan,
    shuffled_people,
)
from kerio_watch.simulate.internet import named_failure
from kerio_watch.simulate.netplan import Net, address_in
from kerio_watch.simulate.plan import Planner
from kerio_watch.simulate.site import Persona
from kerio_watch.simulate.users import WEBMAIL_HOST, WEBMAIL_SERVICE


def plan_heldout(sc: Planner, days: list[Day], seed: int) -> None:
    """Plant the kinds on accounts no other scenario uses (as many as are left, the
    hijacks first)."""
    out = Out(sc, seed)
    rng = out.rng
    people = shuffled_people(out)
    late = late_workdays(days)
    middle = [d for d in days[len(days) // 3 : (2 * len(days)) // 3 + 1] if d.workday]
    middle = middle or [d for d in days if d.workday] or days
    phones = [p for p in people if p.carrier][:2]
    for p in phones:
        people.remove(p)
    if phones:
        _mobile_proxy(out, rng.choice(late), phones[0])
    webmail = [p for p in people if p.webmail]
    if webmail:
        people.remove(webmail[0])
        _session_replay(out, rng.choice(late), webmail[0])
    if people:
        _spray(out, days, late, people.pop())
    if people:
        _exfil(out, rng.choice(late), people.pop())
    plan_benign(out, days, (middle, late), phones[1] if len(phones) > 1 else None, people)


# -- spray_then_read ------------------------------------------------------------------------


def _spray(out: Out, days: list[Day], late: list[Day], v: Persona) -> None:
    rng, nets = out.rng, out.sc.site.nets
    sends = late[-1]
    i = next(k for k, d in enumerate(days) if d.index == sends.index)
    win = max(0, i - rng.randrange(2, 4))  # the guess works 2 or 3 days before the mail
    spray = days[max(0, win - rng.randrange(4, 6)) : win + 1]
    bots = [
        address_in(rng.choice((*nets.abroad, *nets.faraway, *nets.hosting_abroad)), rng)
        for _ in range(rng.randrange(30, 61))
    ]
    ip = bots[0]
    plan(
        out,
        "spray_then_read",
        v.address,
        ip,
        f"Hijack: a slow password spray from {len(bots)} addresses abroad over {len(spray)} "
        "days (one or two failures per address and day, each for another account); the "
        "guess for {a} worked from {ip}, which read the mailbox over IMAP for days, sending "
        "nothing, then sent one lure to {recipients} of the account's correspondents and "
        "colleagues in {n} messages ({span}).",
    )
    for d in spray:
        hook(out, d, partial(_spray_day, out, bots, v))
    for d in days[win : i + 1]:
        hook(out, d, partial(_read_day, out, ip, v, d.index == days[win].index))
    hook(out, sends, partial(_lure, out, ip, v))


def _spray_day(out: Out, bots: list[str], v: Persona, day: Day) -> None:
    sc, rng = out.sc, out.rng
    names = [p.address for p in sc.site.users] + list(sc.site.former)
    for ip in rng.sample(bots, len(bots) // 2):
        for who in rng.sample(names, rng.randrange(1, 3)):
            t = day.at(rng.uniform(0.0, 23.9) * HOUR)
            exists = who not in sc.site.former
            sc.security.add(t, named_failure("IMAP", ip, who, exists=exists))
    t = day.at(rng.uniform(0.0, 23.9) * HOUR)  # the account itself, once a day
    sc.security.add(t, named_failure("IMAP", rng.choice(bots[1:]), v.address, exists=True))


def _read_day(out: Out, ip: str, v: Persona, first: bool, day: Day) -> None:
    rng = out.rng
    if first:  # the guess: a last failure for someone else, then the account's password
        t = day.at(rng.uniform(1.0, 6.0) * HOUR)
        other = rng.choice([p.address for p in out.sc.site.users if p is not v])
        out.sc.security.add(t - rng.randrange(60, 600), named_failure("IMAP", ip, other, True))
        out.login(t, "IMAP", v.address, ip)
    for _ in range(rng.randrange(3, 7)):
        out.login(day.at(rng.uniform(0.5, 23.5) * HOUR), "IMAP", v.address, ip)


def _lure(out: Out, ip: str, v: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    t = day.at(rng.uniform(8.5, 11.0) * HOUR)
    people = people_of(v)
    rng.shuffle(people)
    targets = people[: rng.randrange(25, 51)]
    subj = text.pick(text.phish)
    out.login(t - rng.randrange(2, 9), "SMTP", v.address, ip)
    while targets:
        k = rng.randrange(1, 4)
        rcpts, targets = targets[:k], targets[k:]
        t += rng.randrange(20, 120)
        mid = text.mid("generic", v.domain)
        out.message(t, ("SMTP", ip, "yes"), v, rcpts, (subj, rng.randrange(9_000, 20_000), mid),
                    "spray_then_read")  # fmt: skip


# -- mobile_proxy ---------------------------------------------------------------------------


def _mobile_proxy(out: Out, day: Day, v: Persona) -> None:
    carrier = Net(v.carrier or "", "", "")
    first = address_in(carrier, out.rng)
    plan(
        out,
        "mobile_proxy",
        v.address,
        first,
        "Hijack: {a}'s password used through a mobile proxy on the owner's own phone "
        "carrier (first {ip}, a new carrier address per connection): {n} messages to "
        "{recipients} strangers over SMTP with PHPMailer ({span}).",
    )
    hook(out, day, partial(_proxy_day, out, carrier, first, v))


def _proxy_day(out: Out, carrier: Net, ip: str, v: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    t = day.at(rng.uniform(9.0, 15.0) * HOUR)
    end = t + rng.randrange(90 * MINUTE, 150 * MINUTE)
    subj = text.pick(text.phish)
    n = rng.randrange(40, 91)
    step = (end - t) // n
    for _ in range(n):
        out.login(t - rng.randrange(2, 6), "SMTP", v.address, ip)
        rcpts = [out.stranger() for _ in range(rng.randrange(1, 4))]
        mid = f"{text.token(32)}@{v.domain}"  # PHPMailer: 32 letters and digits
        out.message(t, ("SMTP", ip, "yes"), v, rcpts, (subj, text.small_size(), mid),
                    "mobile_proxy", fail=0.08)  # fmt: skip
        t += max(30, step + rng.randrange(-step // 2, step // 2 + 1))
        ip = address_in(carrier, rng)


# -- session_replay -------------------------------------------------------------------------


def _session_replay(out: Out, day: Day, v: Persona) -> None:
    rng = out.rng
    ip = address_in(rng.choice(out.sc.site.nets.abroad), rng)
    plan(
        out,
        "session_replay",
        v.address,
        ip,
        "Hijack: {a}'s webmail session cookie, stolen by an infostealer, replayed from "
        "{ip} (a home line abroad) with no login line: {n} 'shared document' messages to "
        "{recipients} of the account's correspondents through the webmail ({span}); only "
        "operations.log's Sent Items moves name the address.",
    )
    hook(out, day, partial(_replay_day, out, ip, v))


def _replay_day(out: Out, ip: str, v: Persona, day: Day) -> None:
    rng, text, sc = out.rng, out.text, out.sc
    t = day.at(rng.uniform(10.0, 15.0) * HOUR)
    people = people_of(v)
    rng.shuffle(people)
    targets = people[: rng.randrange(20, 41)]
    subj = text.pick(text.phish)
    size = rng.randrange(9_000, 30_000)
    while targets:
        k = rng.randrange(1, 5)
        rcpts, targets = targets[:k], targets[k:]
        t += rng.randrange(30, 150)
        mid = text.mid("webmail", sc.site.domain)
        out.message(t, (WEBMAIL_SERVICE, WEBMAIL_HOST, "yes"), v, rcpts, (subj, size, mid),
                    "session_replay")  # fmt: skip
        sc.traffic.sent_item(t, v, ip, v.address, subj, mid, size)


# -- imap_exfil -----------------------------------------------------------------------------


def _exfil(out: Out, day: Day, v: Persona) -> None:
    rng = out.rng
    ip = address_in(rng.choice(out.sc.site.nets.hosting_abroad), rng)
    plan(
        out,
        "imap_exfil",
        v.address,
        ip,
        "Hijack: {a}'s password used from the rented server {ip} abroad by a sync tool "
        "that copied the mailbox over IMAP for hours at night ({span}); nothing was sent.",
    )
    hook(out, day, partial(_exfil_day, out, ip, v))


def _exfil_day(out: Out, ip: str, v: Persona, day: Day) -> None:
    rng = out.rng
    t = start = day.at(rng.uniform(0.5, 4.0) * HOUR)
    end = t + rng.randrange(1 * HOUR, 3 * HOUR)
    while t < end:
        for _ in range(rng.randrange(1, 4)):  # the tool's parallel connections
            out.login(t + rng.randrange(0, 5), "IMAP", v.address, ip)
        t += rng.randrange(2 * MINUTE, 12 * MINUTE)
    out.mark(start, t, "imap_exfil")
