"""The benign held-out kinds (``archive_reader``, ``phone_swap``, ``quota_cleanup``): see
:mod:`.heldout`."""

from __future__ import annotations

import ipaddress
from functools import partial

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.heldout_kit import DAY, Out, hook, plan
from kerio_watch.simulate.mailbox import quoted
from kerio_watch.simulate.netplan import Net, address_in
from kerio_watch.simulate.site import Persona


def plan_benign(
    out: Out, days: list[Day], when: tuple[list[Day], list[Day]], phone: Persona | None,
    people: list[Persona],
) -> None:  # fmt: skip
    """Plant the benign kinds (``when``: the working days of the middle and last thirds;
    ``phone``: a person whose phone reads on a carrier; ``people``: the free ones left)."""
    middle, late = when
    _archive(out, days, out.rng.choice(middle))
    if phone is not None:
        _phone_swap(out, days, out.rng.choice(middle), phone)
    if people:
        _cleanup(out, out.rng.choice(late), people.pop())


# -- archive_reader -------------------------------------------------------------------------


def _archive(out: Out, days: list[Day], first: Day) -> None:
    rng, sc = out.rng, out.sc
    ip = address_in(rng.choice(sc.site.nets.hosting), rng)
    boxes = [p.address for p in sc.site.users]
    archivist = rng.choice(boxes)  # the truth names one account; every mailbox is read
    plan(
        out,
        "archive_reader",
        archivist,
        ip,
        "Benign: from {span} the IT provider's hosted mail archive at {ip} (a cloud of the "
        f"country) read all {len(boxes)} mailboxes over IMAP every night; nothing was sent.",
    )
    for d in days[first.index :]:
        hook(out, d, partial(_archive_night, out, ip, boxes, archivist))


def _archive_night(out: Out, ip: str, boxes: list[str], archivist: str, day: Day) -> None:
    rng = out.rng
    t = day.at(rng.uniform(1.0, 1.5) * HOUR)
    for a in boxes:
        t += rng.randrange(20, 240)
        out.login(t, "IMAP", a, ip)
        if a == archivist:
            out.mark(t, t + 1, "archive_reader")


# -- phone_swap -----------------------------------------------------------------------------


def _phone_swap(out: Out, days: list[Day], first: Day, v: Persona) -> None:
    carrier = Net(v.carrier or "", "", "")
    plan(
        out,
        "phone_swap",
        v.address,
        address_in(carrier, out.rng),
        "Benign: {a} replaced its phone by an Android model on the same carrier; the new "
        "mail app sent {n} messages to usual correspondents ({span}).",
    )
    for d in days[first.index :]:
        hook(out, d, partial(_phone_day, out, carrier, v, d.index == first.index))


def _phone_day(out: Out, carrier: Net, v: Persona, setup: bool, day: Day) -> None:
    rng, text = out.rng, out.text
    for _ in range(rng.randrange(8, 15) if setup else rng.randrange(3, 8)):
        out.login(
            day.at(rng.uniform(7.0, 22.5) * HOUR), "IMAP", v.address, address_in(carrier, rng)
        )
    people = [peer[0] for peer, _ in v.repliable[-60:]] or [p[0] for p in v.contacts[:20]]
    if not people:
        return
    for _ in range(rng.randrange(1, 4) if day.workday else rng.randrange(0, 2)):
        t = day.at(rng.uniform(7.5, 21.5) * HOUR)
        ip = address_in(carrier, rng)
        out.login(t - rng.randrange(1, 4), "SMTP", v.address, ip)
        mid = f"{text.token(16).upper()}.{rng.getrandbits(20)}@email.android.com"
        out.message(t, ("SMTP", ip, "yes"), v, [rng.choice(people)],
                    (text.pick(text.business), text.size(), mid), "phone_swap")  # fmt: skip


# -- quota_cleanup --------------------------------------------------------------------------


def _cleanup(out: Out, day: Day, v: Persona) -> None:
    rng = out.rng
    home = v.home_net
    ip = str(ipaddress.ip_network(home)[rng.randrange(2, 250)]) if home else v.lan_ip
    plan(
        out,
        "quota_cleanup",
        v.address,
        ip,
        "Benign: {a}'s mailbox was full; one evening the person logged in to the webmail "
        "from {ip} and deleted hundreds of old items from Sent Items and the Inbox ({span}); "
        "nothing was sent.",
    )
    hook(out, day, partial(_cleanup_evening, out, ip, v))


def _cleanup_evening(out: Out, ip: str, v: Persona, day: Day) -> None:
    rng, text, sc = out.rng, out.text, out.sc
    a = v.address
    t = start = day.at(rng.uniform(19.0, 21.0) * HOUR)
    out.login(t, "HTTP/WebMail", a, ip, v.agent)
    peers = list(v.contacts + v.colleagues) or [v.me]
    for folder in ("Sent Items", "INBOX"):
        for _ in range(rng.randrange(100, 301)):
            t += rng.randrange(1, 4)
            peer = rng.choice(peers)
            frm = (v.name, a) if folder == "Sent Items" else (peer[1], peer[0])
            old = day.start - rng.randrange(200, 1500) * DAY
            sc.ops.add(
                t,
                f"{{MOVE}} Protocol: HTTP/WebMail, User: {a}, IP: {ip}, Folder: ~{a}/{folder}, "
                f'Destination Folder: ~{a}/Deleted Items, From: "{quoted(frm[0])}" <{frm[1]}>, '
                f'Subject: "{quoted(text.pick(text.business))}", '
                f"Msg-Id: <<{text.mid('outlook', frm[1].rpartition('@')[2])}>>, "
                f"Delivered: {sc.clock.wall(old)}, Size: {text.size()}\n",
            )
    out.mark(start, t, "quota_cleanup")
