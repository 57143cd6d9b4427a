"""The benign kinds of round six (:mod:`.heldout6`), and what both write: a botnet's
guesses, and a copier's scans.

- ``failed_spray`` (benign): the same distributed brute force as ``botnet_guess`` on
  another account, 120 to 300 botnet addresses each failing once over a day or so, but
  the password holds: no guess works, nothing is sent, and the owner works as usual.
- ``scan_cloud`` (benign): a second multifunction printer with its own scan-to-mail
  account (``copier@<domain>``) sends scans from its LAN address to the staff from the
  first day; on a working day of the middle third its firmware update switches it to the
  maker's cloud relay, and from then on the same scans to the same staff come in with
  SMTP AUTH from a cloud server (of the site's country on even seeds, abroad on odd
  ones), with TLS.
- ``vpn_catchup`` (benign): a person on the way (a train, a café) switches on a commercial
  VPN app of its own country for the first time and, one evening, reads over IMAP with its
  usual mail program and answers 15 to 35 of its threads at a person's pace (a few
  minutes each), each reply of its own size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.draws import HOUR, poisson
from kerio_watch.simulate.heldout_kit import MINUTE, Out, hook, late_workdays, plan
from kerio_watch.simulate.internet import named_failure
from kerio_watch.simulate.netplan import address_in
from kerio_watch.simulate.site import LAN_PREFIX, Persona

BRANDS = (("KONICA MINOLTA bizhub C300i", "Konica"), ("Canon iR-ADV C5535", "Canon"),
          ("Sharp MX-3071", "Sharp"), ("Xerox AltaLink C8030", "Xerox"))  # fmt: skip

Event = tuple[int, Callable[[int], None]]


@dataclass(frozen=True)
class Copier:
    """A multifunction printer: its scan-to-mail account, LAN address and brand."""

    who: Persona
    ip: str
    model: str
    brand: str


def plan_benign6(out: Out, days: list[Day], people: list[Persona]) -> None:
    """Plant the benign kinds on the free people left (and the second copier)."""
    rng = out.rng
    late = late_workdays(days)
    if people:
        v = people.pop()
        end = rng.choice(late).at(rng.uniform(7.0, 20.0) * HOUR)
        guessers = bots(out, rng.randrange(120, 301))
        start = end - rng.randrange(18 * HOUR, 30 * HOUR)
        plan(
            out,
            "failed_spray",
            v.address,
            guessers[0],
            f"Benign: a distributed brute force on {{a}} from {len(guessers)} botnet addresses "
            "(one try each, first {ip}) that never guessed the password; nothing was sent "
            "({span}).",
        )
        events = spray(out, (start, end), guessers, v)
        events += [(events[0][0], partial(_mark, out, "failed_spray", events[-1][0]))]
        by_day(out, days, sorted(events, key=lambda e: e[0]))
    _cloud(out, days)
    away = [p for p in people if p.contacts and not p.webmail]
    if away:
        people.remove(away[0])
        _catchup(out, rng.choice(late), away[0])


def by_day(out: Out, days: list[Day], events: list[Event]) -> None:
    """Write timed events (epoch, writer) on the simulated day each falls on."""
    for d in days:
        mine = [(t, fn) for t, fn in events if d.start <= t < d.end]
        if mine:
            hook(out, d, partial(_run, mine))


def _run(events: list[Event], day: Day) -> None:
    for t, fn in events:
        fn(t)


def threads_of(out: Out, v: Persona) -> list[tuple[str, str]]:
    """The account's threads (a correspondent who wrote, and about what; its contacts with
    a business subject when few wrote), one per correspondent, in a random order."""
    threads = {peer[0]: subj for peer, subj in reversed(v.repliable)}
    for peer in v.contacts:
        if len(threads) >= 60:
            break
        threads.setdefault(peer[0], out.text.pick(out.text.business))
    pairs = list(threads.items())
    out.rng.shuffle(pairs)
    return pairs


def _mark(out: Out, tag: str, end: int, t: int) -> None:
    out.mark(t, end, tag)


# -- a botnet's guesses ---------------------------------------------------------------------


def bots(out: Out, n: int) -> list[str]:
    """``n`` addresses of a botnet: home lines of the site's country, abroad, far away."""
    rng, nets = out.rng, out.sc.site.nets
    pools = (*nets.home, *nets.abroad, *nets.faraway)
    return list(dict.fromkeys(address_in(rng.choice(pools), rng) for _ in range(n)))


def spray(out: Out, span: tuple[int, int], guessers: list[str], v: Persona) -> list[Event]:
    """One failed login for ``v`` from each guesser, spread evenly over ``span``."""
    rng = out.rng
    start, end = span
    step = (end - start) / max(1, len(guessers))
    events: list[Event] = []
    for k, ip in enumerate(guessers):
        t = int(start + k * step + rng.uniform(0, step * 0.8))
        proto = "IMAP" if rng.random() < 0.1 else "SMTP"
        line = named_failure(proto, ip, v.address, exists=True)
        events.append((t, partial(_fail, out, line)))
    return events


