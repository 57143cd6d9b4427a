"""A new colleague's first week (``SimConfig.newcomer``, off by default).

An account the logs have never seen starts work on a working day of the last third of
the period, with its own random numbers (the rest of the site is the same with it on or
off):

- ``newcomer`` (benign): a new salesperson's first day at a desk on the LAN, mail to
  colleagues and to prospects in companies nobody at the site wrote to; the second
  day, from the desk, one introduction to each of 30 to 45 of those prospects (the
  same subject, sent one by one); the third day, the next morning, from home on a line
  of a home provider of the site's country, follow-ups to those prospects and mail to
  colleagues; then back at the desk. From the desk it is a medium incident at most
  (use from the office alone); from home the prospects it wrote to from the desk are
  not strangers, so it never reaches high.
"""

from __future__ import annotations

import random
from functools import partial

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.data import (
    FIRST_NAMES,
    LAST_NAMES,
    PARTNER_KINDS,
    PARTNER_STEMS,
    PARTNER_TLDS,
    ascii_name,
)
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.netplan import address_in, server_in
from kerio_watch.simulate.plan import Plan, Planner
from kerio_watch.simulate.site import LAN_PREFIX, LOCALHOST
from kerio_watch.simulate.text import Text

KIND = "newcomer"


class _Newcomer:
    """The new account, its desk, its home line and its prospects."""

    def __init__(self, sc: Planner, seed: int) -> None:
        self.sc = sc
        self.rng = rng = sc.site.ips.group(seed * 7_000_003 + 29)
        self.text = Text(random.Random(seed * 7_000_003 + 31), sc.site.hostname)
        taken = set(sc.site.accounts())
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local = f"{ascii_name(first)}.{ascii_name(last)}".lower()
        address, n = f"{local}@{sc.site.domain}", 1
        while address in taken:
            n += 1
            address = f"{local}{n}@{sc.site.domain}"
        self.address = address
        self.desk = f"{LAN_PREFIX}{rng.randrange(230, 240)}"
        self.home = address_in(rng.choice(sc.site.nets.home), rng)
        mx = sc.site.nets.hosting
        self.prospects = [
            (self._prospect(), server_in(rng.choice(mx), rng)) for _ in range(rng.randrange(30, 46))
        ]
        self.colleagues = [p.address for p in sc.site.users]
        self.counter = 0

    def _prospect(self) -> str:
        """Someone in a company nobody at the site wrote to (a name the site's own
        partner domains never take: they have no number)."""
        rng = self.rng
        first, last = ascii_name(rng.choice(FIRST_NAMES)), ascii_name(rng.choice(LAST_NAMES))
        stem, kind = rng.choice(PARTNER_STEMS), rng.choice(PARTNER_KINDS)
        domain = f"{stem}{rng.randrange(1000, 9999)}-{kind}{rng.choice(PARTNER_TLDS)}"
        return f"{first}.{last}@{domain}".lower()

    def send(self, t: int, host: str, rcpt: tuple[str, str], subj: str) -> None:
        """One message from ``host`` to ``rcpt`` (address, delivery host), logged in
        first over SMTP."""
        sc, rng = self.sc, self.rng
        self.counter += 1
        qid = f"{t:08x}-9{self.counter:07x}"
        mid = self.text.mid("outlook", sc.site.domain)
        size = rng.randrange(4_000, 60_000)
        sc._login(t - rng.randrange(1, 4), "SMTP", self.address, host)
        add = sc.mail.sink.add
        add(
            t,
            f"Recv: Queue-ID: {qid}, Service: SMTP, From: <{self.address}>, To: <{rcpt[0]}>, "
            f"Size: {size}, Sender-Host: {host}, User: {self.address}, SSL: yes, "
            f"Subject: {subj}, Msg-Id: <{mid}>\n",
        )
        done = t + 1 + rng.randrange(0, 5)
        add(
            done,
            f"Sent: Queue-ID: {qid}, Recipient: <{rcpt[0]}>, Result: delivered, "
            f"Status: 2.0.0 , Remote-Host: {rcpt[1]}, Msg-Id: <{mid}>\n",
        )
        sc.mail.count(t, done, False, 1, [], KIND)

    def colleague(self) -> tuple[str, str]:
        return (self.rng.choice(self.colleagues), LOCALHOST)

    def prospect(self) -> tuple[str, str]:
        return self.rng.choice(self.prospects)

    def day(self, k: int, day: Day, _today: Day) -> None:
        """The ``k``-th working day (0: the first)."""
        rng, text = self.rng, self.text
        host = self.home if k == 2 else self.desk
        t = day.at(rng.uniform(8.0, 8.7) * HOUR)
        self.sc._login(t, "IMAP", self.address, host)
        share = (0.6, 0.3, 0.6)[k] if k < 3 else 0.3  # prospecting from the first day
        for _ in range(rng.randrange(10, 16) if k in (0, 2) else rng.randrange(6, 14)):
            t += rng.randrange(600, 2400)
            outside = rng.random() < share
            rcpt = self.prospect() if outside else self.colleague()
            self.send(t, host, rcpt, text.pick(text.business))
        if k == 1:  # the introductions, one by one, from the desk
            t = day.at(rng.uniform(13.0, 15.0) * HOUR)
            for prospect in self.prospects:
                t += rng.randrange(30, 120)
                self.send(t, host, prospect, "Vorstellung: Ihr neuer Ansprechpartner")


def plan_newcomer(sc: Planner, days: list[Day], seed: int) -> None:
    """Plant the new colleague's first four working days of the last third."""
    work = [d for d in days[(2 * len(days) + 2) // 3 :] if d.workday] or days[-1:]
    who = _Newcomer(sc, seed)
    sc.site.service_accounts.append(who.address)  # an account of the site from now on
    plan = Plan(KIND, who.address, who.desk)
    plan.notes["describe"] = (
        "Benign: {a} is a new colleague: a first week from the desk {ip} and, on its third "
        f"working day, from home ({who.home}); it introduced itself to "
        f"{len(who.prospects)} prospects, one message each, and wrote to colleagues and "
        "to those prospects: {n} messages ({span})."
    )
    sc.plans.append(plan)
    # the day from home follows the introductions the next morning (not after a weekend)
    start = next((i for i in range(len(work) - 2) if work[i + 2].index == work[i + 1].index + 1), 0)
    for k, d in enumerate(work[start : start + 4]):
        sc.hooks.setdefault(d.index, []).append(partial(who.day, k, d))
