"""Held-out kinds, round five (``SimConfig.heldout5``, off by default).

Kinds no other group plants, written from what a Kerio site's logs show of each, with
their own random numbers: every line goes straight to the logs (the rest of the site is
the same with it on or off), on accounts no other scenario uses.

- ``thin_campaign`` (hijack, 3 to 5 accounts): one phishing wave gave a spammer several
  passwords of the site, and it spreads one campaign thin over them so that no account
  leaves its own norms. On one working day, in office hours, each account sends 6 to 12
  messages, each to one or two strangers, over SMTP from a residential proxy of the
  site's own country (an address of its own for each account), with a tool that writes
  Outlook's Message-IDs, the same lure (its number changes) from every account.
- ``mimic_spam`` (hijack): the stealthy intruder. A residential proxy on the owner's own
  home provider, only in the owner's working hours, with Message-IDs of the owner's own
  mail program: on two working days 12 to 25 messages a day, each to one to three
  strangers, a few every hour (under the account's hourly norm), some bouncing.
- ``reset_pivot`` (hijack): the mailbox as the key to the owner's other accounts. From a
  home line abroad (odd seeds) or a cloud abroad (even seeds), with a browser the owner
  never used, the intruder logs in to the webmail and asks four to eight outside services
  (a bank, a shop, a payment service...) for a new password; each reset message, and the
  "your password was changed" notice that follows it, is moved to Deleted Items a minute
  or two after it comes in, before the owner sees it. Nothing is sent from the server.
- ``leave_backlog``, ``fair_followup``, ``assistant_home`` (benign): see
  :mod:`.heldout5_benign`.
"""

from __future__ import annotations

from functools import partial

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.heldout3 import other_browser
from kerio_watch.simulate.heldout4_benign import inbound, remove
from kerio_watch.simulate.heldout5_benign import plan_benign5
from kerio_watch.simulate.heldout_kit import (
    MINUTE,
    Out,
    hook,
    intruder_abroad,
    late_workdays,
    plan,
    shuffled_people,
)
from kerio_watch.simulate.netplan import Net, address_in
from kerio_watch.simulate.plan import Plan, Planner
from kerio_watch.simulate.site import Persona

SALT = 5
"""Round five's random numbers differ from the others' (:class:`.heldout_kit.Out`)."""
LURES = (
    "Ihre Sendung {n}: Zustellung fehlgeschlagen",
    "Rechnung {n} - Zahlungserinnerung",
    "Your parcel {n} is waiting for delivery",
    "Kontoverifizierung erforderlich ({n})",
)
SERVICES = (
    ("service@paypal.de", "PayPal: Passwort zurücksetzen", "PayPal: Ihr Passwort wurde geändert"),
    ("account-update@amazon.de", "Passwort-Unterstützung", "Ihr Amazon-Passwort wurde geändert"),
    ("account-security-noreply@accountprotection.microsoft.com",
     "Microsoft account password reset", "Your Microsoft account password has changed"),
    ("security@facebookmail.com", "Reset your password", "Your password was changed"),
    ("noreply@steampowered.com", "Steam account recovery", "Your Steam password has been changed"),
    ("no-reply@accounts.google.com", "Account recovery code", "Security alert"),
    ("info@n26.com", "Passwort zurücksetzen", "Dein Passwort wurde geändert"),
    ("noreply@ebay.de", "eBay: Passwort zurücksetzen", "eBay: Passwort geändert"),
    ("support@booking.com", "Reset your password", "Your password has been changed"),
    ("noreply@dropbox.com", "Reset your Dropbox password", "Your Dropbox password was changed"),
)  # fmt: skip


