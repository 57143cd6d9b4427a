"""The benign kinds of round five (:mod:`.heldout5`).

- ``leave_backlog`` (benign): a person back from leave (the site's planned leave, when a
  free person has one in the period) answers the backlog one evening from home with the
  usual mail program: 120 to 220 replies in two to three hours to the people who wrote.
- ``fair_followup`` (benign): a salesperson at a trade fair in the site's own country
  writes, on two evenings from the hotel's Wi-Fi (a new address of the hotel's network
  per connection) with the usual program, one follow-up to each of 15 to 30 leads met
  that day (people in companies nobody at the site wrote to, a subject with their name),
  and a few messages to the office and usual correspondents.
- ``assistant_home`` (benign): an executive assistant answers for the manager from the
  manager's account at home on a few evenings of a week: the assistant's home line (a home
  provider of the country the manager never used) and the assistant's own mail program,
  reading over IMAP and answering 4 to 12 of the manager's correspondents each evening.
"""

from __future__ import annotations

import ipaddress
from functools import partial

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.data import FIRST_NAMES, FREEMAIL, LAST_NAMES, ascii_name
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.heldout_kit import MINUTE, Out, hook, late_workdays, people_of, plan
from kerio_watch.simulate.netplan import address_in
from kerio_watch.simulate.site import Persona

FAIRS = ("Hannover Messe", "Bau", "Intersolar", "Logimat", "SPS", "Fachpack")
STYLE = {"outlook": "outlook", "thunderbird": "thunderbird", "webmail": "webmail"}
WEBMAIL = ("Kerio Connect Client", "0.0.0.0", "yes")  # noqa: S104 - Kerio's Sender-Host


def plan_benign5(out: Out, days: list[Day], people: list[Persona]) -> None:
    """Plant the benign kinds on the free people left."""
    rng = out.rng
    late = late_workdays(days)
    back = [p for p in people if _home_of(p) and _back_day(days, p) is not None]
    backlog = back or [p for p in people if _home_of(p)]
    if backlog:
        people.remove(backlog[0])
        day = _back_day(days, backlog[0]) or rng.choice(late)
        _backlog(out, day, backlog[0])
    if people:
        first = rng.choice([d for d in late if d.index + 1 < len(days)] or late)
        _fair(out, [first, days[min(len(days) - 1, first.index + 1)]], people.pop())
    managers = [p for p in people if p.contacts and not p.webmail]
    if managers:
        people.remove(managers[0])
        start = rng.choice(late[: max(1, len(late) - 4)])
        evenings = [d for d in days[start.index : start.index + 7] if d.workday]
        _assistant(out, evenings[: rng.randrange(2, 5)], managers[0])


def _home_of(v: Persona) -> bool:
    return bool(v.home_net or v.home_ip[1])


def _back_day(days: list[Day], v: Persona) -> Day | None:
    """The first working day after the person's leave, if the leave ends in the period."""
    if not v.off_days:
        return None
    after = [d for d in days if d.index > max(v.off_days) and d.workday]
    return after[0] if after else None


def home_address(out: Out, v: Persona) -> str:
    """An address of the person's home line (its current lease, else one of its provider)."""
    if v.home_ip[1]:
        return v.home_ip[1]
    home = v.home_net
    return str(ipaddress.ip_network(home)[out.rng.randrange(2, 250)]) if home else v.lan_ip


def _send(
    out: Out, t: int, how: tuple[str, str], v: Persona, to: str, what: tuple[str, str]
) -> None:
    """One message by ``v`` from ``ip`` with its usual program (``how``: address, kind;
    ``what``: subject, Message-ID style)."""
    ip, kind = how
    subj, style = what
    svc = WEBMAIL if style == "webmail" else ("SMTP", ip, "yes")
    domain = out.sc.site.hostname if style == "webmail" else v.domain
    mid = out.text.mid(style, domain)
    out.message(t, svc, v, [to], (subj, out.text.size(), mid), kind, 0.01)


def _login(out: Out, t: int, v: Persona, ip: str) -> None:
    if v.webmail:
        out.login(t, "HTTP/WebMail", v.address, ip, v.agent)
    else:
        out.login(t, "SMTP", v.address, ip)


# -- leave_backlog --------------------------------------------------------------------------


def _backlog(out: Out, day: Day, v: Persona) -> None:
    ip = home_address(out, v)
    plan(
        out,
        "leave_backlog",
        v.address,
        ip,
        "Benign: back from leave, {a} answered the backlog one evening from home ({ip}) with "
        "its usual program: {n} replies to {recipients} people who wrote ({span}).",
    )
    hook(out, day, partial(_backlog_evening, out, ip, v))


