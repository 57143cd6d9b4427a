"""Benign noise every real Kerio site has (``SimConfig.noise``, off by default).

Machines and a stale device that look a little like an intruder, with their own random
numbers (the rest of the site is the same with it on or off), on accounts no other
scenario uses:

- ``stale_device`` (benign): a person's phone reads mail over IMAP from the person's
  mobile carrier (a CGNAT address that changes every few hours) from the first day. On
  a working day of the middle third the person changes the password at the desk; the
  phone keeps trying the old one (IMAP, sometimes SMTP for its outbox) every few
  minutes, less often at night, for hours to days (security.log), while the person
  works normally from the desk; then it is given the new password, logs in from the
  carrier again and sends the messages that waited in its outbox.
- ``copier`` (benign): a multifunction printer on the LAN sends scan-to-mail from the
  first day, with SMTP AUTH as one person's account and the From ``scanner@<domain>``
  (no mailbox of that name), to whoever stands at it (or a colleague, rarely a
  customer), a connection per job of one to four scans, in office hours, without TLS,
  large attachments.
- ``new_copier`` (benign): a second copier installed on a working day of the middle
  third, with SMTP AUTH as a dedicated account (``scan@<domain>``, silent until then)
  and the From ``noreply@<domain>``.
- ``cloud_app`` (benign): from a working day of the middle third on, a web shop (or a
  CRM) on a cloud network of the site's country or the US sends through SMTP AUTH as
  one account (``shop@<domain>``, silent until then, or a person's), From that account,
  one message to each of many customers who never wrote, in batches every ten minutes
  when orders came in, day and night, few deliveries failing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import partial

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.data import (
    FAIL_TEXTS,
    FREEMAIL,
    PARTNER_KINDS,
    PARTNER_STEMS,
    PARTNER_TLDS,
)
from kerio_watch.simulate.draws import HOUR, poisson
from kerio_watch.simulate.internet import named_failure
from kerio_watch.simulate.netplan import Net, address_in, server_in
from kerio_watch.simulate.plan import Plan, Planner
from kerio_watch.simulate.site import LAN_PREFIX, LOCALHOST, Persona, make_person
from kerio_watch.simulate.text import Text

COPIER_IPS: tuple[str, str] = (f"{LAN_PREFIX}233", f"{LAN_PREFIX}234")
"""The two copiers' LAN addresses (no person's desk uses 230-239)."""
US_HOSTING: tuple[Net, ...] = (Net("45.77.0.0/21", "US", "AS-CHOOPA"),)
"""A US cloud (a SaaS of the US serves sites of every country)."""


class _Out:
    """Writes the noise's lines straight to the logs, with its own random numbers."""

    def __init__(self, sc: Planner, seed: int) -> None:
        self.sc = sc
        self.rng = sc.site.ips.group(seed * 7_000_003 + 71)
        self.text = Text(random.Random(seed * 7_000_003 + 73), sc.site.hostname)
        self.counter = 0

    def login(self, t: int, proto: str, account: str, ip: str) -> None:
        self.sc._login(t, proto, account, ip)

    def message(self, t: int, s: _Sender, to: str, subj: str) -> None:
        """One message to one recipient, received at ``t`` and delivered (or failed,
        rarely) a few seconds later."""
        sc, rng = self.sc, self.rng
        self.counter += 1
        qid = f"{t:08x}-n{self.counter:07x}"
        local = to.rpartition("@")[2] in sc.site.local_domains
        if s.tag == "stale_device":  # the phone's mail app
            size, mid = rng.randrange(3_000, 40_000), self.text.mid("iphone", s.names)
        elif s.scans:  # a PDF of a few pages
            size, mid = rng.randrange(150_000, 4_000_000), f"{t}.{rng.randrange(10**5)}@{s.names}"
        else:
            size, mid = rng.randrange(12_000, 90_000), f"{self.text.token(24)}@{s.names}"
        remote = LOCALHOST if local else server_in(rng.choice(sc.site.nets.hosting), rng)
        add = sc.mail.sink.add
        add(
            t,
            f"Recv: Queue-ID: {qid}, Service: SMTP, From: <{s.frm}>, To: <{to}>, Size: {size}, "
            f"Sender-Host: {s.ip}, User: {s.account}, SSL: {s.ssl}, Subject: {subj}, "
            f"Msg-Id: <{mid}>\n",
        )
        sent = t + rng.randrange(1, 2 if local else 9)
        failed = not local and rng.random() < 0.006
        result = "failed" if failed else "delivered"
        status = rng.choice(FAIL_TEXTS).replace("{r}", to) if failed else "2.0.0 "
        add(
            sent,
            f"Sent: Queue-ID: {qid}, Recipient: <{to}>, Result: {result}, Status: {status}, "
            f"Remote-Host: {remote}, Msg-Id: <{mid}>\n",
        )
        sc.mail.count(t, sent, False, 1, [sent] if failed else [], s.tag)


