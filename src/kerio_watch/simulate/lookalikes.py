"""Benign look-alikes: what real people do that looks a little like a hijack.

- ``mass_mailing``: a salesperson's one-off mailing, ~300 messages to new leads, from
  the desk PC on the LAN with the usual client, in office hours.
- ``catch_up``: ~20 replies in 45 minutes to people who wrote first, from a home line of
  a provider the account never used (a new router, a move).
- ``new_phone``: a new phone on a carrier the account never used; its address changes
  all day; a few messages to usual correspondents.
- ``conference``: four days abroad at a conference (hotel and venue networks, maybe a
  time zone away), the usual correspondents plus a few people met there.
- ``shared_mailbox``: one mailbox used by three people from their own PCs, programs and
  home lines, answering customers all month.
- ``assistant_alias``: an assistant sends as the manager (a configured alias) to the
  manager's contacts.
- ``erp_month_end``: the ERP's month-end run, twice its usual number of invoices.
"""

from __future__ import annotations

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.countries import clock_shift
from kerio_watch.simulate.data import FREEMAIL, PARTNER_KINDS, PARTNER_STEMS, PARTNER_TLDS
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.mail import NORMAL
from kerio_watch.simulate.plan import Plan, Planner
from kerio_watch.simulate.site import ERP_IP, Peer, Persona, make_person
from kerio_watch.simulate.users import channel, phone_channel

NEW_KINDS: tuple[str, ...] = (
    "mass_mailing",
    "catch_up",
    "new_phone",
    "conference",
    "shared_mailbox",
    "assistant_alias",
    "erp_month_end",
)


def send_as(
    sc: Planner, v: Persona, t: int, ip: str, rcpts: list[Peer], subj: str, tag: str, **kw: str
) -> None:
    """One message the person sends with their own program from ``ip``."""
    ch = phone_channel(ip) if kw.get("phone") else channel(v, ip)
    if sc.traffic.full:
        sc.traffic._login(v, t, ch)
    size = int(kw["size"]) if "size" in kw else sc.text.size()
    mid = sc.text.mid(ch.style, v.domain)
    frm = kw.get("frm", v.address)
    sc.mail.emit(t, ch.svc, frm, ch.host, v.address, "yes", rcpts, subj, size, mid, NORMAL, tag)
    if ch.kind == "web" and sc.traffic.full:
        sc.traffic.sent_item(t, v, ip, frm, subj, mid, size)


def _lead(sc: Planner) -> Peer:
    rng = sc.rng
    if rng.random() < 0.25:
        domain = rng.choice(FREEMAIL)
    else:
        stem, kind = rng.choice(PARTNER_STEMS), rng.choice(PARTNER_KINDS)
        domain = f"{stem}{rng.randrange(2, 999)}-{kind}{rng.choice(PARTNER_TLDS)}"
    return sc.site.domains.peer(*make_person(rng, domain))


def mass_mailing(sc: Planner, day: Day, v: Persona, plan: Plan) -> None:
    rng = sc.rng
    t = day.at(rng.uniform(10.0, 14.5) * HOUR)
    subj = f"Einladung: Hausmesse {day.date.year}, neue Produkte und Angebote"
    size = rng.randrange(180_000, 260_000)
    ip = v.desk(day.weekday)
    for _ in range(rng.randrange(280, 321)):
        t += rng.randrange(2, 9)
        send_as(sc, v, t, ip, [_lead(sc)], subj, "mass_mailing", size=str(size + rng.randrange(40)))
    plan.notes["describe"] = (
        "Benign: {a} sent a one-off mailing of {n} messages to {recipients} new leads "
        "({span}) from the desk PC {ip} with the usual program, in office hours."
    )


def catch_up(sc: Planner, day: Day, v: Persona, plan: Plan) -> None:
    rng = sc.rng
    ip = plan.source_ip or ""
    t = day.at(rng.uniform(8.5, 10.0) * HOUR)
    threads = list({peer[0]: (peer, subj) for peer, subj in reversed(v.repliable)}.values())
    for peer, subj in threads[: rng.randrange(18, 24)]:
        t += rng.randrange(60, 170)
        send_as(sc, v, t, ip, [peer], f"{rng.choice(('AW: ', 'Re: '))}{subj}", "catch_up")
    plan.notes["describe"] = (
        "Benign: {a} worked from home on a line of a provider it never used ({ip}) and "
        "caught up: {n} messages ({span}), most of them replies in 45 minutes to people "
        "who had written to it."
    )


