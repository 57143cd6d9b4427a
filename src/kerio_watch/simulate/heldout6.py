"""Held-out kinds, round six (``SimConfig.heldout6``, off by default).

Kinds no other group plants, written from what a Kerio site's logs show of each, with
their own random numbers: every line goes straight to the logs (the rest of the site is
the same with it on or off), on accounts no other scenario uses (the two copiers' accounts
are this round's own).

- ``botnet_guess`` (hijack): a distributed brute force on one account. For a day or so,
  120 to 300 addresses of a botnet (home lines of the site's country, abroad and far
  away) each try one password over SMTP (a few over IMAP), a few minutes apart: no
  address fails twice, so no per-address limit (AntiHammering, the password-guessing
  block) ever trips. One more bot's guess works; it sends 60 to 140 spam messages to
  strangers over SMTP at once, with two or three other bots of the net joining in.
- ``scanner_takeover`` (hijack): the scan-to-mail account of a multifunction printer
  (``printer@<domain>``, its own account, From itself), which from the first day sends
  scans from the copier's LAN address to the staff. Its password (the installer's
  default) is used on a working day in office hours from a rented server of the site's
  own country: 80 to 200 "Scan from <brand> <time stamp>" messages with a PDF-sized
  attachment, each to one to three strangers, over SMTP with TLS.
- ``vpn_thread_spam`` (hijack): a thread hijack (the way QakBot and Emotet spread) from a
  commercial VPN exit of the site's own country: an IMAP login reads the mailbox, then,
  from the same address, 30 to 60 replies ("AW: <a real subject>") to the account's real
  correspondents, one each, half a minute to two minutes apart, with a mail program the
  owner never used; each with the same archive attachment (even seeds) or with a
  document made for that message, of its own size (odd seeds, as Emotet did).
- ``failed_spray``, ``scan_cloud``, ``vpn_catchup`` (benign): see :mod:`.heldout6_benign`.
"""

from __future__ import annotations

from functools import partial

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.heldout6_benign import (
    Copier,
    bots,
    by_day,
    copier,
    plan_benign6,
    scan_days,
    spray,
    threads_of,
)
from kerio_watch.simulate.heldout_kit import (
    MINUTE,
    Out,
    hook,
    late_workdays,
    plan,
    shuffled_people,
)
from kerio_watch.simulate.netplan import address_in
from kerio_watch.simulate.plan import Planner
from kerio_watch.simulate.site import LAN_PREFIX, Persona

SALT = 6
"""Round six's random numbers differ from the others' (:class:`.heldout_kit.Out`)."""


def plan_heldout6(sc: Planner, days: list[Day], seed: int) -> None:
    """Plant the kinds on accounts no other scenario uses (as many as are left, the
    hijacks first), and the copiers' accounts."""
    out = Out(sc, seed, SALT)
    rng = out.rng
    people = shuffled_people(out)
    late = late_workdays(days)
    if people:
        _botnet(out, days, rng.choice(late), people.pop())
    _scanner(out, days, rng.choice(late))
    threads = [p for p in people if p.contacts and not p.webmail]
    if threads:
        people.remove(threads[0])
        _thread_spam(out, rng.choice(late), threads[0])
    plan_benign6(out, days, people)


# -- botnet_guess ---------------------------------------------------------------------------


def _botnet(out: Out, days: list[Day], day: Day, v: Persona) -> None:
    rng = out.rng
    net = bots(out, rng.randrange(120, 301) + 4)
    ip, helpers, guessers = net[0], net[1:4], net[4:]
    end = day.at(rng.uniform(7.0, 20.0) * HOUR)
    start = end - rng.randrange(18 * HOUR, 30 * HOUR)
    plan(
        out,
        "botnet_guess",
        v.address,
        ip,
        f"Hijack: a distributed brute force on {{a}}: {len(guessers)} botnet addresses each "
        "tried one password (SMTP, a few IMAP) over a day, none twice, under every "
        "per-address limit; the guess of {ip} worked and it sent {n} spam messages to "
        "{recipients} strangers with three other bots ({span}); {bounces}.",
    )
    events = spray(out, (start, end), guessers, v)
    events.append((end, partial(_botnet_spam, out, (ip, *helpers), v)))
    by_day(out, days, events)