@dataclass(frozen=True)
class _Sender:
    """A machine that sends mail: its From, address, account, TLS, Message-ID domain."""

    frm: str
    ip: str
    account: str
    ssl: str
    names: str
    tag: str

    @property
    def scans(self) -> bool:
        """A copier (its Message-IDs and sizes are a scanner's)."""
        return self.tag in ("copier", "new_copier")


def _free_people(sc: Planner) -> list[Persona]:
    taken = {p.account for p in sc.plans} | set(sc.site.desks)
    return [p for p in sc.site.users if p.address not in taken and p.lan_ip not in sc.site.desks]


def plan_noise(sc: Planner, days: list[Day], seed: int) -> None:
    """Plant the four kinds (the persons' ones on accounts no other scenario uses)."""
    out = _Out(sc, seed)
    rng = out.rng
    people = _free_people(sc)
    rng.shuffle(people)
    middle = [d for d in days[len(days) // 3 : (2 * len(days)) // 3 + 1] if d.workday]
    middle = middle or [d for d in days if d.workday] or days
    readers = [p for p in people if not p.carrier]  # the device is the only mobile one
    if readers:
        people.remove(readers[-1])
        _stale_device(out, days, readers[-1], middle)
    if people:
        _copier(out, days, people.pop())
    _new_copier(out, days, middle)
    _cloud_app(out, days, middle, people.pop() if people and rng.random() < 0.5 else None)


# -- stale_device -------------------------------------------------------------------------


@dataclass
class _Device:
    """The phone: its carrier, when the password changed and when it was fixed, and the
    mail waiting in its outbox meanwhile."""

    account: str
    outbox: list[str]
    carrier: Net
    change: int
    fixed: int
    ip: str = ""
    until: int = 0  # when the CGNAT address changes next


def _stale_device(out: _Out, days: list[Day], p: Persona, middle: list[Day]) -> None:
    rng = out.rng
    carrier = rng.choice(out.sc.site.nets.mobile)
    day = rng.choice([d for d in middle if d.index not in p.off_days] or middle)
    change = day.at(rng.uniform(p.start + HOUR, p.end - 2 * HOUR))
    fixed = _awake(days, change + int(rng.uniform(6.0, 60.0) * HOUR), rng)
    people = [peer[0] for peer in p.contacts or p.colleagues]
    outbox = [rng.choice(people) for _ in range(rng.randrange(1, 4))] if people else []
    device = _Device(p.address, outbox, carrier, change, fixed)
    plan = Plan("stale_device", p.address, carrier.cidr)
    plan.notes["describe"] = (
        f"Benign: {{a}} reads mail on a phone from its mobile carrier ({carrier.owner}, "
        f"{carrier.cidr}) every day; the person changed the password at the desk, and the "
        "phone tried the old one every few minutes until it was given the new one "
        f"({out.sc.clock.local_text(change)} to {out.sc.clock.local_text(fixed)} local), "
        f"then sent the {len(outbox)} messages waiting in its outbox to usual "
        "correspondents; the desk worked normally."
    )
    out.sc.plans.append(plan)
    for d in days:
        out.sc.hooks.setdefault(d.index, []).append(partial(_device_day, out, device))


def _awake(days: list[Day], t: int, rng: random.Random) -> int:
    """``t``, or the next morning if the person is asleep then (7:00 to 23:00 local)."""
    i = next((d.index for d in days if d.start <= t < d.end), days[-1].index)
    hour = (t - days[i].start) / HOUR
    if 7.0 <= hour < 23.0:
        return t
    if hour >= 23.0 and i + 1 < len(days):
        i += 1
    return days[i].at(rng.uniform(7.0, 9.0) * HOUR)


def _device_day(out: _Out, dev: _Device, day: Day) -> None:
    """The device's day: a login every few hours while the person is awake; between the
    change and the fix a failed one every few minutes, day and night."""
    rng = out.rng
    t = day.start + rng.randrange(0, 1800)
    while t < day.end:
        if t >= dev.until:
            dev.ip, dev.until = address_in(dev.carrier, rng), t + rng.randrange(HOUR, 4 * HOUR)
        awake = 6.5 * HOUR <= t - day.start < 23 * HOUR
        if dev.change <= t < dev.fixed:
            for k in range(rng.choice((1, 1, 2))):  # the mail app tries again at once
                out.sc.security.add(t + 2 * k, named_failure("IMAP", dev.ip, dev.account, True))
            if dev.outbox and rng.random() < 0.3:  # and to send what waits in the outbox
                out.sc.security.add(t + 5, named_failure("SMTP", dev.ip, dev.account, True))
            out.sc.mail.count(dev.change, t, True, 0, [], "stale_device")  # its span
            step = rng.randrange(180, 600) if awake else rng.randrange(900, 1800)
        else:
            if awake or t == dev.fixed:
                out.login(t, "IMAP", dev.account, dev.ip)
            if t == dev.fixed:
                _outbox(out, dev, t + rng.randrange(20, 90))
            step = rng.randrange(HOUR, 4 * HOUR)
            if t < dev.change < t + step:  # the first try with the old password
                step = dev.change - t + rng.randrange(60, 600)
        if t < dev.fixed < t + step:  # the device is given the new password
            step = dev.fixed - t
        t += step


def _outbox(out: _Out, dev: _Device, t: int) -> None:
    """The phone, given the new password, sends what waited in its outbox."""
    if not dev.outbox:
        return
    out.login(t, "SMTP", dev.account, dev.ip)
    domain = dev.account.rpartition("@")[2]
    phone = _Sender(dev.account, dev.ip, dev.account, "yes", domain, "stale_device")
    for to in dev.outbox:
        t += out.rng.randrange(2, 8)
        out.message(t, phone, to, out.text.pick(out.text.business))


# -- copiers ------------------------------------------------------------------------------


def _copier(out: _Out, days: list[Day], p: Persona) -> None:
    model = _model(out.rng)
    copier = _Sender(
        f"scanner@{out.sc.site.domain}", COPIER_IPS[0], p.address, "no", COPIER_IPS[0], "copier"
    )
    plan = Plan("copier", p.address, copier.ip)
    plan.notes["describe"] = (
        f"Benign: the copier {{ip}} ({model}) sends scan-to-mail with SMTP AUTH as {{a}} "
        f"and the From {copier.frm}, to the person at it, from the first day: {{n}} scans "
        "({span})."
    )
    out.sc.plans.append(plan)
    for d in days:
        if d.workday:
            out.sc.hooks.setdefault(d.index, []).append(partial(_scans, out, copier, model))


def _new_copier(out: _Out, days: list[Day], middle: list[Day]) -> None:
    sc = out.sc
    account = f"scan@{sc.site.domain}"
    if account in sc.site.accounts():
        return
    sc.site.service_accounts.append(account)  # created for the copier, silent until then
    model = _model(out.rng)
    copier = _Sender(
        f"noreply@{sc.site.domain}", COPIER_IPS[1], account, "no", COPIER_IPS[1], "new_copier"
    )
    first = out.rng.choice(middle)
    plan = Plan("new_copier", account, copier.ip)
    plan.notes["describe"] = (
        f"Benign: a new copier {{ip}} ({model}) was installed on day {first.index + 1} with "
        f"its own account {{a}} (silent until then) and the From {copier.frm}; it sent "
        "{n} scans ({span})."
    )
    sc.plans.append(plan)
    for d in days[first.index :]:
        if d.workday:
            sc.hooks.setdefault(d.index, []).append(partial(_scans, out, copier, model))


def _model(rng: random.Random) -> str:
    return rng.choice(("KONICA MINOLTA bizhub C258", "RICOH IM C3000", "Kyocera TASKalfa 3253ci"))


def _scans(out: _Out, c: _Sender, model: str, day: Day) -> None:
    """A working day's scan jobs: someone at the copier scans one to four documents, to
    themselves (or a colleague, rarely a customer), a connection per job."""
    sc, rng = out.sc, out.rng
    if day.index in sc.site.holidays:
        return
    staff = [p for p in sc.site.users if day.index not in p.off_days] or sc.site.users
    brand = model.split(maxsplit=1)[0].title()
    for _ in range(poisson(rng, 5.0)):
        who = rng.choice(staff)
        t = day.at(rng.uniform(who.start + 600, who.end - 600))
        out.login(t - 1, "SMTP", c.account, c.ip)
        to = who.address
        if rng.random() < 0.25 and who.colleagues:
            to = rng.choice(who.colleagues)[0]
        elif rng.random() < 0.04 and who.contacts:
            to = rng.choice(who.contacts)[0]  # straight to a customer
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
            t += rng.randrange(20, 120)
            stamp = sc.clock.local_text(t).replace("-", "").replace(":", "").replace(" ", "")
            out.message(t, c, to, f"Scan from {brand} {stamp}")


# -- cloud_app ----------------------------------------------------------------------------


def _cloud_app(out: _Out, days: list[Day], middle: list[Day], p: Persona | None) -> None:
    sc, rng = out.sc, out.rng
    net = rng.choice((*sc.site.nets.hosting, *US_HOSTING))
    ips = [address_in(net, rng) for _ in range(2)]  # the service's outbound servers
    if p is None:
        account, app = f"shop@{sc.site.domain}", "web shop"
        if account in sc.site.accounts():
            return
        sc.site.service_accounts.append(account)  # created for the shop, silent until then
    else:
        account, app = p.address, "CRM"
    first = rng.choice(middle)
    plan = Plan("cloud_app", account, ips[0])
    plan.notes["describe"] = (
        f"Benign: from day {first.index + 1} on, a {app} hosted by {net.owner} "
        f"({net.country}; {ips[0]}, {ips[1]}) sends through SMTP AUTH as {{a}}, From {{a}}, "
        "one message to each of {recipients} customers who never wrote, in batches every "
        "ten minutes, day and night: {n} messages ({span}); {bounces}."
    )
    sc.plans.append(plan)
    names = f"mailer.{rng.choice(PARTNER_STEMS)}{rng.randrange(2, 99)}-cloud.com"
    senders = [_Sender(account, ip, account, "yes", names, "cloud_app") for ip in ips]
    for d in days[first.index :]:
        sc.hooks.setdefault(d.index, []).append(
            partial(
                _app_day,
                out,
                senders,
                app,
                d.at(rng.uniform(9.0, 11.0) * HOUR) if d is first else d.start,
            )
        )


def _app_day(out: _Out, senders: list[_Sender], app: str, t: int, day: Day) -> None:
    """A day of the app's mail from ``t``: a batch every ten minutes in which orders came
    in (a tenth as many at night), a connection per batch."""
    rng = out.rng
    rate = 2.5 if day.workday else 1.5  # orders an hour in the daytime
    t -= t % 600
    while t < day.end:
        awake = 7 * HOUR <= t - day.start < 22 * HOUR
        n = poisson(rng, rate / 6 * (1.0 if awake else 0.1))
        if n:
            s = rng.choice(senders)
            out.login(t + 1, "SMTP", s.account, s.ip)
            for i in range(n):
                out.message(t + 2 + 2 * i, s, _customer(rng), _subject(rng, app))
        t += 600


def _customer(rng: random.Random) -> str:
    if rng.random() < 0.5:
        domain = rng.choice(FREEMAIL)
    else:
        stem, kind = rng.choice(PARTNER_STEMS), rng.choice(PARTNER_KINDS)
        domain = f"{stem}{rng.randrange(2, 999)}-{kind}{rng.choice(PARTNER_TLDS)}"
    return make_person(rng, domain)[0]


def _subject(rng: random.Random, app: str) -> str:
    number = rng.randrange(10**5, 10**6)
    if app == "CRM":
        return f"Ihr Angebot AN-{number}"
    return rng.choice(("Ihre Bestellung Nr. {}", "Versandbestätigung zu Bestellung {}")).format(
        number
    )