def _backlog_evening(out: Out, ip: str, v: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    wrote = [(peer[0], subj) for peer, subj in v.repliable[-400:]]
    wrote = wrote or [(p, text.pick(text.business)) for p in people_of(v)] or [(v.address, "x")]
    t = day.at(rng.uniform(18.5, 20.0) * HOUR)
    end = t + rng.randrange(2 * HOUR, 3 * HOUR)
    n = rng.randrange(120, 221)
    _login(out, t - rng.randrange(30, 300), v, ip)
    for k in range(n):
        when = t + (end - t) * k // n + rng.randrange(0, 40)
        to, subj = rng.choice(wrote)
        reply = subj if subj[:3].lower() in ("aw:", "re:") else f"{rng.choice(text.replies)}{subj}"
        _send(out, when, (ip, "leave_backlog"), v, to, (reply, STYLE[v.client]))


# -- fair_followup --------------------------------------------------------------------------


def _fair(out: Out, two: list[Day], v: Persona) -> None:
    rng, nets = out.rng, out.sc.site.nets
    hotel = rng.choice(nets.hotel)
    lan = ipaddress.ip_network(f"{address_in(hotel, rng)}/24", strict=False)
    fair = rng.choice(FAIRS)
    plan(
        out,
        "fair_followup",
        v.address,
        str(lan),
        "Benign: at the "
        + fair
        + " {a} wrote on two evenings from the hotel's Wi-Fi ("
        + hotel.owner
        + ") with its usual program one follow-up to each lead met that day and a few "
        "messages to the office: {n} messages to {recipients} people ({span}).",
    )
    for d in two:
        hook(out, d, partial(_fair_evening, out, (str(lan), fair), v))


def _lead(out: Out) -> tuple[str, str]:
    """A person met at the fair: an address in a company nobody at the site wrote to
    (or a freemail address), and the person's last name."""
    rng = out.rng
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    if rng.random() < 0.2:
        domain = rng.choice(FREEMAIL)
    else:
        domain = f"{out.text.token(rng.randrange(4, 9))}-{rng.choice(('gmbh', 'ag', 'tech'))}.de"
    return f"{ascii_name(first)}.{ascii_name(last)}@{domain}".lower(), last


def _fair_evening(out: Out, how: tuple[str, str], v: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    cidr, fair = how
    lan = ipaddress.ip_network(cidr)
    known = people_of(v) or [v.address]
    sends = [("lead", _lead(out)) for _ in range(rng.randrange(15, 31))]
    sends += [("known", (rng.choice(known), "")) for _ in range(rng.randrange(1, 4))]
    rng.shuffle(sends)
    t = day.at(rng.uniform(19.0, 21.0) * HOUR)
    for who, (to, last) in sends:
        ip = str(lan[rng.randrange(2, 250)])  # a new address of the hotel's /24 per connection
        _login(out, t, v, ip)
        if who == "lead":
            subj = f"{fair}: unser Gespräch, Herr/Frau {last}"
        else:
            subj = f"{rng.choice(text.replies)}{text.pick(text.business)}"
        _send(out, t + rng.randrange(2, 9), (ip, "fair_followup"), v, to, (subj, STYLE[v.client]))
        t += rng.randrange(2 * MINUTE, 8 * MINUTE)


# -- assistant_home -------------------------------------------------------------------------


def _assistant(out: Out, evenings: list[Day], v: Persona) -> None:
    rng, nets = out.rng, out.sc.site.nets
    net = rng.choice([n for n in nets.home if n.cidr != v.home_net] or list(nets.home))
    ip = address_in(net, rng)
    style = "thunderbird" if v.client == "outlook" else "outlook"
    plan(
        out,
        "assistant_home",
        v.address,
        ip,
        "Benign: the manager's assistant answered for {a} from the manager's account at home "
        "on a few evenings ({ip}, "
        + net.owner
        + ", the assistant's own mail program): {n} replies to {recipients} of the "
        "manager's correspondents ({span}).",
    )
    for d in evenings:
        hook(out, d, partial(_assistant_evening, out, (ip, style), v))


def _assistant_evening(out: Out, how: tuple[str, str], v: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    ip, style = how
    wrote = [(peer[0], subj) for peer, subj in v.repliable[-120:]]
    wrote = wrote or [(p, text.pick(text.business)) for p in people_of(v)] or [(v.address, "x")]
    t = day.at(rng.uniform(19.0, 21.5) * HOUR)
    out.login(t, "IMAP", v.address, ip)
    out.login(t + rng.randrange(5 * MINUTE, 20 * MINUTE), "SMTP", v.address, ip)
    t += 20 * MINUTE
    for _ in range(rng.randrange(4, 13)):
        t += rng.randrange(2 * MINUTE, 10 * MINUTE)
        to, subj = rng.choice(wrote)
        reply = subj if subj[:3].lower() in ("aw:", "re:") else f"{rng.choice(text.replies)}{subj}"
        _send(out, t, (ip, "assistant_home"), v, to, (reply, style))
