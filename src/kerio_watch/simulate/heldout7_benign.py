"""The benign kinds of round seven (:mod:`.heldout7`), and what both write: a shared role
mailbox's month, and webmail's Sent Items.

- ``holiday_greetings`` (benign): before a holiday a person sends one greeting with the
  same picture to 30 to 70 of its correspondents and colleagues, one evening from its
  own home line with its usual mail program: one message with all of them in Bcc (odd
  seeds), or its program's mail merge, a message each every few seconds to a minute
  (even seeds).
- ``team_move`` (benign): a team of three or four moves offices; for three working days
  of the last third it works from a co-working space (a business line of the site's
  country, one address for all of them) with its usual programs: reading, and a few
  messages a day each to its own correspondents and colleagues.
- ``night_shift`` (benign): once, for a deadline, a person works through the night from
  its own home line with its usual program: from about 22:30 to 04:00 it reads and sends
  10 to 20 messages to its own correspondents and colleagues.
"""

from __future__ import annotations

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
from kerio_watch.simulate.draws import HOUR, poisson
from kerio_watch.simulate.heldout5_benign import WEBMAIL, home_address
from kerio_watch.simulate.heldout_kit import MINUTE, Out, hook, late_workdays, people_of, plan
from kerio_watch.simulate.mailbox import quoted
from kerio_watch.simulate.netplan import address_in
from kerio_watch.simulate.site import Persona

GREETINGS = ("Frohe Ostern!", "Schöne Osterfeiertage", "Happy Easter!")


def plan_benign7(out: Out, days: list[Day], people: list[Persona]) -> None:
    """Plant the benign kinds on the free people left."""
    rng = out.rng
    late = late_workdays(days)
    homes = [p for p in people if _home_of(p) and not p.webmail and len(people_of(p)) >= 10]
    if homes:
        people.remove(homes[0])
        _greetings(out, rng.choice(late), homes[0])
    team = [p for p in people if people_of(p)][: rng.randrange(3, 5)]
    if len(team) >= 2:
        for p in team:
            people.remove(p)
        first = rng.randrange(max(1, len(late) - 2))
        _team_move(out, late[first : first + 3], team)
    nights = [p for p in people if _home_of(p) and not p.webmail and people_of(p)]
    if nights:
        people.remove(nights[0])
        _night(out, rng.choice(late[:-1] or late), nights[0])


def _home_of(v: Persona) -> bool:
    return bool(v.home_net or v.home_ip[1])


def home_elsewhere(out: Out, v: Persona) -> tuple[str, str]:
    """An address of a home provider of the site's country the person does not use, and
    the provider's name."""
    nets = out.sc.site.nets
    net = out.rng.choice([n for n in nets.home if n.cidr != v.home_net] or list(nets.home))
    return address_in(net, out.rng), net.owner


def sent_item(
    out: Out,
    t: int,
    who: tuple[str, Persona],
    what: tuple[str, str, int],
    folders: tuple[str, str] = ("Drafts", "Sent Items"),
    delivered: int | None = None,
) -> None:
    """operations.log: a webmail message of ``v`` moved between ``folders`` from ``ip``
    (``who``: address, account; ``what``: subject, Message-ID, size)."""
    ip, v = who
    subj, mid, size = what
    a, (src, dest) = v.address, folders
    out.sc.ops.add(
        t,
        f"{{MOVE}} Protocol: HTTP/WebMail, User: {a}, IP: {ip}, Folder: ~{a}/{src}, "
        f'Destination Folder: ~{a}/{dest}, From: "{quoted(v.name)}" <{a}>, '
        f'Subject: "{quoted(subj)}", Msg-Id: <<{mid}>>, '
        f"Delivered: {out.sc.clock.wall(t if delivered is None else delivered)}, Size: {size}\n",
    )


