"""The benign kinds of round four (:mod:`.heldout4`), and the lines both write of mail
that comes in and mail a person removes.

- ``event_invitation`` (benign): a person invites the company's customers to an event (an
  open house, a seminar): one invitation, one message to 120 to 250 attendees (its own
  correspondents, colleagues' customers and leads from a fair), from the desk in office
  hours, with the usual program (the webmail's calendar or the mail program over SMTP).
- ``junk_cleanup`` (benign): a person's address lands on a spam list; for three to five
  days 15 to 40 junk messages a day come in from strangers, and the person deletes them
  from the phone on its carrier (IMAP, to Deleted Items) a few times a day, or from the
  home line in the evening when it has no phone.
- ``laptop_setup`` (benign): one evening a person sets up its mail on a new private
  laptop at home (a mail program it never used) and sends a test message to its own
  freemail address; on a few later evenings it answers usual correspondents with it.
"""

from __future__ import annotations

import ipaddress
from functools import partial

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.data import FIRST_NAMES, FREEMAIL, LAST_NAMES, ascii_name
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.heldout_kit import MINUTE, Out, hook, late_workdays, people_of, plan
from kerio_watch.simulate.mailbox import quoted
from kerio_watch.simulate.netplan import address_in
from kerio_watch.simulate.site import LOCALHOST, Persona, make_person, ssl_of

Item = tuple[int, str, str, str, str, int]
"""A message in a mailbox: (delivered, sender's name, sender, subject, Message-ID, size)."""
STYLE = {"outlook": "outlook", "thunderbird": "thunderbird", "webmail": "webmail"}


def inbound(out: Out, t: int, sender: str, v: Persona, subj: str) -> Item:
    """Mail from outside to ``v`` (its Recv and local delivery); the item it leaves."""
    rng, text, site = out.rng, out.text, out.sc.site
    domain = sender.rpartition("@")[2]
    hosts = site.domains.senders.get(domain)
    host = rng.choice(hosts) if hosts else address_in(rng.choice(site.nets.faraway), rng)
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    mid = text.mid("gmail" if domain in FREEMAIL else "generic", domain)
    size = text.size()
    out.counter += 1
    qid = f"{t:08x}-e{out.counter:07x}"  # hex, apart from the site's counter
    add = out.sc.mail.sink.add
    add(
        t,
        f"Recv: Queue-ID: {qid}, Service: SMTP, From: <{sender}>, To: <{v.address}>, "
        f"Size: {size}, Sender-Host: {host}, SSL: {ssl_of(host)}, Subject: {subj}, "
        f"Msg-Id: <{mid}>\n",
    )
    add(
        t + 1,
        f"Sent: Queue-ID: {qid}, Recipient: <{v.address}>, Result: delivered, Status: 2.0.0 , "
        f"Remote-Host: {LOCALHOST}, Msg-Id: <{mid}>\n",
    )
    return (t, name, sender, subj, mid, size)


def remove(out: Out, t: int, how: tuple[str, str, str], v: Persona, item: Item) -> None:
    """operations.log: ``v``'s ``item`` moved from the Inbox (``how``: protocol, address,
    destination folder)."""
    proto, ip, dest = how
    a = v.address
    delivered, name, sender, subj, mid, size = item
    out.sc.ops.add(
        t,
        f"{{MOVE}} Protocol: {proto}, User: {a}, IP: {ip}, Folder: ~{a}/INBOX, "
        f'Destination Folder: ~{a}/{dest}, From: "{quoted(name)}" <{sender}>, '
        f'Subject: "{quoted(subj)}", Msg-Id: <<{mid}>>, '
        f"Delivered: {out.sc.clock.wall(delivered)}, Size: {size}\n",
    )