def new_phone(sc: Planner, day: Day, v: Persona, plan: Plan) -> None:
    rng = sc.rng
    rnd = rng.random
    v.carrier = plan.notes["carrier"]
    for _ in range(rng.randrange(18, 30)):
        ip = sc.traffic.away.phone(v) or ""
        sc._login(day.at((7 + rnd() * 16) * HOUR), "IMAP", v.address, ip)
    people = [peer for peer, _ in v.repliable[-60:]] or v.contacts
    for _ in range(rng.randrange(3, 7) if day.workday else rng.randrange(0, 3)):
        t = day.at((7.5 + rnd() * 14) * HOUR)
        ip = sc.traffic.away.phone(v) or ""
        subj = sc.text.pick(sc.text.business)
        send_as(sc, v, t, ip, [rng.choice(people)], subj, "new_phone", phone="1")
    plan.notes["describe"] = (
        "Benign: {a} got a new phone on a mobile carrier it never used (first {ip}); its "
        "address changed all day; {n} messages to usual correspondents ({span})."
    )


def conference(sc: Planner, day: Day, v: Persona, plan: Plan) -> None:
    rng = sc.rng
    rnd = rng.random
    blocks = plan.notes["blocks"].split()
    shift = int(plan.notes["shift"]) * HOUR
    for _ in range(rng.randrange(2, 5)):
        ip = sc.traffic.away.connection(rng.choice(blocks))
        sc._login(day.at(shift + (7 + rnd() * 14) * HOUR), v.reader, v.address, ip)
    sends = sorted(day.at(shift + (8 + rnd() * 13) * HOUR) for _ in range(rng.randrange(5, 12)))
    for t in sends:
        ch = channel(v, sc.traffic.away.connection(rng.choice(blocks)))
        sc.traffic._send(v, t, ch, [], 0, "conference")
    for _ in range(rng.choice((0, 1, 1, 2, 3))):  # people met there
        t = day.at(shift + (9 + rnd() * 11) * HOUR)
        ip = sc.traffic.away.connection(rng.choice(blocks))
        send_as(sc, v, t, ip, [_lead(sc)], "Schön, Sie kennengelernt zu haben", "conference")
    plan.notes["describe"] = (
        "Benign: {a} attended a conference abroad ({ip}, hotel and venue networks) for "
        "four days ({span}) and sent {n} messages, mostly to usual correspondents and a "
        "few to people met there."
    )


def assistant_alias(sc: Planner, day: Day, v: Persona, plan: Plan) -> None:
    rng = sc.rng
    boss = plan.notes["manager"]
    manager = next(p for p in sc.site.users if p.address == boss)
    people = [peer for peer, _ in manager.repliable[-80:]] + manager.contacts
    t = day.at(rng.uniform(8.5, 10.0) * HOUR)
    for _ in range(rng.randrange(12, 21)):
        t += rng.randrange(300, 1500)
        subj = sc.text.pick(sc.text.business)
        send_as(sc, v, t, v.lan_ip, [rng.choice(people)], subj, "assistant_alias", frm=boss)
    plan.notes["describe"] = (
        "Benign: {a} is the assistant of " + boss + " and sends as the manager (a "
        "configured alias): {n} messages to the manager's contacts ({span}) from {ip}."
    )


def erp_month_end(sc: Planner, day: Day, v: Persona, plan: Plan) -> None:
    rng, svc = sc.rng, sc.services
    t = day.at(7.0 * HOUR + rng.randrange(0, 600))
    n = rng.randrange(100, 151)
    for i in range(n):
        customer = rng.choice(svc.customers)
        svc.invoice_no += 1
        subj = f"Rechnung RE-{day.date.year}-{svc.invoice_no:06d}"
        mid = f"{t + i * 14}.{svc.invoice_no}.JavaMail.erp@erp.{sc.site.domain}"
        sc.mail.emit(
            t + i * 14, "SMTP", svc.billing, ERP_IP, svc.billing, "no", [customer], subj,
            rng.randrange(60_000, 250_000), mid, NORMAL, "erp_month_end",
        )  # fmt: skip
    plan.notes["describe"] = (
        "Benign: {a} ran the month-end invoicing from the ERP host {ip}: {n} invoices "
        "more than on a usual morning, about twice its usual volume ({span})."
    )


def abroad_blocks(sc: Planner) -> tuple[str, int]:
    """Two /24s of one foreign provider (hotel, venue) and the hours its clock differs."""
    nets = sc.site.nets
    net = sc.rng.choice(nets.abroad)
    blocks = " ".join(sc.site.ips.block((net,)) for _ in range(2))
    return blocks, clock_shift(nets, net)
