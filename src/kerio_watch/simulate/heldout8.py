"""Held-out kinds, round eight (``SimConfig.heldout8``, off by default).

Kinds no other group plants, written from what a Kerio site's logs show of each, with
their own random numbers: every line goes straight to the logs (the rest of the site is
the same with it on or off), on accounts no other scenario uses.

- ``slow_guess`` (hijack): a guesser that never trips a limit. One address (a rented
  server abroad on even seeds, a home line abroad on odd ones) tries one account's
  password about once an hour, day and night, for three to five days (failed IMAP logins,
  now and then SMTP; never ten an hour, never another account). One evening a guess
  works: an IMAP login from the same address, and a quarter of an hour later 50 to 100
  spam messages to strangers over SMTP with its own mail tool, some bouncing.
- ``leave_hijack`` (hijack): the intruder waits for the owner's leave (the site's planned
  leave: nobody at the desk all week, now and then an evening message from home). On a
  working day of it, in office hours, a webmail login from a home line of the site's own
  country (a residential proxy of a provider the owner never used) with a browser the
  owner never used sends one "shared document" lure to 20 to 40 of the account's own
  correspondents and colleagues, one message each, a minute or two apart, through the
  webmail (each one's move from Drafts to Sent Items in operations.log).
- ``hand_forward`` (hijack): data theft by hand. One evening a webmail login (a home line
  of the site's country the owner never used on even seeds, a home line abroad on odd
  ones; a browser the owner never used) forwards 15 to 40 of the documents the account
  received ("WG: <their subject>", with their attachments) one by one to one outside
  freemail address. Nothing else is sent; no stranger but that one.
- ``stale_home_pc``, ``grand_tour``, ``forward_home`` (benign): see :mod:`.heldout8_benign`.
"""

from __future__ import annotations

from functools import partial

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.heldout3 import other_browser
from kerio_watch.simulate.heldout5_benign import WEBMAIL
from kerio_watch.simulate.heldout7_benign import home_elsewhere, sent_item
from kerio_watch.simulate.heldout8_benign import (
    FORWARDS,
    at_home,
    leave_of,
    plan_benign8,
    received_subjects,
)
from kerio_watch.simulate.heldout_kit import (
    MINUTE,
    Out,
    hook,
    intruder_abroad,
    late_workdays,
    people_of,
    plan,
    shuffled_people,
)
from kerio_watch.simulate.internet import named_failure
from kerio_watch.simulate.plan import Planner
from kerio_watch.simulate.site import Persona

SALT = 8
"""Round eight's random numbers differ from the others' (:class:`.heldout_kit.Out`)."""

LURES = ("Dokument freigegeben: Angebot_{n}.pdf", "Shared document: Contract {n}",
         "Freigabe: Unterlagen {n}")  # fmt: skip


def plan_heldout8(sc: Planner, days: list[Day], seed: int) -> None:
    """Plant the kinds on accounts no other scenario uses (as many as are left, the
    hijacks first)."""
    out = Out(sc, seed, SALT)
    rng = out.rng
    people = shuffled_people(out)
    late = late_workdays(days)
    away = [p for p in people if _leave_workdays(days, p) and len(people_of(p)) >= 10]
    if away:
        people.remove(away[0])
        _leave_hijack(out, rng.choice(_leave_workdays(days, away[0])), away[0])
    guessable = _homeless_first([p for p in people if not leave_of(days, p)])
    starts = [d for d in late if d.index >= 5]
    if guessable and starts:
        people.remove(guessable[0])
        _slow_guess(out, days, rng.choice(starts), guessable[0])
    senders = _homeless_first([p for p in people if p.contacts])
    if senders:
        people.remove(senders[0])
        _hand_forward(out, rng.choice(late), senders[0])
    plan_benign8(out, days, people)


def _homeless_first(people: list[Persona]) -> list[Persona]:
    """The people who do not work from a home line first: the benign kinds need those."""
    return sorted(people, key=at_home)


def _leave_workdays(days: list[Day], v: Persona) -> list[Day]:
    """The working days of the person's leave after its first week of history."""
    return [d for d in leave_of(days, v) if d.workday and d.index in v.off_days and d.index >= 7]


# -- slow_guess -----------------------------------------------------------------------------


def _slow_guess(out: Out, days: list[Day], day: Day, v: Persona) -> None:
    rng = out.rng
    ip, what = intruder_abroad(out)
    first = days[day.index - rng.randrange(3, 6)]
    plan(
        out,
        "slow_guess",
        v.address,
        ip,
        f"Hijack: from {what} ({{ip}}) a guesser tried {{a}}'s password about once an hour, "
        f"day and night, for {day.index - first.index} days (never ten an hour, no other "
        "account); one evening a guess worked and the same address sent {n} spam messages "
        "to {recipients} strangers with its own mail tool ({span}); {bounces}.",
    )
    start = first.at(rng.uniform(0.0, 23.0) * HOUR)
    tries, t = [], start
    while t < day.at(19.0 * HOUR):  # the hourly tries, across midnights, until the evening
        tries.append(t)
        t += rng.randrange(50 * MINUTE, 70 * MINUTE)
    for d in days[first.index : day.index + 1]:
        today = [x for x in tries if d.at(0) <= x < d.at(24 * HOUR)]
        hook(out, d, partial(_guess_day, out, (ip, today), v))
    hook(out, day, partial(_spam, out, (ip, t), v))