def _send(out: Out, t: int, ip: str, v: Persona, to: str, kind: str) -> None:
    """One message of ``v`` with its usual program from ``ip`` (the webmail's too)."""
    text = out.text
    subj = text.pick(text.business)
    if v.webmail:
        mid = text.mid("webmail", out.sc.site.hostname)
        size = text.size()
        out.message(t, WEBMAIL, v, [to], (subj, size, mid), kind, 0.01)
        sent_item(out, t + 1, (ip, v), (subj, mid, size))
        return
    mid = text.mid(v.client, v.domain)
    out.message(t, ("SMTP", ip, "yes"), v, [to], (subj, text.size(), mid), kind, 0.01)


def _login(out: Out, t: int, v: Persona, ip: str) -> None:
    if v.webmail:
        out.login(t, "HTTP/WebMail", v.address, ip, v.agent)
        return
    out.login(t, v.reader if v.reader == "IMAP" else "IMAP", v.address, ip)
    out.login(t + out.rng.randrange(30, 5 * MINUTE), "SMTP", v.address, ip)


# -- holiday_greetings ----------------------------------------------------------------------


def _greetings(out: Out, day: Day, v: Persona) -> None:
    ip = home_address(out, v)
    plan(
        out,
        "holiday_greetings",
        v.address,
        ip,
        "Benign: one evening at home ({ip}, its own home line) {a} sent the same holiday "
        "greeting with a picture to {recipients} of its correspondents and colleagues, one "
        "message each, with its usual program ({span}).",
    )
    hook(out, day, partial(_greet, out, ip, v))