def plan_heldout5(sc: Planner, days: list[Day], seed: int) -> None:
    """Plant the kinds on accounts no other scenario uses (as many as are left, the
    hijacks first)."""
    out = Out(sc, seed, SALT)
    rng = out.rng
    people = shuffled_people(out)
    late = late_workdays(days)
    middle = [d for d in days[len(days) // 3 : (2 * len(days)) // 3] if d.workday] or late
    if len(people) >= 3:
        n = min(len(people) - 2, rng.randrange(3, 6))
        victims = [people.pop() for _ in range(max(3, n))]
        _thin(out, rng.choice(late), victims)
    homes = [p for p in people if p.home_net and not p.webmail]
    if homes:
        people.remove(homes[0])
        pairs = [d for d in late[:-1] if days[d.index + 1].workday] or late
        first = rng.choice(pairs)
        _mimic(out, [first, days[min(len(days) - 1, first.index + 1)]], homes[0])
    if people:
        _reset(out, rng.choice(middle), people.pop())
    plan_benign5(out, days, people)


# -- thin_campaign --------------------------------------------------------------------------


def _thin(out: Out, day: Day, victims: list[Persona]) -> None:
    rng, nets = out.rng, out.sc.site.nets
    lure = rng.choice(LURES)
    names = ", ".join(v.address for v in victims)
    for v in victims:
        ip = address_in(rng.choice(nets.home), rng)
        planned = Plan("thin_campaign", v.address, ip)
        planned.notes["describe"] = (
            "Hijack: one campaign spread thin over "
            f"{len(victims)} stolen accounts ({names}) in office hours, each from a "
            f"residential proxy of the site's country (this one {{ip}}) with a tool writing "
            "Outlook's Message-IDs, each under its own norms: this one {n} messages to "
            "{recipients} strangers ({span}); {bounces}."
        )
        planned.notes["tag"] = f"thin_campaign:{v.address}"  # each account's own harm
        out.sc.plans.append(planned)
        hook(out, day, partial(_thin_account, out, (ip, lure), v))


def _thin_account(out: Out, how: tuple[str, str], v: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    ip, lure = how
    tag = f"thin_campaign:{v.address}"
    times = sorted(day.at(rng.uniform(8.5, 16.5) * HOUR) for _ in range(rng.randrange(6, 13)))
    session = -HOUR
    for t in times:
        if t - session > 30 * MINUTE:
            out.login(t - rng.randrange(2, 9), "SMTP", v.address, ip)
            session = t
        subj = lure.format(n=rng.randrange(100000, 999999))
        mid = text.mid("outlook", v.domain)
        rcpts = out.strangers(rng.randrange(1, 3))  # before the size (draw order)
        out.message(t, ("SMTP", ip, "yes"), v, rcpts, (subj, rng.randrange(9000, 40000), mid),
                    tag, 0.1)  # fmt: skip


# -- mimic_spam -----------------------------------------------------------------------------


def own_provider(out: Out, v: Persona) -> Net:
    """The network of the site's country the person's home line belongs to (a home
    network of the country when none holds it)."""
    nets = out.sc.site.nets
    same = [n for n in nets.home if n.cidr == v.home_net]
    return same[0] if same else out.rng.choice(nets.home)


def _mimic(out: Out, two: list[Day], v: Persona) -> None:
    net = own_provider(out, v)
    ip = address_in(net, out.rng)
    plan(
        out,
        "mimic_spam",
        v.address,
        ip,
        "Hijack: a residential proxy on {a}'s own home provider ({ip}, "
        + net.owner
        + ") sent spam only in the owner's working hours, with Message-IDs of the owner's "
        "own mail program, a few messages an hour to strangers over two working days: {n} "
        "messages to {recipients} recipients ({span}); {bounces}.",
    )
    for d in two:
        hook(out, d, partial(_mimic_day, out, ip, v))


def _mimic_day(out: Out, ip: str, v: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    lo, hi = v.start + HOUR, max(v.start + 2 * HOUR, v.end - HOUR)
    times = sorted(day.at(rng.uniform(lo, hi)) for _ in range(rng.randrange(12, 26)))
    session = -HOUR
    for t in times:
        if t - session > 45 * MINUTE:
            out.login(t - rng.randrange(2, 9), "SMTP", v.address, ip)
            session = t
        mid = text.mid(v.client, v.domain)
        out.message(t, ("SMTP", ip, "yes"), v, out.strangers(rng.randrange(1, 4)),
                    (text.pick(text.spam), text.size(), mid), "mimic_spam", 0.08)  # fmt: skip


# -- reset_pivot ----------------------------------------------------------------------------


def _reset(out: Out, day: Day, v: Persona) -> None:
    ip, where = intruder_abroad(out)
    plan(
        out,
        "reset_pivot",
        v.address,
        ip,
        "Hijack: from {ip} ("
        + where
        + ") and a browser the owner never used, the intruder logged in to {a}'s webmail, "
        "asked outside services for new passwords and moved each reset message and each "
        "'password changed' notice to Deleted Items a minute or two after it came in "
        "({span}); nothing was sent.",
    )
    hook(out, day, partial(_resets, out, (ip, other_browser(out, v)), v))


def _resets(out: Out, how: tuple[str, str], v: Persona, day: Day) -> None:
    rng = out.rng
    ip, agent = how
    t = day.at(rng.uniform(9.0, 21.0) * HOUR)
    out.login(t, "HTTP/WebMail", v.address, ip, agent)
    for sender, reset, changed in rng.sample(SERVICES, rng.randrange(4, 9)):
        for subj in (reset, changed):
            t += rng.randrange(40, 4 * MINUTE)
            item = inbound(out, t, sender, v, subj)
            t += rng.randrange(30, 150)
            remove(out, t, ("HTTP/WebMail", ip, "Deleted Items"), v, item)
            out.sc.mail.count(t, t, False, 0, [], "reset_pivot")  # each one hidden: harm
        t += rng.randrange(1 * MINUTE, 6 * MINUTE)