def _botnet_spam(out: Out, net: tuple[str, ...], v: Persona, t: int) -> None:
    rng, text = out.rng, out.text
    ip, helpers = net[0], net[1:]
    out.login(t, "SMTP", v.address, ip)
    sender, session = ip, t
    for k in range(rng.randrange(60, 141)):
        t += rng.randrange(5, 50)
        if k >= 10 and t - session > 10 * MINUTE:
            sender, session = rng.choice(helpers), t
            out.login(t - rng.randrange(1, 4), "SMTP", v.address, sender)
        mid = text.mid("bot", v.domain)
        out.message(t, ("SMTP", sender, "yes"), v, out.strangers(rng.randrange(1, 4)),
                    (text.pick(text.spam), text.size(), mid), "botnet_guess", 0.12)  # fmt: skip


# -- scanner_takeover -----------------------------------------------------------------------


def _scanner(out: Out, days: list[Day], day: Day) -> None:
    rng, nets = out.rng, out.sc.site.nets
    device = copier(out, "printer", f"{LAN_PREFIX}235")
    if device is None:
        return
    ip = address_in(rng.choice(nets.hosting), rng)
    plan(
        out,
        "scanner_takeover",
        device.who.address,
        ip,
        "Hijack: the copier's scan-to-mail account {a} (from the first day scans from "
        + device.ip
        + " to the staff) was used with its default password from a rented server of the "
        "site's country ({ip}) in office hours: {n} 'Scan from "
        + device.brand
        + "' messages with a PDF-sized attachment to {recipients} strangers ({span}); "
        "{bounces}.",
    )
    scan_days(out, days, device, days[-1].index + 1)
    hook(out, day, partial(_scanner_spam, out, (ip, device)))


def _scanner_spam(out: Out, how: tuple[str, Copier], day: Day) -> None:
    rng = out.rng
    ip, device = how
    v = device.who
    t = day.at(rng.uniform(9.0, 15.0) * HOUR)
    session = -HOUR
    for _ in range(rng.randrange(80, 201)):
        t += rng.randrange(10, 60)
        if t - session > 15 * MINUTE:
            out.login(t - rng.randrange(1, 4), "SMTP", v.address, ip)
            session = t
        stamp = out.sc.clock.local_text(t).replace("-", "").replace(":", "").replace(" ", "")
        mid = f"{t}.{rng.randrange(10**5)}@{device.ip}"  # the copier's own Message-IDs
        out.message(t, ("SMTP", ip, "yes"), v, out.strangers(rng.randrange(1, 4)),
                    (f"Scan from {device.brand} {stamp}", rng.randrange(150_000, 900_000), mid),
                    "scanner_takeover", 0.1)  # fmt: skip


# -- vpn_thread_spam ------------------------------------------------------------------------


def _thread_spam(out: Out, day: Day, v: Persona) -> None:
    rng, nets = out.rng, out.sc.site.nets
    exit_net = rng.choice(nets.hosting)
    ip = address_in(exit_net, rng)
    plan(
        out,
        "vpn_thread_spam",
        v.address,
        ip,
        "Hijack: from a commercial VPN exit of the site's country ({ip}, "
        + exit_net.owner
        + ") an IMAP login read {a}'s mailbox, then the same address sent {n} replies in the "
        "account's real threads to {recipients} of its real correspondents ({span}), with "
        "a mail program the owner never used and "
        + ("a document made for each message" if out.seed % 2 else "one archive attachment")
        + ".",
    )
    hook(out, day, partial(_thread_replies, out, ip, v))


def _thread_replies(out: Out, ip: str, v: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    t = day.at(rng.uniform(8.0, 16.0) * HOUR)
    out.login(t, "IMAP", v.address, ip)
    t += rng.randrange(10 * MINUTE, 40 * MINUTE)
    out.login(t - rng.randrange(2, 9), "SMTP", v.address, ip)
    threads = threads_of(out, v)
    style = "outlook" if v.client == "thunderbird" else "thunderbird"
    size = rng.randrange(120_000, 260_000)
    own = out.seed % 2 == 1  # a document made for each message (Emotet), else one archive
    for peer, subj in threads[: rng.randrange(30, 61)]:
        t += rng.randrange(30, 120)
        reply = subj if subj[:3].lower() in ("aw:", "re:") else f"AW: {subj}"
        mid = text.mid(style, v.domain)
        one = rng.randrange(60_000, 400_000) if own else size + rng.randrange(0, 900)
        what = (reply, one, mid)
        out.message(t, ("SMTP", ip, "yes"), v, [peer], what, "vpn_thread_spam", 0.02)
