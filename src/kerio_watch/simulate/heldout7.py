"""Held-out kinds, round seven (``SimConfig.heldout7``, off by default).

Kinds no other group plants, written from what a Kerio site's logs show of each, with
their own random numbers: every line goes straight to the logs (the rest of the site is
the same with it on or off), on accounts no other scenario uses (the shared role
mailbox is this round's own; the people who work in it keep their own mail as before).

- ``laptop_theft`` (hijack): the owner's laptop, its mail program holding the saved
  password, is stolen. On a working day, in the owner's own hours, the thief connects
  from a home line of the site's country (another provider than the owner's) with that
  same mail program: an IMAP login reads the mailbox, then 25 to 45 messages, each to one
  of the account's own correspondents and colleagues, the same "invoice" lure with the
  same document, the Message-IDs of the owner's own program. The owner works at its desk
  as usual.
- ``bank_change`` (hijack): invoice fraud that sends few but harmful messages. A webmail
  login from a residential proxy of the site's own country (a home provider the owner
  never used) with a browser the owner never used, in office hours while the owner is
  at its desk; three to five new messages ("our bank details have changed"), each to one
  of the account's customers, a few minutes apart, through the webmail (each one's move
  from Drafts to Sent Items in operations.log). On even seeds the same session then moves
  those sent messages to Deleted Items.
- ``role_box_spam`` (hijack): a shared role mailbox (``info@<domain>``, its own account)
  that three people answer customers from all month, from their desks, and some evenings
  from their home lines, with their own mail programs. One evening a residential proxy of
  the site's own country (a home provider) sends 60 to 120 messages with it, each to one to
  three strangers, with Outlook's Message-IDs (a program the box uses), some bouncing.
- ``holiday_greetings``, ``team_move``, ``night_shift`` (benign): see
  :mod:`.heldout7_benign`.
"""

from __future__ import annotations

from functools import partial

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.heldout3 import other_browser
from kerio_watch.simulate.heldout5_benign import WEBMAIL
from kerio_watch.simulate.heldout7_benign import (
    home_elsewhere,
    plan_benign7,
    role_box,
    sent_item,
)
from kerio_watch.simulate.heldout_kit import (
    MINUTE,
    Out,
    hook,
    late_workdays,
    people_of,
    plan,
    shuffled_people,
)
from kerio_watch.simulate.netplan import address_in
from kerio_watch.simulate.plan import Planner
from kerio_watch.simulate.site import Persona

SALT = 7
"""Round seven's random numbers differ from the others' (:class:`.heldout_kit.Out`)."""

LURES = ("Rechnung {n} - Zahlungserinnerung", "Invoice {n} overdue", "Offene Rechnung {n}")
BANK = ("Änderung unserer Bankverbindung", "Neue Bankverbindung ab sofort",
        "Updated bank details for your payments")  # fmt: skip


def plan_heldout7(sc: Planner, days: list[Day], seed: int) -> None:
    """Plant the kinds on accounts no other scenario uses (as many as are left, the
    hijacks first), and the role mailbox."""
    out = Out(sc, seed, SALT)
    rng = out.rng
    people = shuffled_people(out)
    late = late_workdays(days)
    laptops = [p for p in people if not p.webmail and len(people_of(p)) >= 10]
    if laptops:
        people.remove(laptops[0])
        _laptop(out, rng.choice(late), laptops[0])
    customers = [p for p in people if p.contacts]
    if customers:
        people.remove(customers[0])
        _bank(out, rng.choice(late), customers[0])
    _role_box(out, days, rng.choice(late))
    plan_benign7(out, days, people)


# -- laptop_theft ---------------------------------------------------------------------------


def _laptop(out: Out, day: Day, v: Persona) -> None:
    ip, owner = home_elsewhere(out, v)
    plan(
        out,
        "laptop_theft",
        v.address,
        ip,
        "Hijack: {a}'s laptop was stolen with its mail program's saved password; in the "
        "owner's hours the thief's home line ({ip}, "
        + owner
        + ") read the mailbox over IMAP and sent the same invoice lure with the same "
        "document to {recipients} of the account's own correspondents and colleagues, "
        "with the owner's own program ({span}).",
    )
    hook(out, day, partial(_thief, out, ip, v))