def _fail(out: Out, line: str, t: int) -> None:
    out.sc.security.add(t, line)


# -- copiers --------------------------------------------------------------------------------


def copier(out: Out, local: str, ip: str) -> Copier | None:
    """A copier with its own scan-to-mail account ``local@<domain>`` (None if the site has
    an account of that name)."""
    site = out.sc.site
    address = f"{local}@{site.domain}"
    if address in site.accounts():
        return None
    model, brand = out.rng.choice(BRANDS)
    who = Persona(address, "", "outlook", ip, 8 * HOUR, 17 * HOUR, 0.0, 0.0, 1.0, "")
    return Copier(who, ip, model, brand)


def scan_days(out: Out, days: list[Day], device: Copier, switch: int, cloud: str = "") -> None:
    """The copier's scans on every working day; from day ``switch`` on through ``cloud``."""
    for d in days:
        if d.workday and d.index not in out.sc.site.holidays:
            via = (cloud, "yes", "scan_cloud") if d.index >= switch else (device.ip, "no", "")
            hook(out, d, partial(_scans, out, device, via))


def _scans(out: Out, device: Copier, via: tuple[str, str, str], day: Day) -> None:
    """A working day's jobs: someone at the copier scans one to three documents to
    themselves (or a colleague), a connection per job."""
    sc, rng = out.sc, out.rng
    ip, ssl, tag = via
    staff = [p for p in sc.site.users if day.index not in p.off_days] or sc.site.users
    for _ in range(poisson(rng, 3.0)):
        who = rng.choice(staff)
        t = day.at(rng.uniform(who.start + 600, who.end - 600))
        out.login(t - 1, "SMTP", device.who.address, ip)
        to = rng.choice(who.colleagues)[0] if who.colleagues and rng.random() < 0.2 else who.address
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            t += rng.randrange(20, 120)
            stamp = sc.clock.local_text(t).replace("-", "").replace(":", "").replace(" ", "")
            mid = f"{t}.{rng.randrange(10**5)}@{device.ip}"
            out.message(t, ("SMTP", ip, ssl), device.who, [to],
                        (f"Scan from {device.brand} {stamp}", rng.randrange(150_000, 4_000_000),
                         mid), tag or f"copier:{device.who.address}", 0.0)  # fmt: skip


def _cloud(out: Out, days: list[Day]) -> None:
    rng, nets = out.rng, out.sc.site.nets
    device = copier(out, "copier", f"{LAN_PREFIX}236")
    if device is None:
        return
    middle = [d for d in days[len(days) // 3 : (2 * len(days)) // 3] if d.workday] or days[-1:]
    switch = rng.choice(middle)
    cloud = nets.hosting if out.seed % 2 == 0 else nets.hosting_abroad
    relay = rng.choice(cloud)
    ip = address_in(relay, rng)
    plan(
        out,
        "scan_cloud",
        device.who.address,
        ip,
        "Benign: the copier "
        + device.ip
        + f" ({device.model}) with its own account {{a}} switched to its maker's cloud relay "
        f"on day {switch.index + 1} ({{ip}}, "
        + relay.owner
        + "): from then on {n} scans to the staff came from the cloud ({span}).",
    )
    scan_days(out, days, device, switch.index, ip)


# -- vpn_catchup ----------------------------------------------------------------------------


def _catchup(out: Out, day: Day, v: Persona) -> None:
    rng, nets = out.rng, out.sc.site.nets
    exit_net = rng.choice(nets.hosting)
    ip = address_in(exit_net, rng)
    plan(
        out,
        "vpn_catchup",
        v.address,
        ip,
        "Benign: on the way, {a} switched on a VPN app of its own country for the first time "
        "({ip}, "
        + exit_net.owner
        + ") and answered {n} of its threads one evening with its usual program, a few "
        "minutes each ({span}).",
    )
    hook(out, day, partial(_catchup_evening, out, ip, v))


def _catchup_evening(out: Out, ip: str, v: Persona, day: Day) -> None:
    rng, text = out.rng, out.text
    t = day.at(rng.uniform(18.0, 20.5) * HOUR)
    out.login(t, "IMAP", v.address, ip)
    out.login(t + rng.randrange(3 * MINUTE, 10 * MINUTE), "SMTP", v.address, ip)
    t += 10 * MINUTE
    for peer, subj in threads_of(out, v)[: rng.randrange(15, 36)]:
        t += rng.randrange(2 * MINUTE, 9 * MINUTE)
        reply = subj if subj[:3].lower() in ("aw:", "re:") else f"{rng.choice(text.replies)}{subj}"
        mid = text.mid(v.client, v.domain)
        out.message(t, ("SMTP", ip, "yes"), v, [peer], (reply, text.size(), mid),
                    "vpn_catchup", 0.01)  # fmt: skip
