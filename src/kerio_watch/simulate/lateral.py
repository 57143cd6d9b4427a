"""Mail to the staff (``SimConfig.lateral``, off by default).

A stolen mailbox is worth most inside the company, where colleagues trust it. This adds,
with its own random numbers (the rest of the site is the same with it on or off):

- ``internal_phish`` (hijack): a webmail login from a Tor exit, then two or three
  messages, a few minutes apart, each to several colleagues picked from the address
  list: one lure ("a shared document") to 14 to 24 people the account has nothing to do
  with. Nothing leaves the company; the volume is small.
- ``all_staff`` (benign): an employee writes one announcement to the whole staff from
  the office, as part of the job but for the first time in the logs.
"""

from __future__ import annotations

import random
from functools import partial

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.data import WEBMAIL_AGENTS
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.netplan import ANONYMIZERS, address_in
from kerio_watch.simulate.plan import Plan, Planner
from kerio_watch.simulate.site import Persona
from kerio_watch.simulate.text import Text
from kerio_watch.simulate.users import WEBMAIL_HOST, WEBMAIL_SERVICE

LURES = (
    "Dokument geteilt: Gehaltsanpassung {y}",
    "Neue Urlaubsregelung {y} - bitte bis Freitag bestätigen",
    "Sie haben ein freigegebenes Dokument erhalten",
    "Rechnung zur Freigabe: RE-{n}",
)
ANNOUNCEMENTS = (
    "Sommerfest am {d}. Juni",
    "Neue Telefonanlage ab Montag",
    "Betriebsversammlung {d}. Mai",
)


class _Writer:
    """Writes one message's mail.log lines: a ``Recv:`` line and a local delivery for
    each colleague."""

    def __init__(self, sc: Planner, rng: random.Random) -> None:
        self.sc = sc
        self.rng = rng
        self.counter = 0

    def message(
        self, t: int, how: tuple[str, str], who: str, rcpts: list[str], subj: str, mid: str
    ) -> int:
        """Write it at ``t`` (``how``: service and Sender-Host); returns the last line's
        time."""
        self.counter += 1
        qid = f"{t:08x}-7{self.counter:07x}"
        service, host = how
        size = self.rng.randrange(6_000, 40_000)
        add = self.sc.mail.sink.add
        last = t
        for rcpt in rcpts:
            add(
                t,
                f"Recv: Queue-ID: {qid}, Service: {service}, From: <{who}>, To: <{rcpt}>, "
                f"Size: {size}, Sender-Host: {host}, User: {who}, SSL: yes, Subject: {subj}, "
                f"Msg-Id: <{mid}>\n",
            )
        for rcpt in rcpts:
            last += self.rng.randrange(0, 2)
            add(
                last + 1,
                f"Sent: Queue-ID: {qid}, Recipient: <{rcpt}>, Result: delivered, "
                f"Status: 2.0.0 , Remote-Host: 127.0.0.1, Msg-Id: <{mid}>\n",
            )
        return last + 1


def plan_lateral(sc: Planner, days: list[Day], seed: int) -> None:
    """Plant the two kinds on accounts no other scenario uses."""
    rng = sc.site.ips.group(seed * 5_000_011 + 41)
    text = Text(random.Random(seed * 5_000_011 + 43), sc.site.hostname)
    writer = _Writer(sc, rng)
    taken = {p.account for p in sc.plans}
    people = [p for p in sc.site.users if p.address not in taken]
    rng.shuffle(people)
    work = [d for d in days[(2 * len(days) + 2) // 3 :] if d.workday] or days[-1:]
    if people:
        v = people.pop()
        net = rng.choice(ANONYMIZERS)
        ip = address_in(net, rng)
        plan = Plan("internal_phish", v.address, ip)
        sc.plans.append(plan)
        hook = partial(_phish, sc, writer, text, v, plan)
        sc.hooks.setdefault(rng.choice(work).index, []).append(hook)
    office = [p for p in people if not p.webmail]
    if office:
        p = office[-1]
        plan = Plan("all_staff", p.address, p.lan_ip)
        sc.plans.append(plan)
        hook = partial(_announce, sc, writer, text, p, plan)
        sc.hooks.setdefault(rng.choice(work).index, []).append(hook)


def _staff(sc: Planner, p: Persona) -> list[str]:
    """Everybody else of ``p``'s company, once each (several people may work in one role
    mailbox; a provider's server hosts several companies, each on its own domain)."""
    site = sc.site
    own = (
        (site.domain, site.second_domain)
        if p.domain in (site.domain, site.second_domain)
        else (p.domain,)
    )
    staff = (q.address for q in site.users if q.address != p.address and q.domain in own)
    return list(dict.fromkeys(staff))


def _phish(sc: Planner, w: _Writer, text: Text, v: Persona, plan: Plan, day: Day) -> None:
    rng = w.rng
    ip = plan.source_ip or ""
    t = day.at(rng.uniform(8.5, 16.0) * HOUR)
    sc._login(t, "HTTP/WebMail", v.address, ip, rng.choice(WEBMAIL_AGENTS))
    known = {peer[0] for peer in v.colleagues}
    everybody = _staff(sc, v)
    staff = [a for a in everybody if a not in known]
    rng.shuffle(staff)
    k = rng.randrange(14, 25)
    targets = staff[:k]
    strangers = "it never wrote to"
    if len(targets) < k:  # a small company: the colleagues it knows as well
        strangers = f"({len(targets)} of them it never wrote to)"
        targets += [a for a in everybody if a in known][: k - len(targets)]
    subj = rng.choice(LURES).format(y=2026, n=rng.randrange(10_000, 99_999))
    t += rng.randrange(120, 600)
    while targets:
        k = rng.randrange(6, 11)
        rcpts, targets = targets[:k], targets[k:]
        mid = text.mid("webmail", sc.site.domain)
        last = w.message(t, (WEBMAIL_SERVICE, WEBMAIL_HOST), v.address, rcpts, subj, mid)
        sc.traffic.sent_item(t, v, ip, v.address, subj, mid, 20_000)
        sc.mail.count(t, last, False, len(rcpts), [], "internal_phish")
        t += rng.randrange(90, 420)
    plan.notes["describe"] = (
        "Hijack: a webmail login for {a} from the Tor exit {ip} sent one lure "
        f"('{subj}') in {{n}} messages to {{recipients}} colleagues {strangers} "
        "({span}); nothing left the company."
    )


def _announce(sc: Planner, w: _Writer, text: Text, p: Persona, plan: Plan, day: Day) -> None:
    rng = w.rng
    t = day.at(rng.uniform(9.0, 15.0) * HOUR)
    sc._login(t - rng.randrange(2, 8), "SMTP", p.address, p.lan_ip)
    staff = _staff(sc, p)
    subj = rng.choice(ANNOUNCEMENTS).format(d=rng.randrange(1, 29))
    mid = text.mid(p.client, sc.site.domain)
    last = w.message(t, ("SMTP", p.lan_ip), p.address, staff, subj, mid)
    sc.mail.count(t, last, False, len(staff), [], "all_staff")
    plan.notes["describe"] = (
        "Benign: {a} wrote one announcement to the whole staff ({recipients} colleagues) "
        "from the office ({ip}) ({span})."
    )
