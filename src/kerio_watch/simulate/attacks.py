"""Attacks no issue names (``SimConfig.attacks``, off by default).

On accounts no other scenario uses, with its own random numbers for what it plants (its
mail goes through the site's mail writer and strangers' addresses, so with it on other
messages' delivery outcomes may differ, as with ``shifts``):

- ``shared_proxy`` (hijack, 3 to 5 accounts): one address of a home-internet provider of
  the site's own country (a residential proxy, not a hosting network) logs in over IMAP
  to several accounts within minutes, with passwords from a leak (odd seeds: the tool
  tries the leak's entries in turn, and the stale ones fail in between) or after a slow
  spray on the days before that stays under every threshold (even seeds: two or three
  failed logins a day, each for another account). It reads for an hour or two,
  then sends phishing to strangers from each account in turn (in its own order), over
  SMTP with one tool that writes bare hex Message-IDs (a shape many programs write).
- ``bec_fraud`` (hijack): business e-mail compromise. A webmail login from a home line
  abroad (odd seeds) or a cloud abroad (even seeds) with a browser the owner never used;
  two to six replies in the account's real threads to its existing correspondents (a
  changed bank account, an invoice), nothing else sent. A filter rule then moves the
  correspondents' answers out of the inbox; Kerio logs no line for setting a rule nor for
  a rule filing a message, so that part is invisible. On even seeds the intruder also
  deletes by hand, in a second webmail session from the same address, the answers that
  arrived before the rule (operations.log moves from the inbox to Deleted Items).
- ``relay_drip`` (hijack): the account's password sold to a spammer who uses the server
  as an authenticated relay for another domain: a message every 15 to 60 minutes over
  a day and a half, each from a new home-line address (the country's and abroad), each
  with a From of the spammer's own domains, to one to three strangers.
"""

from __future__ import annotations

import random
from functools import partial

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.data import ATTACKER_AGENTS, FREEMAIL, SPAM_TLDS
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.internet import named_failure
from kerio_watch.simulate.mail import NORMAL, burst_profile
from kerio_watch.simulate.mailbox import quoted
from kerio_watch.simulate.netplan import address_in
from kerio_watch.simulate.plan import Plan, Planner
from kerio_watch.simulate.sink import LogSink
from kerio_watch.simulate.site import Persona
from kerio_watch.simulate.text import Text
from kerio_watch.simulate.users import WEBMAIL_HOST, WEBMAIL_SERVICE

MINUTE = 60


class _Attacks:
    """The attacks' own random numbers and the logs they write besides mail.log."""

    def __init__(self, sc: Planner, seed: int, security: LogSink) -> None:
        self.sc = sc
        self.seed = seed
        self.rng = sc.site.ips.group(seed * 7_000_003 + 61)
        self.text = Text(random.Random(seed * 7_000_003 + 67), sc.site.hostname)
        self.security = security