def _thief(out: Out, ip: str, v: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    lo, hi = v.start + HOUR, max(v.start + 2 * HOUR, v.end - 2 * HOUR)
    t = day.at(rng.uniform(lo, hi))
    out.login(t, "IMAP", v.address, ip)
    t += rng.randrange(5 * MINUTE, 20 * MINUTE)
    out.login(t - rng.randrange(2, 9), "SMTP", v.address, ip)
    subj = rng.choice(LURES).format(n=rng.randrange(20_000, 99_999))
    size = rng.randrange(90_000, 240_000)
    people = people_of(v)
    rng.shuffle(people)
    for peer in people[: rng.randrange(25, 46)]:
        t += rng.randrange(20, 90)
        mid = text.mid(v.client, v.domain)
        what = (subj, size + rng.randrange(0, 400), mid)
        out.message(t, ("SMTP", ip, "yes"), v, [peer], what, "laptop_theft", 0.02)


# -- bank_change ----------------------------------------------------------------------------


def _bank(out: Out, day: Day, v: Persona) -> None:
    ip, owner = home_elsewhere(out, v)
    hide = out.seed % 2 == 0
    plan(
        out,
        "bank_change",
        v.address,
        ip,
        "Hijack: invoice fraud from a residential proxy of the site's country ({ip}, "
        + owner
        + ") with a browser the owner never used: a webmail session sent {n} messages "
        "'our bank details have changed' to {recipients} of {a}'s customers ({span})"
        + (" and moved them from Sent Items to Deleted Items." if hide else "."),
    )
    hook(out, day, partial(_fraud, out, (ip, other_browser(out, v), hide), v))


def _fraud(out: Out, how: tuple[str, str, bool], v: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    ip, agent, hide = how
    t = day.at(rng.uniform(max(v.start, 8 * HOUR) + HOUR, min(v.end, 17 * HOUR) - HOUR))
    out.login(t, "HTTP/WebMail", v.address, ip, agent)
    t += rng.randrange(3 * MINUTE, 12 * MINUTE)
    customers = list(dict.fromkeys(p[0] for p in v.contacts))
    rng.shuffle(customers)
    subj = rng.choice(BANK)
    sent = []
    for peer in customers[: rng.randrange(3, 6)]:
        t += rng.randrange(2 * MINUTE, 9 * MINUTE)
        mid = text.mid("webmail", out.sc.site.hostname)
        size = rng.randrange(40_000, 120_000)
        out.message(t, WEBMAIL, v, [peer], (subj, size, mid), "bank_change", 0.0)
        sent_item(out, t + 1, (ip, v), (subj, mid, size))
        sent.append((t, mid, size))
    if hide:
        t += rng.randrange(MINUTE, 4 * MINUTE)
        for when, mid, size in sent:
            t += rng.randrange(2, 8)
            sent_item(out, t, (ip, v), (subj, mid, size), ("Sent Items", "Deleted Items"), when)


# -- role_box_spam --------------------------------------------------------------------------


def _role_box(out: Out, days: list[Day], day: Day) -> None:
    box = role_box(out, days, "info", "role_box")
    if box is None:
        return
    rng, nets = out.rng, out.sc.site.nets
    net = rng.choice(nets.home)
    ip = address_in(net, rng)
    plan(
        out,
        "role_box_spam",
        box.address,
        ip,
        "Hijack: the shared role mailbox {a} (three people answer customers from it all "
        "month, from their desks and home lines) sent {n} messages to {recipients} "
        "strangers one evening from a residential proxy of the site's country ({ip}, "
        + net.owner
        + ") with Outlook's Message-IDs ({span}); {bounces}.",
    )
    hook(out, day, partial(_box_spam, out, ip, box))


def _box_spam(out: Out, ip: str, box: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    t = day.at(rng.uniform(18.5, 21.5) * HOUR)
    session = -HOUR
    for _ in range(rng.randrange(60, 121)):
        t += rng.randrange(15, 70)
        if t - session > 12 * MINUTE:
            out.login(t - rng.randrange(1, 4), "SMTP", box.address, ip)
            session = t
        mid = text.mid("outlook", box.domain)
        what = (text.pick(text.phish), text.size(), mid)
        out.message(t, ("SMTP", ip, "yes"), box, out.strangers(rng.randrange(1, 4)), what,
                    "role_box_spam", 0.08)  # fmt: skip
