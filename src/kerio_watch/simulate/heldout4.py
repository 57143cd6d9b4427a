"""Held-out kinds, round four (``SimConfig.heldout4``, off by default).

Kinds no other group plants, written from what a Kerio site's logs show of each, with
their own random numbers: every line goes straight to the logs (the rest of the site is
the same with it on or off), on accounts no other scenario uses.

- ``invite_spam`` (hijack): calendar-invitation spam. From a home line abroad (odd
  seeds) or a cloud abroad (even seeds) with a browser of its own, the intruder logs in
  to the webmail, creates an event and invites hundreds of strangers: each invitation is
  one message (one Queue-ID) to 150 to 400 attendees, sent by the webmail (``Service:
  Kerio Connect Client``), two to four of them in an hour or two. The whole harm of an
  invitation is in its first second: a kind that writes one message per stranger gives
  the detectors time, this one does not.
- ``reply_mule`` (hijack): the mailbox is the reply address of a fraud campaign sent from
  elsewhere (its address in the campaign's Reply-To). The victims' answers ("Re: <the
  campaign's subject>", from strangers) come in all day for three to five days; a sync
  tool on a rented server abroad logs in over IMAP every one to three hours, day and
  night, and moves each answer from the Inbox to Deleted Items before the owner sees it.
  Nothing is sent from the server.
- ``check_then_sell`` (hijack): a credential checker on a rented server tries the
  password over SMTP at night and sends one test message from the account to its own
  freemail inbox; two to four days later the checker itself from the same server (odd
  seeds) or a buyer from a rented server in another country (even seeds), with its own
  mail tool, sends 80 to 150 spam messages to strangers in the evening. Its first harm
  is the check.
- ``event_invitation``, ``junk_cleanup``, ``laptop_setup`` (benign): see
  :mod:`.heldout4_benign`.
"""

from __future__ import annotations

from functools import partial

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.data import FREEMAIL
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.heldout3 import other_browser
from kerio_watch.simulate.heldout4_benign import Item, inbound, plan_benign4, remove
from kerio_watch.simulate.heldout_kit import (
    MINUTE,
    Out,
    hook,
    intruder_abroad,
    late_workdays,
    plan,
    shuffled_people,
)
from kerio_watch.simulate.netplan import address_in
from kerio_watch.simulate.plan import Planner
from kerio_watch.simulate.site import Persona

SALT = 4
"""Round four's random numbers differ from the others' (:class:`.heldout_kit.Out`)."""
WEBMAIL = ("Kerio Connect Client", "0.0.0.0", "yes")  # noqa: S104 - Kerio's Sender-Host
LURES = (
    "Ihre Rückerstattung wartet",
    "Exclusive Investment Webinar",
    "Claim your reward",
    "Paket-Zustellung: Termin bestätigen",
    "Crypto Masterclass - free seats",
)
CAMPAIGNS = (
    "Outstanding invoice {n} - new bank details",
    "Zahlungserinnerung Rechnung {n}",
    "Order {n}: payment confirmation required",
    "Updated remittance details for invoice {n}",
)


