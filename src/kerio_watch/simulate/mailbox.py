"""operations.log: what people do in their mailboxes (move, delete, file)."""

from __future__ import annotations

import random

from kerio_watch.simulate.clock import Day, SiteClock
from kerio_watch.simulate.sink import LogSink
from kerio_watch.simulate.site import Persona


def quoted(value: str) -> str:
    """A value inside double quotes in operations.log (embedded quotes are doubled)."""
    return value.replace('"', '""')


def housekeeping(
    ops: LogSink, clock: SiteClock, rng: random.Random, p: Persona, day: Day, ip: str
) -> None:
    """The user deletes or files a few received messages, from ``ip``."""
    if p.reader == "POP3" and not p.webmail:
        return
    proto = "HTTP/WebMail" if p.webmail else p.reader
    a = p.address
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        t = day.at(p.start + rng.random() * (p.end - p.start))
        candidates = [m for m in p.inbox if m[0] < t]
        if not candidates:
            continue
        item = rng.choice(candidates)
        p.inbox.remove(item)
        delivered, name, sender, subj, mid, size = item
        dest = "Deleted Items" if rng.random() < 0.75 else f"Archiv/{day.date.year}"
        ops.add(
            t,
            f"{{MOVE}} Protocol: {proto}, User: {a}, IP: {ip}, Folder: ~{a}/INBOX, "
            f'Destination Folder: ~{a}/{dest}, From: "{quoted(name)}" <{sender}>, '
            f'Subject: "{quoted(subj)}", Msg-Id: <<{mid}>>, '
            f"Delivered: {clock.wall(delivered)}, Size: {size}\n",
        )
