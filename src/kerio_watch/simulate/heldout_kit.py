"""What the held-out kinds (:mod:`.heldout`, :mod:`.heldout_benign`) share: their own
random numbers, and the lines they write straight to the logs."""

from __future__ import annotations

import random
from functools import partial

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.data import FREEMAIL
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.netplan import address_in, server_in
from kerio_watch.simulate.plan import Plan, Planner
from kerio_watch.simulate.site import LOCALHOST, Persona
from kerio_watch.simulate.text import Text

MINUTE = 60
DAY = 24 * HOUR


class Out:
    """The kinds' own random numbers (``salt``: another group's), and the lines they write."""

    def __init__(self, sc: Planner, seed: int, salt: int = 0) -> None:
        self.sc = sc
        self.seed = seed
        self.rng = sc.site.ips.group(seed * 11_000_027 + 83 + salt * 1_000)
        self.text = Text(random.Random(seed * 11_000_027 + 89 + salt * 1_000), sc.site.hostname)
        self.counter = 0

    def login(self, t: int, proto: str, account: str, ip: str, agent: str | None = None) -> None:
        self.sc._login(t, proto, account, ip, agent)

    def stranger(self) -> str:
        rng, text = self.rng, self.text
        return f"{text.token(rng.randrange(5, 10))}{rng.randrange(1, 999)}@{rng.choice(FREEMAIL)}"

    def strangers(self, n: int) -> list[str]:
        """Up to ``n`` strangers' addresses (repeats drawn are dropped)."""
        return list(dict.fromkeys(self.stranger() for _ in range(n)))

    def message(self, t: int, how: tuple[str, str, str], v: Persona, rcpts: list[str],
                what: tuple[str, int, str], tag: str, fail: float = 0.01) -> None:  # fmt: skip
        """One message by ``v`` (``how``: service, Sender-Host, SSL; ``what``: subject,
        size, Message-ID) to ``rcpts``, delivered or failed a few seconds later."""
        sc, rng = self.sc, self.rng
        svc, host, ssl = how
        subj, size, mid = what
        self.counter += 1
        qid = f"{t:08x}-h{self.counter:07x}"
        add = sc.mail.sink.add
        for r in rcpts:
            add(
                t,
                f"Recv: Queue-ID: {qid}, Service: {svc}, From: <{v.address}>, To: <{r}>, "
                f"Size: {size}, Sender-Host: {host}, User: {v.address}, SSL: {ssl}, "
                f"Subject: {subj}, Msg-Id: <{mid}>\n",
            )
        last, trouble = t, []
        for r in rcpts:
            last += rng.randrange(1, 6)
            local = r.rpartition("@")[2] in sc.site.local_domains
            remote = LOCALHOST if local else server_in(rng.choice(sc.site.nets.hosting), rng)
            if not local and rng.random() < fail:
                trouble.append(last)
                status = f"5.1.1 <{r}>: Recipient address rejected: User unknown"
                result = "failed"
            else:
                status, result = "2.0.0 ", "delivered"
            add(
                last,
                f"Sent: Queue-ID: {qid}, Recipient: <{r}>, Result: {result}, Status: {status}, "
                f"Remote-Host: {remote}, Msg-Id: <{mid}>\n",
            )
        sc.mail.count(t, last, False, len(rcpts), trouble, tag)

    def mark(self, t: int, end: int, tag: str) -> None:
        """The truth of a kind that sends nothing: its first and last harm."""
        for when in (t, end):
            self.sc.mail.count(when, end, False, 0, [], tag)


def free_people(sc: Planner) -> list[Persona]:
    taken = {p.account for p in sc.plans} | set(sc.site.desks)
    return [p for p in sc.site.users if p.address not in taken and p.lan_ip not in sc.site.desks]


def shuffled_people(out: Out) -> list[Persona]:
    """The accounts no other scenario uses, in the round's own random order."""
    people = free_people(out.sc)
    out.rng.shuffle(people)
    return people


def late_workdays(days: list[Day]) -> list[Day]:
    """The workdays of the last third of the simulated days (the last day if none)."""
    return [d for d in days[(2 * len(days) + 2) // 3 :] if d.workday] or days[-1:]


def people_of(v: Persona) -> list[str]:
    """The account's own correspondents and colleagues (no duplicates, no itself)."""
    seen = dict.fromkeys(p[0] for p in v.contacts + v.colleagues if p[0] != v.address)
    return list(seen)


def hook(out: Out, day: Day, fn: partial[None]) -> None:
    out.sc.hooks.setdefault(day.index, []).append(fn)


def plan(out: Out, kind: str, v: str, ip: str | None, describe: str) -> None:
    planned = Plan(kind, v, ip)
    planned.notes["describe"] = describe
    out.sc.plans.append(planned)


def intruder_abroad(out: Out) -> tuple[str, str]:
    """An intruder's address abroad and what it is: a cloud server on even seeds, a home
    line on odd ones."""
    cloud = out.seed % 2 == 0
    nets = out.sc.site.nets
    ip = address_in(out.rng.choice(nets.hosting_abroad if cloud else nets.abroad), out.rng)
    return ip, "a cloud server abroad" if cloud else "a home line abroad"