def plan_heldout4(sc: Planner, days: list[Day], seed: int) -> None:
    """Plant the kinds on accounts no other scenario uses (as many as are left, the
    hijacks first)."""
    out = Out(sc, seed, SALT)
    rng = out.rng
    people = shuffled_people(out)
    late = late_workdays(days)
    if people:
        _invite(out, rng.choice(late), people.pop())
    if people:
        _mule(out, days, rng.choice(late[: max(1, len(late) - 3)]), people.pop())
    middle = list(days[len(days) // 3 : (2 * len(days)) // 3]) or days[-1:]
    if people:
        _check(out, days, rng.choice(middle), people.pop())
    plan_benign4(out, days, people)


# -- invite_spam ----------------------------------------------------------------------------


def _invite(out: Out, day: Day, v: Persona) -> None:
    ip, where = intruder_abroad(out)
    plan(
        out,
        "invite_spam",
        v.address,
        ip,
        "Hijack: with {a}'s password, from {ip} ("
        + where
        + ") and a browser the owner never used, the intruder logged in to the webmail and "
        "sent calendar invitations, each one message to hundreds of strangers: {n} "
        "invitations to {recipients} attendees ({span}); {bounces}.",
    )
    hook(out, day, partial(_invitations, out, (ip, other_browser(out, v)), v))


def _invitations(out: Out, how: tuple[str, str], v: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    ip, agent = how
    t = day.at(rng.uniform(10.0, 20.0) * HOUR)
    out.login(t, "HTTP/WebMail", v.address, ip, agent)
    for _ in range(rng.randrange(2, 5)):
        t += rng.randrange(4 * MINUTE, 40 * MINUTE)
        when = f"{rng.randrange(1, 29):02d}.04.2026 {rng.randrange(9, 20)}:00"
        subj = f"Invitation: {rng.choice(LURES)} @ {when}"
        rcpts = out.strangers(rng.randrange(150, 401))
        mid = text.mid("webmail", out.sc.site.hostname)
        out.message(t, WEBMAIL, v, rcpts, (subj, rng.randrange(6000, 14000), mid), "invite_spam",
                    0.08)  # fmt: skip
        t += len(rcpts) * 5


# -- reply_mule -----------------------------------------------------------------------------


def _mule(out: Out, days: list[Day], first: Day, v: Persona) -> None:
    rng, nets = out.rng, out.sc.site.nets
    ip = address_in(rng.choice(nets.hosting_abroad), rng)
    campaign = rng.choice(CAMPAIGNS).format(n=rng.randrange(10000, 99999))
    plan(
        out,
        "reply_mule",
        v.address,
        ip,
        "Hijack: {a} is the reply address of a fraud campaign ('"
        + campaign
        + "') sent from elsewhere; the victims' answers came in from strangers and a sync "
        "tool on a rented server abroad ({ip}) logged in over IMAP every few hours and moved "
        "each one to Deleted Items before the owner saw it ({span}); nothing was sent.",
    )
    span = days[first.index : first.index + rng.randrange(3, 6)]
    pending: list[Item] = []
    for k, d in enumerate(span):
        hook(out, d, partial(_mule_day, out, (ip, campaign, k == 0), v, pending))


def _mule_day(
    out: Out, how: tuple[str, str, bool], v: Persona, pending: list[Item], day: Day
) -> None:
    rng, text = out.rng, out.text
    ip, campaign, first = how
    start = day.at(rng.uniform(8.0, 11.0) * HOUR) if first else day.start
    answers = sorted(day.at(rng.uniform(7.0, 23.0) * HOUR) for _ in range(rng.randrange(15, 45)))
    for t in (x for x in answers if x >= start):
        peer = out.stranger()
        subj = f"{rng.choice(text.replies)}{campaign}"
        pending.append(inbound(out, t, peer, v, subj))
    if first and pending:  # the tool's first poll finds the first answer
        start = min(pending)[0]
    t = start + rng.randrange(20 * MINUTE, 60 * MINUTE)
    while t < day.end:
        out.login(t, "IMAP", v.address, ip)
        due = [m for m in pending if m[0] < t]
        for m in due:
            pending.remove(m)
        t2 = t + rng.randrange(5, 30)
        for m in due:
            t2 += rng.randrange(1, 4)
            remove(out, t2, ("IMAP", ip, "Deleted Items"), v, m)
            out.sc.mail.count(t2, t2, False, 0, [], "reply_mule")  # each answer hidden: harm
        t += rng.randrange(60 * MINUTE, 180 * MINUTE)


# -- check_then_sell ------------------------------------------------------------------------


def _check(out: Out, days: list[Day], day: Day, v: Persona) -> None:
    rng, nets = out.rng, out.sc.site.nets
    checker = rng.choice(nets.hosting_abroad)
    buyer = rng.choice([n for n in nets.hosting_abroad if n.country != checker.country]
                       or nets.hosting_abroad)  # fmt: skip
    ip = address_in(checker, rng)
    back = out.seed % 2 == 1  # odd seeds: the checker spams itself, from the same server
    plan(
        out,
        "check_then_sell",
        v.address,
        ip,
        "Hijack: a credential checker on a rented server ({ip}, "
        + checker.owner
        + ") tried {a}'s password over SMTP at night and sent one test message to its own "
        "freemail inbox; days later "
        + (
            "it came back from the same server with its own mail tool and sent spam"
            if back
            else f"the buyer, from a rented server in another country ({buyer.owner}) "
            "with its own mail tool, sent spam"
        )
        + " to strangers: {n} messages to {recipients} recipients ({span}); {bounces}.",
    )
    hook(out, day, partial(_test_message, out, ip, v))
    later = days[min(len(days) - 1, day.index + rng.randrange(2, 5))]
    hook(out, later, partial(_spam_run, out, ip if back else address_in(buyer, rng), v))


def _test_message(out: Out, ip: str, v: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    t = day.at(rng.uniform(1.0, 4.5) * HOUR)
    out.login(t, "SMTP", v.address, ip)
    inbox = f"{text.token(rng.randrange(6, 10))}{rng.randrange(10, 99)}@{rng.choice(FREEMAIL)}"
    subj = f"{v.address} {text.token(6)}"
    mid = text.mid("bot", v.domain)
    out.message(t + rng.randrange(1, 4), ("SMTP", ip, "no"), v, [inbox],
                (subj, rng.randrange(500, 900), mid), "check_then_sell", 0.0)  # fmt: skip


def _spam_run(out: Out, ip: str, v: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    t = day.at(rng.uniform(18.0, 21.0) * HOUR)
    out.login(t, "SMTP", v.address, ip)
    for _ in range(rng.randrange(80, 151)):
        t += rng.randrange(10, 70)
        rcpts = out.strangers(rng.randrange(1, 4))
        mid = text.mid("generic", v.domain)
        out.message(t, ("SMTP", ip, "yes"), v, rcpts, (text.pick(text.spam), text.size(), mid),
                    "check_then_sell", 0.12)  # fmt: skip