def _greet(out: Out, ip: str, v: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    t = day.at(rng.uniform(19.0, 21.0) * HOUR)
    out.login(t, "SMTP", v.address, ip)
    subj, size = rng.choice(GREETINGS), rng.randrange(300_000, 1_500_000)
    people = people_of(v)
    rng.shuffle(people)
    people = people[: rng.randrange(30, 71)]
    if out.seed % 2:  # one message, everyone in Bcc
        what = (subj, size, text.mid(v.client, v.domain))
        out.message(t + rng.randrange(60, 600), ("SMTP", ip, "yes"), v, people, what,
                    "holiday_greetings", 0.02)  # fmt: skip
        return
    for peer in people:  # the program's mail merge: one message each
        t += rng.randrange(5, 60)
        mid = text.mid(v.client, v.domain)
        out.message(t, ("SMTP", ip, "yes"), v, [peer], (subj, size + rng.randrange(0, 200), mid),
                    "holiday_greetings", 0.02)  # fmt: skip


# -- team_move ------------------------------------------------------------------------------


def _team_move(out: Out, days: list[Day], team: list[Persona]) -> None:
    rng, nets = out.rng, out.sc.site.nets
    net = rng.choice(nets.hotel)
    ip = address_in(net, rng)
    plan(
        out,
        "team_move",
        team[0].address,
        ip,
        f"Benign: a team of {len(team)} ({{a}} and "
        + ", ".join(p.address for p in team[1:])
        + ") moved offices and worked for three days from a co-working space ({ip}, "
        + net.owner
        + ") with its usual programs: {n} messages to its own correspondents ({span}).",
    )
    for d in days:
        hook(out, d, partial(_team_day, out, ip, team))


def _team_day(out: Out, ip: str, team: list[Persona], day: Day) -> None:
    rng = out.rng
    for v in team:
        t = day.at(rng.uniform(8.0, 9.5) * HOUR)
        _login(out, t, v, ip)
        people = people_of(v)
        t += 10 * MINUTE
        for _ in range(rng.randrange(2, 7)):
            t += rng.randrange(15 * MINUTE, 70 * MINUTE)
            _send(out, t, ip, v, rng.choice(people), "team_move")


# -- night_shift ----------------------------------------------------------------------------


def _night(out: Out, day: Day, v: Persona) -> None:
    ip = home_address(out, v)
    plan(
        out,
        "night_shift",
        v.address,
        ip,
        "Benign: for a deadline {a} worked through one night from its own home line ({ip}) "
        "with its usual program: {n} messages to its own correspondents and colleagues "
        "({span}).",
    )
    hook(out, day, partial(_night_work, out, ip, v))


def _night_work(out: Out, ip: str, v: Persona, day: Day) -> None:
    rng = out.rng
    t = day.at(rng.uniform(22.0, 23.0) * HOUR)
    _login(out, t, v, ip)
    people = people_of(v)
    end = day.at(rng.uniform(27.5, 28.5) * HOUR)  # about 04:00 the next morning
    for _ in range(rng.randrange(10, 21)):
        t += rng.randrange(5 * MINUTE, 25 * MINUTE)
        if t > end:
            break
        if rng.random() < 0.15:
            _login(out, t - rng.randrange(5, 60), v, ip)
        _send(out, t, ip, v, rng.choice(people), "night_shift")


# -- a shared role mailbox ------------------------------------------------------------------


def role_box(out: Out, days: list[Day], local: str, tag: str) -> Persona | None:
    """A shared role mailbox ``local@<domain>`` three people answer customers from all
    month (None if the site has an account of that name)."""
    sc, rng = out.sc, out.rng
    address = f"{local}@{sc.site.domain}"
    if address in sc.site.accounts() or len(sc.site.users) < 3:
        return None
    helpers = rng.sample(sc.site.users, 3)
    for h in helpers:  # a machine's users at these desks include the box (the firewall)
        sc.site.desks.setdefault(h.lan_ip, []).append(address)
    box = Persona(address, "Info", "outlook", helpers[0].lan_ip, 8 * HOUR, 17 * HOUR, 0.0,
                  0.0, 0.0, "", domain=sc.site.domain)  # fmt: skip
    customers = [_customer(out) for _ in range(40)]
    for d in days:
        if d.workday and d.index not in sc.site.holidays:
            hook(out, d, partial(_box_day, out, (box, helpers, customers), f"{tag}:{address}"))
    return box


def _customer(out: Out) -> str:
    rng = out.rng
    name = f"{ascii_name(rng.choice(FIRST_NAMES))}.{ascii_name(rng.choice(LAST_NAMES))}"
    company = f"{rng.choice(PARTNER_STEMS)}-{rng.choice(PARTNER_KINDS)}{rng.choice(PARTNER_TLDS)}"
    return f"{name}@{company}"


def _box_day(out: Out, who: tuple[Persona, list[Persona], list[str]], tag: str, day: Day) -> None:
    """A working day of the box: each helper at its desk answers a few customers with its
    own program; now and then one of them answers one more from its home line at night."""
    rng = out.rng
    box, helpers, customers = who
    for h in helpers:
        if day.index in h.off_days:
            continue
        for _ in range(poisson(rng, 2.0)):
            t = day.at(rng.uniform(h.start + 600, h.end - 600))
            _box_send(out, t, (h, h.lan_ip), box, rng.choice(customers), tag)
    homes = [h for h in helpers if _home_of(h) and day.index not in h.off_days]
    if homes and rng.random() < 0.25:
        h = rng.choice(homes)
        t = day.at(rng.uniform(19.0, 21.5) * HOUR)
        _box_send(out, t, (h, home_address(out, h)), box, rng.choice(customers), tag)


def _box_send(out: Out, t: int, how: tuple[Persona, str], box: Persona, to: str, tag: str) -> None:
    """One answer from the box by helper ``h`` from ``ip`` with the helper's program."""
    text = out.text
    h, ip = how
    subj = f"{out.rng.choice(out.text.replies)}{text.pick(text.support)}"
    if h.webmail:
        out.login(t - 30, "HTTP/WebMail", box.address, ip, h.agent)
        mid = text.mid("webmail", out.sc.site.hostname)
        size = text.size()
        out.message(t, WEBMAIL, box, [to], (subj, size, mid), tag, 0.01)
        sent_item(out, t + 1, (ip, box), (subj, mid, size))
        return
    out.login(t - out.rng.randrange(1, 5), "SMTP", box.address, ip)
    mid = text.mid(h.client, box.domain)
    out.message(t, ("SMTP", ip, "yes"), box, [to], (subj, text.size(), mid), tag, 0.01)