def plan_benign4(out: Out, days: list[Day], people: list[Persona]) -> None:
    """Plant the benign kinds on the free people left."""
    rng = out.rng
    late = late_workdays(days)
    middle = [d for d in days[len(days) // 3 : (2 * len(days)) // 3] if d.workday] or late
    if people:
        _invitation(out, rng.choice(late), people.pop())
    phones = [p for p in people if p.carrier or p.home_net]
    if phones:
        people.remove(phones[0])
        _junk(out, days, rng.choice(late[: max(1, len(late) - 3)]), phones[0])
    homes = [p for p in people if (p.home_net or p.home_ip[1]) and not p.webmail]
    if homes:
        people.remove(homes[0])
        _laptop(out, days, rng.choice(middle), homes[0])


def _home(out: Out, v: Persona) -> str:
    if v.home_ip[1]:
        return v.home_ip[1]
    home = v.home_net
    return str(ipaddress.ip_network(home)[out.rng.randrange(2, 250)]) if home else v.lan_ip


# -- event_invitation -----------------------------------------------------------------------


def _invitation(out: Out, day: Day, v: Persona) -> None:
    plan(
        out,
        "event_invitation",
        v.address,
        v.lan_ip,
        "Benign: {a} invited the company's customers to an event from its desk ({ip}) with "
        "its usual program: one invitation to {recipients} attendees ({span}).",
    )
    hook(out, day, partial(_invite_all, out, v))


def _invite_all(out: Out, v: Persona, day: Day) -> None:
    rng, text, site = out.rng, out.text, out.sc.site
    local = site.local_domains
    own = [a for a in people_of(v) if a.rpartition("@")[2] not in local]
    theirs = [c[0] for p in site.users if p is not v for c in p.contacts]
    n = rng.randrange(120, 251)
    chosen = rng.sample(own, min(len(own), n // 3))
    chosen += rng.sample(theirs, min(len(theirs), n // 3))
    while len(chosen) < n:  # leads from a fair
        chosen.append(make_person(rng, rng.choice(site.partners + list(FREEMAIL)))[0])
    rcpts = list(dict.fromkeys(chosen))
    t = day.at(rng.uniform(9.5, 15.0) * HOUR)
    subj = f"Einladung: {rng.choice(('Tag der offenen Tür', 'Kundenseminar', 'Hausmesse'))}"
    if v.webmail:
        out.login(t - rng.randrange(60, 600), "HTTP/WebMail", v.address, v.lan_ip, v.agent)
        how = ("Kerio Connect Client", "0.0.0.0", "yes")  # noqa: S104
    else:
        out.login(t - rng.randrange(1, 4), "SMTP", v.address, v.lan_ip)
        how = ("SMTP", v.lan_ip, "yes")
    mid = text.mid(STYLE[v.client], v.domain if not v.webmail else site.hostname)
    out.message(t, how, v, rcpts, (subj, rng.randrange(8000, 30000), mid), "event_invitation")


# -- junk_cleanup ---------------------------------------------------------------------------


def _junk(out: Out, days: list[Day], first: Day, v: Persona) -> None:
    rng = out.rng
    where = v.carrier or v.home_net or ""
    plan(
        out,
        "junk_cleanup",
        v.address,
        where,
        "Benign: {a}'s address landed on a spam list; for a few days junk came in from "
        "strangers and the person deleted it "
        + ("from the phone on its carrier" if v.carrier else "from home in the evening")
        + " ({ip}; {span}).",
    )
    pending: list[Item] = []
    for d in days[first.index : first.index + rng.randrange(3, 6)]:
        hook(out, d, partial(_junk_day, out, v, pending))


def _junk_day(out: Out, v: Persona, pending: list[Item], day: Day) -> None:
    rng, text = out.rng, out.text
    for t in sorted(day.at(rng.uniform(0.0, 24.0) * HOUR) for _ in range(rng.randrange(15, 41))):
        pending.append(inbound(out, t, out.stranger(), v, text.pick(text.spam)))
    if v.carrier:
        net = ipaddress.ip_network(v.carrier)
        sessions = sorted(day.at(rng.uniform(7.0, 22.0) * HOUR) for _ in range(rng.randrange(2, 5)))
    else:
        net = None
        sessions = [day.at(rng.uniform(19.0, 22.0) * HOUR)]
    for t in sessions:
        ip = (
            str(net[rng.randrange(2, min(net.num_addresses - 2, 60_000))]) if net else _home(out, v)
        )
        out.login(t, "IMAP", v.address, ip)
        due = [m for m in pending if m[0] < t]
        for m in due:
            pending.remove(m)
            t += rng.randrange(2, 20)
            remove(out, t, ("IMAP", ip, "Deleted Items"), v, m)
            out.mark(t, t, "junk_cleanup")


# -- laptop_setup ---------------------------------------------------------------------------


def _laptop(out: Out, days: list[Day], first: Day, v: Persona) -> None:
    rng = out.rng
    ip = _home(out, v)
    plan(
        out,
        "laptop_setup",
        v.address,
        ip,
        "Benign: one evening {a} set up its mail on a new private laptop at home ({ip}) "
        "with a mail program it never used, sent a test message to its own freemail "
        "address, and answered usual correspondents with it on a few later evenings ({span}).",
    )
    style = "thunderbird" if v.client == "outlook" else "outlook"
    evenings = [d for d in days[first.index + 1 :] if d.workday][: rng.randrange(2, 5)]
    hook(out, first, partial(_laptop_evening, out, (ip, style), v, True))
    for d in evenings:
        hook(out, d, partial(_laptop_evening, out, (ip, style), v, False))


def _laptop_evening(out: Out, how: tuple[str, str], v: Persona, test: bool, day: Day) -> None:
    rng, text = out.rng, out.text
    ip, style = how
    t = day.at(rng.uniform(19.0, 22.0) * HOUR)
    out.login(t, "SMTP", v.address, ip)
    first, last = v.name.split(" ", 1) if " " in v.name else (v.name, "x")
    if test:
        own = f"{ascii_name(first)}.{ascii_name(last)}{rng.randrange(1, 99)}@{rng.choice(FREEMAIL)}"
        mid = text.mid(style, v.domain)
        out.message(t + 2, ("SMTP", ip, "yes"), v, [own.lower()], ("Test", 600, mid),
                    "laptop_setup", 0.0)  # fmt: skip
        return
    peers = people_of(v) or [v.address]
    for _ in range(rng.randrange(1, 4)):
        t += rng.randrange(2 * MINUTE, 20 * MINUTE)
        subj = f"{rng.choice(text.replies)}{text.pick(text.business)}"
        mid = text.mid(style, v.domain)
        out.message(t, ("SMTP", ip, "yes"), v, [rng.choice(peers)],
                    (subj, text.size(), mid), "laptop_setup", 0.0)  # fmt: skip
