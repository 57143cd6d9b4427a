"""Held-out kinds, round two (``SimConfig.heldout2``, off by default).

Kinds nothing else in the simulator plants, written from what a Kerio site's logs show of
each, with their own random numbers: every line goes straight to the logs (the rest of the
site is the same with it on or off), on accounts no other scenario uses.

- ``lan_night_spam`` (hijack): malware on a person's desk PC in the office (the PC is left
  on overnight) uses the mail program's saved password: SMTP AUTH as the person from the
  PC's own LAN address, From the person's address, at night for two or three nights, 20
  to 60 messages a night to strangers with its own mail engine, some bouncing.
- ``vpn_intruder`` (hijack): the person's password, which is also its VPN password, works
  on the office VPN; the VPN hands the intruder an address of its pool (a trusted network)
  that no person has. Late in the evening it reads the mailbox over IMAP for an hour,
  then sends one "shared document" lure over SMTP to 30 to 60 of the account's own
  correspondents and colleagues with a mailing tool.
- ``autoreply_lure`` (hijack): a webmail login from a home line abroad with a browser the
  owner never used sets a filter rule that answers every incoming message with a reply
  ("our bank details have changed"), then leaves. Kerio logs no line for the rule; from
  then on each message to the account gets an answer from the server (``Service:
  Sieve``, From the account, To the sender), strangers and spam included, while the
  owner keeps working as usual.
- ``field_engineer`` (benign), ``outside_bookkeeper`` (benign), ``leave_abroad``
  (benign): see :mod:`.heldout2_benign`.
"""

from __future__ import annotations

from functools import partial

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.data import ATTACKER_AGENTS
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.heldout2_benign import plan_benign2
from kerio_watch.simulate.heldout_kit import (
    MINUTE,
    Out,
    hook,
    late_workdays,
    people_of,
    plan,
    shuffled_people,
)
from kerio_watch.simulate.mail import MailLog, Spec
from kerio_watch.simulate.netplan import address_in, server_in
from kerio_watch.simulate.plan import Planner
from kerio_watch.simulate.site import VPN_PREFIX, Persona

SALT = 2
"""Round two's random numbers differ from round one's (:class:`.heldout_kit.Out`)."""
LOOPBACK = "127.0.0.1"


def plan_heldout2(sc: Planner, days: list[Day], seed: int) -> None:
    """Plant the kinds on accounts no other scenario uses (as many as are left, the
    hijacks first); the auto-reply's answers hang on the mail writer's ``after``."""
    out = Out(sc, seed, SALT)
    rng = out.rng
    people = shuffled_people(out)
    late = late_workdays(days)
    desk = [p for p in people if not p.webmail]
    if desk:
        people.remove(desk[0])
        _lan_night(out, days, rng.choice(late), desk[0])
    if people:
        no_vpn = [p for p in people if not p.vpn_ip] or people
        people.remove(no_vpn[0])
        _vpn(out, rng.choice(late), no_vpn[0])
    if people:  # a rule needs days of mail after it
        _autoreply(out, rng.choice(late[: max(1, len(late) - 3)]), people.pop())
    plan_benign2(out, days, people)


# -- lan_night_spam -------------------------------------------------------------------------


def _lan_night(out: Out, days: list[Day], first: Day, v: Persona) -> None:
    nights = days[first.index : first.index + out.rng.randrange(2, 4)]
    plan(
        out,
        "lan_night_spam",
        v.address,
        v.lan_ip,
        "Hijack: malware on {a}'s desk PC ({ip}, the office LAN) sent {n} spam messages to "
        "{recipients} strangers at night with the mail program's saved password, over "
        f"{len(nights)} nights ({{span}}); {{bounces}}.",
    )
    for d in nights:
        hook(out, d, partial(_night, out, v))