def plan_attacks(sc: Planner, days: list[Day], seed: int, security: LogSink) -> None:
    """Plant the three kinds on accounts no other scenario uses (as many as are left)."""
    at = _Attacks(sc, seed, security)
    rng = at.rng
    taken = {p.account for p in sc.plans} | {a for v in sc.site.desks.values() for a in v}
    people = [p for p in sc.site.users if p.address not in taken]
    rng.shuffle(people)
    work = [d for d in days[(2 * len(days) + 2) // 3 :] if d.workday] or days[-1:]
    k = rng.randrange(3, 6)
    if len(people) >= k:
        victims, people = people[:k], people[k:]
        _shared(at, days, rng.choice(work), victims)
    if people:  # its threads are the mail it received by then
        _bec(at, rng.choice(work[:-1] or work), people.pop())
    if people:
        _relay(at, rng.choice(work[:-1] or work), people[0])


# -- shared_proxy ---------------------------------------------------------------------------


def _shared(at: _Attacks, days: list[Day], day: Day, victims: list[Persona]) -> None:
    sc, rng = at.sc, at.rng
    ip = address_in(rng.choice(sc.site.nets.home), rng)
    leak = at.seed % 2 == 1
    how = "passwords from a leak" if leak else "a slow spray on the days before"
    names = ", ".join(v.address for v in victims)
    for v in victims:
        plan = Plan("shared_proxy", v.address, ip)
        plan.notes["describe"] = (
            f"Hijack: the residential proxy {{ip}} ({sc.site.nets.adjective} home line) "
            f"logged in over IMAP to {len(victims)} accounts within minutes ({names}) with "
            f"{how}, read for an hour or two, then sent {{n}} phishing messages to "
            "{recipients} strangers from them in turn, over SMTP ({span})."
        )
        sc.plans.append(plan)
    if not leak:
        before = [d for d in days if day.index - 4 < d.index < day.index]
        for d in before:
            sc.hooks.setdefault(d.index, []).append(partial(_spray, at, ip))
    sc.hooks.setdefault(day.index, []).append(partial(_shared_day, at, ip, victims, leak))


def _spray(at: _Attacks, ip: str, day: Day) -> None:
    """Two or three failed logins in the day, each for another account (under every
    threshold: a careful sprayer)."""
    rng = at.rng
    users = at.sc.site.users
    for who in rng.sample(users, min(len(users), rng.randrange(2, 4))):
        t = day.at(rng.uniform(1.0, 23.0) * HOUR)
        at.security.add(t, named_failure("IMAP", ip, who.address, exists=True))


def _shared_day(at: _Attacks, ip: str, victims: list[Persona], leak: bool, day: Day) -> None:
    sc, rng, text = at.sc, at.rng, at.text
    t = day.at(rng.uniform(8.5, 13.0) * HOUR)
    tries: list[str | None] = [None] * len(victims)
    if leak:  # the leak's other entries: old passwords, people who left
        others = [p.address for p in sc.site.users if p not in victims]
        tries += rng.sample(others, min(len(others), rng.randrange(4, 9)))
        tries += list(rng.sample(sc.site.former, min(len(sc.site.former), 2)))
        rng.shuffle(tries)
    todo = iter(victims)
    for who in tries:  # one after another, within minutes
        if who is None:
            sc._login(t, "IMAP", next(todo).address, ip)
        else:
            exists = who not in sc.site.former
            at.security.add(t, named_failure("IMAP", ip, who, exists=exists))
        t += rng.randrange(1 * MINUTE, 4 * MINUTE)
    end = t + rng.randrange(60 * MINUTE, 120 * MINUTE)
    while t < end:  # reading: the tool polls the mailboxes
        t += rng.randrange(10 * MINUTE, 25 * MINUTE)
        for v in victims:
            sc._login(t + rng.randrange(0, 90), "IMAP", v.address, ip)
    lure = text.pick(text.phish)
    order = victims[:]
    rng.shuffle(order)  # the tool takes the accounts in its own order
    for v in order:
        t += rng.randrange(5 * MINUTE, 20 * MINUTE)
        sc._login(t - rng.randrange(2, 10), "SMTP", v.address, ip)
        for when in sc._times(t, rng.randrange(15, 41), rng.randrange(15 * MINUTE, 40 * MINUTE)):
            rcpts = [sc._stranger(FREEMAIL) for _ in range(rng.randrange(1, 4))]
            mid = text.mid("generic", v.domain)  # a bare hex id, as many programs write
            sc.mail.emit(
                when, "SMTP", v.address, ip, v.address, "yes", rcpts, lure,
                text.small_size(), mid, burst_profile(0.08, 0.1), "shared_proxy",
            )  # fmt: skip
            t = max(t, when)


# -- bec_fraud ------------------------------------------------------------------------------


def _bec(at: _Attacks, day: Day, v: Persona) -> None:
    sc, rng = at.sc, at.rng
    nets = sc.site.nets
    cloud = at.seed % 2 == 0
    ip = address_in(rng.choice(nets.hosting_abroad if cloud else nets.abroad), rng)
    plan = Plan("bec_fraud", v.address, ip)
    where = "a cloud server abroad" if cloud else "a home line abroad"
    hidden = (
        "deleted the answers that came before the rule by hand"
        if cloud
        else "nothing else in the logs"
    )
    plan.notes["describe"] = (
        f"Hijack (business e-mail compromise): a webmail login for {{a}} from {{ip}} ({where}) "
        "with a browser the owner never used sent {n} replies in the account's real "
        "threads to {recipients} of its existing correspondents ({span}): new bank details "
        f"for an invoice. A filter rule then hid their answers (no log line); {hidden}."
    )
    sc.plans.append(plan)
    sc.hooks.setdefault(day.index, []).append(partial(_bec_day, at, v, plan, cloud))


def _bec_day(at: _Attacks, v: Persona, plan: Plan, by_hand: bool, day: Day) -> None:
    sc, rng, text = at.sc, at.rng, at.text
    ip, a = plan.source_ip or "", v.address
    agent = rng.choice(ATTACKER_AGENTS[:2] + ATTACKER_AGENTS[3:])  # a browser, not a script
    t = day.at(rng.uniform(8.0, 14.0) * HOUR)
    sc._login(t, "HTTP/WebMail", a, ip, agent)
    threads = list({peer[0]: (peer, subj) for peer, subj in reversed(v.repliable)}.values())
    outside = [(peer, subj) for peer, subj in threads if peer[5] not in sc.site.local_domains]
    outside = outside or [(peer, text.pick(text.business)) for peer in v.contacts[:10]]
    rng.shuffle(outside)
    answers: list[tuple[int, str, str, str]] = []
    t += rng.randrange(15 * MINUTE, 45 * MINUTE)
    for peer, subj in outside[: rng.randrange(2, 7)]:
        t += rng.randrange(3 * MINUTE, 15 * MINUTE)
        about = f"AW: {subj}"
        mid = text.mid("webmail", sc.site.domain)
        size = rng.randrange(60_000, 220_000)  # the "invoice" attached
        sc.mail.emit(t, WEBMAIL_SERVICE, a, WEBMAIL_HOST, a, "yes", [peer], about, size, mid,
                     NORMAL, "bec_fraud")  # fmt: skip
        sc.traffic.sent_item(t, v, ip, a, about, mid, size)
        if rng.random() < 0.6:  # the correspondent answers within hours
            back = t + rng.randrange(20 * MINUTE, 150 * MINUTE)
            reply = f"AW: {about}"
            rmid = text.mid("outlook", peer[5])
            rsize = text.size()
            sc.mail.emit(back, "SMTP", peer[0], peer[3], "", peer[4], [v.me], reply, rsize, rmid)
            answers.append((back, peer[0], reply, rmid))
    if by_hand and answers:
        _hide(at, v, ip, agent, answers)


def _hide(
    at: _Attacks, v: Persona, ip: str, agent: str, answers: list[tuple[int, str, str, str]]
) -> None:
    """A second session sets the rule and deletes the answers that came before it (the
    rule files the later ones: no line)."""
    sc, rng = at.sc, at.rng
    a = v.address
    t = min(b for b, *_ in answers) + rng.randrange(5 * MINUTE, 40 * MINUTE)
    sc._login(t, "HTTP/WebMail", a, ip, agent)
    for back, frm, subj, mid in sorted(answers):
        if back >= t:
            break
        t += rng.randrange(20, 120)
        sc.ops.add(
            t,
            f"{{MOVE}} Protocol: HTTP/WebMail, User: {a}, IP: {ip}, Folder: ~{a}/INBOX, "
            f'Destination Folder: ~{a}/Deleted Items, From: "" <{frm}>, '
            f'Subject: "{quoted(subj)}", Msg-Id: <<{mid}>>, Delivered: {sc.clock.wall(back)}, '
            f"Size: {at.text.size()}\n",
        )


# -- relay_drip -----------------------------------------------------------------------------


def _relay(at: _Attacks, day: Day, v: Persona) -> None:
    sc, rng = at.sc, at.rng
    nets = sc.site.nets
    homes = (*nets.home, *nets.abroad)
    first = address_in(rng.choice(homes), rng)
    brands = [f"{at.text.token(rng.randrange(5, 9))}{rng.choice(SPAM_TLDS)}" for _ in range(3)]
    plan = Plan("relay_drip", v.address, first)
    plan.notes["describe"] = (
        "Hijack: {a}'s password used to relay spam for other domains ("
        + ", ".join(brands)
        + "): {n} messages to {recipients} strangers, one every 15 to 60 minutes, each "
        "from a new home-line address (first {ip}), over SMTP ({span})."
    )
    sc.plans.append(plan)
    sc.hooks.setdefault(day.index, []).append(partial(_drip, at, v, first, brands))


def _drip(at: _Attacks, v: Persona, first: str, brands: list[str], day: Day) -> None:
    sc, rng, text = at.sc, at.rng, at.text
    nets = sc.site.nets
    homes = (*nets.home, *nets.abroad)
    t = day.at(rng.uniform(7.0, 12.0) * HOUR)
    end = t + rng.randrange(30 * HOUR, 40 * HOUR)
    ip = first
    while t < end:
        sc._login(t - rng.randrange(2, 8), "SMTP", v.address, ip)
        frm = f"{rng.choice(('news', 'info', 'offers', 'service'))}@{rng.choice(brands)}"
        rcpts = [sc._stranger() for _ in range(rng.randrange(1, 4))]
        mid = text.mid("bot", frm.rpartition("@")[2])
        sc.mail.emit(
            t, "SMTP", frm, ip, v.address, "no", rcpts, text.pick(text.spam),
            text.small_size(), mid, burst_profile(0.1, 0.1), "relay_drip",
        )  # fmt: skip
        t += rng.randrange(15 * MINUTE, 60 * MINUTE)
        ip = address_in(rng.choice(homes), rng)
