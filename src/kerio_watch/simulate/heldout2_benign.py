"""The benign kinds of round two (:mod:`.heldout2`).

- ``field_engineer`` (benign): a service technician is at a customer's on most working
  days, all month: from the customer's guest network (a business line of the country;
  a dozen customers, visited again and again) the technician logs in to the webmail
  with the laptop's browser and sends one to three service reports, each to the
  customer's contact and a colleague in the office.
- ``outside_bookkeeper`` (benign): the site's external bookkeeping firm works in a
  person's mailbox with its password from the firm's office line (a business line of the
  country) with its own mail program: one afternoon in the middle of the month a few
  questions to colleagues, then on the last two working days the month's invoices and
  reminders, one each to 25 to 50 of the account's customers, with PDFs.
- ``leave_abroad`` (benign): a person spends the week of leave the site already plans in
  another country and keeps up with mail from the laptop with the usual program: first
  from the hotel's Wi-Fi, then through a local prepaid SIM (that country's mobile
  carrier, a new address per connection), at that country's hours, to people it knows.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.countries import COUNTRIES, net_plan
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.heldout_kit import MINUTE, Out, hook, people_of, plan
from kerio_watch.simulate.netplan import Net, address_in
from kerio_watch.simulate.site import Persona
from kerio_watch.simulate.users import WEBMAIL_HOST, WEBMAIL_SERVICE


def plan_benign2(out: Out, days: list[Day], people: list[Persona]) -> None:
    """Plant the benign kinds on the free ``people`` left (as many as there are)."""
    away = [p for p in people if p.off_days and p.contacts]
    if away:
        people.remove(away[0])
        _leave(out, days, away[0])
    if people:
        _engineer(out, days, people.pop())
    if people:
        _bookkeeper(out, days, people.pop())


# -- field_engineer -------------------------------------------------------------------------


def _engineer(out: Out, days: list[Day], v: Persona) -> None:
    rng, nets = out.rng, out.sc.site.nets
    sites = [address_in(rng.choice(nets.hotel), rng) for _ in range(rng.randrange(9, 15))]
    plan(
        out,
        "field_engineer",
        v.address,
        sites[0],
        "Benign: {a} is a service technician at customers' sites most working days; from "
        f"{len(sites)} customers' guest networks it sent {{n}} service reports through the "
        "webmail to the customers and the office ({span}).",
    )
    for d in days:
        if d.workday and d.index not in v.off_days and rng.random() < 0.75:
            weights = [1.0 / (1 + i) for i in range(len(sites))]  # some customers often
            hook(out, d, partial(_visit, out, rng.choices(sites, weights)[0], v))


def _visit(out: Out, ip: str, v: Persona, day: Day) -> None:
    rng, text, sc = out.rng, out.text, out.sc
    t = day.at(rng.uniform(9.0, 15.0) * HOUR)
    out.login(t, "HTTP/WebMail", v.address, ip, v.agent)
    customer = rng.choice(v.contacts)[0] if v.contacts else None
    office = [p[0] for p in v.colleagues[:6]] or [v.address]
    for _ in range(rng.randrange(1, 4)):
        t += rng.randrange(15 * MINUTE, 60 * MINUTE)
        rcpts = [r for r in (customer, rng.choice(office)) if r]
        subj, size = text.pick(text.support), rng.randrange(40_000, 900_000)
        mid = text.mid("webmail", sc.site.domain)
        out.message(t, (WEBMAIL_SERVICE, WEBMAIL_HOST, "yes"), v, rcpts, (subj, size, mid),
                    "field_engineer")  # fmt: skip
        sc.traffic.sent_item(t, v, ip, v.address, subj, mid, size)


# -- outside_bookkeeper ---------------------------------------------------------------------


def _bookkeeper(out: Out, days: list[Day], v: Persona) -> None:
    rng, nets = out.rng, out.sc.site.nets
    work = [d for d in days if d.workday] or days
    middle = work[len(work) // 3 : (2 * len(work)) // 3 + 1] or work
    firm = address_in(rng.choice(nets.hotel), rng)
    program = "thunderbird" if v.client == "outlook" else "outlook"
    plan(
        out,
        "outside_bookkeeper",
        v.address,
        firm,
        "Benign: the site's external bookkeeping firm works in {a}'s mailbox from its office "
        "line {ip} with its own mail program: a few questions to colleagues mid-month, then "
        "the month's invoices and reminders to the account's customers; {n} messages to "
        "{recipients} recipients ({span}).",
    )
    customers = list(dict.fromkeys(p[0] for p in v.contacts))
    rng.shuffle(customers)
    customers = customers[: rng.randrange(25, 51)]
    half = len(customers) // 2
    hook(out, rng.choice(middle), partial(_books, out, (firm, program), v, []))
    for d, batch in zip(work[-2:], (customers[:half], customers[half:]), strict=False):
        hook(out, d, partial(_books, out, (firm, program), v, batch))


def _books(out: Out, firm: tuple[str, str], v: Persona, batch: list[str], day: Day) -> None:
    rng, text = out.rng, out.text
    ip, program = firm
    t = day.at(rng.uniform(13.0, 15.0) * HOUR)
    for _ in range(rng.randrange(2, 5)):
        out.login(t + rng.randrange(0, 3 * HOUR), "IMAP", v.address, ip)
    colleagues = [p[0] for p in v.colleagues[:8]]
    todo = [[r] for r in batch] or [[rng.choice(colleagues)] for _ in range(rng.randrange(3, 7))]
    for i, rcpts in enumerate(todo):
        if i % 6 == 0:  # the program sends what it has in one connection
            out.login(t - 1, "SMTP", v.address, ip)
        size = rng.randrange(60_000, 250_000) if batch else text.size()
        subj = text.pick(text.business)
        out.message(t, ("SMTP", ip, "yes"), v, rcpts, (subj, size, text.mid(program, v.domain)),
                    "outside_bookkeeper")  # fmt: skip
        t += rng.randrange(1 * MINUTE, 5 * MINUTE)


# -- leave_abroad ---------------------------------------------------------------------------


def _leave(out: Out, days: list[Day], v: Persona) -> None:
    rng, site = out.rng, out.sc.site
    first, last = min(v.off_days), max(v.off_days)
    trip = days[max(0, first - 2) : min(len(days), last + 3)]
    there = net_plan(rng.choice([c for c in COUNTRIES if c != site.nets.country]))
    hotel, sim = rng.choice(there.hotel), rng.choice(there.mobile)
    noon = datetime.combine(trip[0].date, datetime.min.time()).replace(hour=12)
    home_off = ZoneInfo(site.nets.zone).utcoffset(noon)
    away_off = ZoneInfo(there.zone).utcoffset(noon)
    shift = (home_off - away_off).total_seconds() if home_off and away_off else 0.0
    wifi, block = rng.randrange(2, 4), address_in(hotel, rng).rpartition(".")[0]
    plan(
        out,
        "leave_abroad",
        v.address,
        None,
        f"Benign: {{a}} spent a week of leave in {there.country} ({len(trip)} days) and kept "
        f"up with mail from the laptop: the hotel's Wi-Fi ({block}.0/24), then a local "
        f"prepaid SIM ({sim.owner}); {{n}} messages to people it knows ({{span}}).",
    )
    for k, d in enumerate(trip):
        hook(out, d, partial(_abroad_day, out, (sim, block if k < wifi else "", shift), v))


def _abroad_day(out: Out, where: tuple[Net, str, float], v: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    sim, block, shift = where
    people = people_of(v)

    def ip() -> str:  # the hotel leases in its /24; the carrier's CGNAT anywhere in its pool
        return f"{block}.{rng.randrange(2, 254)}" if block else address_in(sim, rng)

    def when(local_hours: float) -> int:
        return day.at(local_hours * HOUR + shift)

    proto, agent = ("HTTP/WebMail", v.agent) if v.webmail else (v.reader, None)
    for _ in range(rng.randrange(3, 8)):
        out.login(when(rng.uniform(7.5, 23.0)), proto, v.address, ip(), agent)
    for _ in range(rng.randrange(1, 5)):
        t, addr = when(rng.uniform(8.0, 22.5)), ip()
        rcpts = [rng.choice(people)] if people else [v.address]
        subj = text.pick(text.business)
        if v.webmail:
            mid = text.mid("webmail", out.sc.site.domain)
            out.login(t - rng.randrange(30, 300), "HTTP/WebMail", v.address, addr, v.agent)
            out.message(t, (WEBMAIL_SERVICE, WEBMAIL_HOST, "yes"), v, rcpts,
                        (subj, text.size(), mid), "leave_abroad")  # fmt: skip
            out.sc.traffic.sent_item(t, v, addr, v.address, subj, mid, text.size())
        else:
            out.login(t - rng.randrange(1, 4), "SMTP", v.address, addr)
            size = text.size()
            out.message(t, ("SMTP", addr, "yes"), v, rcpts,
                        (subj, size, text.mid(v.client, v.domain)), "leave_abroad")  # fmt: skip