def _guess_day(out: Out, how: tuple[str, list[int]], v: Persona, day: Day) -> None:
    """The day's failed logins (``how``: the guesser's address, their times)."""
    rng = out.rng
    ip, tries = how
    for t in tries:
        proto = "SMTP" if rng.random() < 0.25 else "IMAP"
        out.sc.security.add(t, named_failure(proto, ip, v.address, True))


def _spam(out: Out, how: tuple[str, int], v: Persona, day: Day) -> None:
    """The guess that works (the evening's first hourly try, at ``how[1]``), and the spam
    after it."""
    rng, text = out.rng, out.text
    ip, t = how
    out.login(t, "IMAP", v.address, ip)
    t += rng.randrange(10 * MINUTE, 20 * MINUTE)
    out.login(t - rng.randrange(2, 9), "SMTP", v.address, ip)
    for _ in range(rng.randrange(50, 101)):
        t += rng.randrange(10, 60)
        what = (text.pick(text.spam), text.size(), text.mid("bot", v.domain))
        out.message(t, ("SMTP", ip, "yes"), v, out.strangers(rng.randrange(1, 4)), what,
                    "slow_guess", 0.08)  # fmt: skip


# -- leave_hijack ---------------------------------------------------------------------------


def _leave_hijack(out: Out, day: Day, v: Persona) -> None:
    ip, owner = home_elsewhere(out, v)
    plan(
        out,
        "leave_hijack",
        v.address,
        ip,
        "Hijack: while {a} was on leave (away from its desk all week), a webmail login "
        "from a residential proxy of the site's country ({ip}, "
        + owner
        + ") with a browser the owner never used sent one 'shared document' lure to "
        "{recipients} of the account's correspondents and colleagues, one message each, "
        "through the webmail ({span}).",
    )
    hook(out, day, partial(_leave_lure, out, (ip, other_browser(out, v)), v))


def _leave_lure(out: Out, how: tuple[str, str], v: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    ip, agent = how
    t = day.at(rng.uniform(9.0, 15.0) * HOUR)
    out.login(t, "HTTP/WebMail", v.address, ip, agent)
    t += rng.randrange(3 * MINUTE, 10 * MINUTE)
    people = people_of(v)
    rng.shuffle(people)
    subj = rng.choice(LURES).format(n=rng.randrange(1_000, 9_999))
    size = rng.randrange(12_000, 30_000)
    for peer in people[: rng.randrange(20, 41)]:
        t += rng.randrange(50, 150)
        mid = text.mid("webmail", out.sc.site.hostname)
        what = (subj, size + rng.randrange(0, 300), mid)
        out.message(t, WEBMAIL, v, [peer], what, "leave_hijack", 0.01)
        sent_item(out, t + 1, (ip, v), (what[0], mid, what[1]))


# -- hand_forward ---------------------------------------------------------------------------


def _hand_forward(out: Out, day: Day, v: Persona) -> None:
    if out.seed % 2 == 0:
        ip, what = home_elsewhere(out, v)
        what = f"a home line of the site's country, {what}"
    else:
        ip, what = intruder_abroad(out)
    drop = out.stranger()
    plan(
        out,
        "hand_forward",
        v.address,
        ip,
        f"Hijack: one evening a webmail login from {what} ({{ip}}) with a browser the owner "
        f"never used forwarded {{n}} documents {{a}} had received, one by one, to the "
        f"outside address {drop} ({{span}}).",
    )
    hook(out, day, partial(_forward_out, out, (ip, other_browser(out, v), drop), v))


def _forward_out(out: Out, how: tuple[str, str, str], v: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    ip, agent, drop = how
    t = day.at(rng.uniform(19.0, 22.5) * HOUR)
    out.login(t, "HTTP/WebMail", v.address, ip, agent)
    t += rng.randrange(2 * MINUTE, 8 * MINUTE)
    prefix = rng.choice(FORWARDS)
    for subj in received_subjects(out, v, rng.randrange(15, 41)):
        t += rng.randrange(30, 3 * MINUTE)
        mid = text.mid("webmail", out.sc.site.hostname)
        what = (prefix + subj, rng.randrange(100_000, 4_000_000), mid)
        out.message(t, WEBMAIL, v, [drop], what, "hand_forward", 0.0)
        sent_item(out, t + 1, (ip, v), (what[0], mid, what[1]))
