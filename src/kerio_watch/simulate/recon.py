"""An intruder that reads first and acts later (``SimConfig.recon``, off by default).

With its own random numbers (the rest of the site is the same with it on or off):

- ``read_then_spam`` (hijack): a password works from one cloud server abroad; the
  intruder reads the mailbox over IMAP from it a few times a day for three or four
  working days, sending nothing, then sends 120 to 180 spam messages to strangers
  from the same address over SMTP with a spam tool. Its reads must not make the cloud
  the account's own place.
"""

from __future__ import annotations

import random
from functools import partial

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.data import FREEMAIL
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.netplan import address_in, server_in
from kerio_watch.simulate.plan import Plan, Planner
from kerio_watch.simulate.site import Persona
from kerio_watch.simulate.text import Text

KIND = "read_then_spam"


class _Intruder:
    """The victim, the cloud address and the spam run's own numbers."""

    def __init__(self, sc: Planner, seed: int, victim: Persona) -> None:
        self.sc = sc
        self.rng = rng = sc.site.ips.group(seed * 9_000_011 + 37)
        self.text = Text(random.Random(seed * 9_000_011 + 39), sc.site.hostname)
        self.victim = victim
        self.cloud = address_in(rng.choice(sc.site.nets.hosting_abroad), rng)
        self.mx = sc.site.nets.hosting
        self.counter = 0

    def read(self, day: Day, _today: Day) -> None:
        """A few IMAP logins through the day (and night)."""
        rng = self.rng
        for _ in range(rng.randrange(3, 7)):
            self.sc._login(
                day.at(rng.uniform(0.5, 23.5) * HOUR), "IMAP", self.victim.address, self.cloud
            )

    def spam(self, day: Day, _today: Day) -> None:
        """The run: SMTP from the cloud address, one spam subject after another."""
        sc, rng, text = self.sc, self.rng, self.text
        a = self.victim.address
        t = day.at(rng.uniform(9.5, 14.0) * HOUR)
        for i in range(rng.randrange(120, 181)):
            if i % 50 == 0:
                sc._login(t - 2, "SMTP", a, self.cloud)
            self.counter += 1
            qid = f"{t:08x}-a{self.counter:07x}"
            mid = text.mid("bot", self.victim.domain)
            subj = text.pick(text.spam)
            rcpts = [
                f"{text.token(rng.randrange(5, 9))}@{rng.choice(FREEMAIL)}"
                for _ in range(rng.randrange(1, 4))
            ]
            add = sc.mail.sink.add
            for r in rcpts:
                add(
                    t,
                    f"Recv: Queue-ID: {qid}, Service: SMTP, From: <{a}>, To: <{r}>, "
                    f"Size: {rng.randrange(1_500, 9_000)}, Sender-Host: {self.cloud}, User: {a}, "
                    f"SSL: no, Subject: {subj}, Msg-Id: <{mid}>\n",
                )
            last = t
            for r in rcpts:
                last += rng.randrange(1, 6)
                add(
                    last,
                    f"Sent: Queue-ID: {qid}, Recipient: <{r}>, Result: delivered, "
                    f"Status: 2.0.0 , Remote-Host: {server_in(rng.choice(self.mx), rng)}, "
                    f"Msg-Id: <{mid}>\n",
                )
            sc.mail.count(t, last, False, len(rcpts), [], KIND)
            t += rng.randrange(8, 40)


def plan_recon(sc: Planner, days: list[Day], seed: int) -> None:
    """Plant the intruder on an account no other scenario uses (none left: nothing)."""
    rng = sc.site.ips.group(seed * 9_000_011 + 41)
    taken = {p.account for p in sc.plans}
    people = [p for p in sc.site.users if p.address not in taken]
    if not people:
        return
    work = [d for d in days[(2 * len(days) + 2) // 3 :] if d.workday] or days[-1:]
    who = _Intruder(sc, seed, rng.choice(people))
    reading = work[-5:-1] if len(work) >= 5 else work[:-1]
    plan = Plan(KIND, who.victim.address, who.cloud)
    plan.notes["describe"] = (
        "Hijack: an intruder read {a}'s mailbox over IMAP from the cloud address {ip} "
        f"for {len(reading)} working days, sending nothing, then sent {{n}} spam messages "
        "to {recipients} strangers from the same address ({span})."
    )
    sc.plans.append(plan)
    for d in reading:
        sc.hooks.setdefault(d.index, []).append(partial(who.read, d))
    sc.hooks.setdefault(work[-1].index, []).append(partial(who.spam, work[-1]))