def _night(out: Out, v: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    t = day.at(rng.uniform(0.5, 2.5) * HOUR) + 24 * HOUR  # after midnight
    end = t + rng.randrange(90 * MINUTE, 150 * MINUTE)
    n = rng.randrange(20, 61)
    step = (end - t) // n
    subj = text.pick(text.spam)
    for _ in range(n):
        out.login(t - rng.randrange(1, 3), "SMTP", v.address, v.lan_ip)
        rcpts = [out.stranger() for _ in range(rng.randrange(1, 5))]
        mid = text.mid("generic", v.domain)
        out.message(t, ("SMTP", v.lan_ip, "no"), v, rcpts, (subj, text.small_size(), mid),
                    "lan_night_spam", fail=0.12)  # fmt: skip
        t += max(20, step + rng.randrange(-step // 2, step // 2 + 1))


# -- vpn_intruder ---------------------------------------------------------------------------


def _vpn(out: Out, day: Day, v: Persona) -> None:
    ip = f"{VPN_PREFIX}{out.rng.randrange(250, 254)}"  # the pool's people have 10 to 249
    plan(
        out,
        "vpn_intruder",
        v.address,
        ip,
        "Hijack: {a}'s password worked on the office VPN; from the VPN address {ip} (a "
        "trusted network) the intruder read the mailbox over IMAP in the evening, then sent "
        "one lure to {recipients} of the account's correspondents and colleagues in {n} "
        "messages over SMTP ({span}).",
    )
    hook(out, day, partial(_vpn_evening, out, ip, v))


def _vpn_evening(out: Out, ip: str, v: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    t = day.at(rng.uniform(21.0, 23.0) * HOUR)
    for _ in range(rng.randrange(2, 5)):
        out.login(t, "IMAP", v.address, ip)
        t += rng.randrange(5 * MINUTE, 25 * MINUTE)
    targets = people_of(v)
    rng.shuffle(targets)
    targets = targets[: rng.randrange(30, 61)]
    subj = text.pick(text.phish)
    out.login(t - rng.randrange(2, 9), "SMTP", v.address, ip)
    while targets:
        k = rng.randrange(1, 4)
        rcpts, targets = targets[:k], targets[k:]
        t += rng.randrange(20, 90)
        mid = text.mid("generic", v.domain)
        out.message(t, ("SMTP", ip, "yes"), v, rcpts, (subj, rng.randrange(9_000, 20_000), mid),
                    "vpn_intruder")  # fmt: skip


# -- autoreply_lure -------------------------------------------------------------------------


class AutoReplies:
    """The intruder's reply rule: after each inbound message to the account, the server's
    answer to its sender (``Service: Sieve``), as :mod:`.forwards` writes a vacation
    reply; chained after any other ``after`` of the mail writer."""

    def __init__(self, out: Out, account: str, start: int, subject: str) -> None:
        self.out = out
        self.account = account
        self.start = start
        self.subject = subject
        self.with_user = out.seed % 2 == 0  # as forwards: both shapes of the line
        self.chained = out.sc.mail.after
        self.counter = 0

    def after(self, mail: MailLog, spec: Spec) -> None:
        if self.chained is not None:
            self.chained(mail, spec)
        t, _, svc, frm, _h, userf, _s, rcpts, subj, _size, _mid = spec[:11]
        if svc != "SMTP" or userf or not frm or t < self.start:
            return
        if any(r[0] == self.account for r in rcpts):
            self._answer(mail, t, frm, subj)

    def _answer(self, mail: MailLog, t: int, to: str, subj: str) -> None:
        rng, out = self.out.rng, self.out
        self.counter += 1
        qid = f"{t:08x}-r{self.counter:07x}"
        user = f", User: {self.account}" if self.with_user else ""
        mid = f"{t:x}.{rng.getrandbits(32):08x}@{out.sc.site.hostname}"
        remote = server_in(rng.choice(out.sc.site.nets.hosting_abroad), rng)
        mail.sink.add(
            t + 1,
            f"Recv: Queue-ID: {qid}, Service: Sieve, From: <{self.account}>, To: <{to}>, "
            f"Size: {rng.randrange(2_400, 4_200)}, Sender-Host: {LOOPBACK}{user}, SSL: no, "
            f"Subject: {self.subject} {subj}, Msg-Id: <{mid}>\n",
        )
        mail.sink.add(
            t + 2 + rng.randrange(0, 3),
            f"Sent: Queue-ID: {qid}, Recipient: <{to}>, Result: delivered, Status: 2.0.0 , "
            f"Remote-Host: {remote}, Msg-Id: <{mid}>\n",
        )
        mail.count(t + 1, t + 2, False, 1, [], "autoreply_lure")


def _autoreply(out: Out, day: Day, v: Persona) -> None:
    rng = out.rng
    ip = address_in(rng.choice(out.sc.site.nets.abroad), rng)
    t = day.at(rng.uniform(6.0, 21.0) * HOUR)
    plan(
        out,
        "autoreply_lure",
        v.address,
        ip,
        "Hijack: a webmail login for {a} from {ip} (a home line abroad) with a browser the "
        "owner never used set a filter rule answering every incoming message with a lure "
        "(new bank details), and left; the server answered {recipients} messages ({span}).",
    )
    agent = rng.choice(ATTACKER_AGENTS[:2] + ATTACKER_AGENTS[3:])  # a browser, not a script
    hook(out, day, partial(_set_rule, out, (t, ip, agent), v))
    start = t + rng.randrange(3 * MINUTE, 12 * MINUTE)
    out.sc.mail.count(start, start, False, 0, [], "autoreply_lure")  # the rule: the harm
    out.sc.mail.after = AutoReplies(out, v.address, start, "Re:").after


def _set_rule(out: Out, login: tuple[int, str, str], v: Persona, _day: Day) -> None:
    t, ip, agent = login
    out.login(t, "HTTP/WebMail", v.address, ip, agent)
    out.login(t + out.rng.randrange(40, 200), "HTTP/WebMail", v.address, ip, agent)
