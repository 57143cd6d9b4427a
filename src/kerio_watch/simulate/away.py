"""Where people are when they are not at their desk: home lines, phones, hotels, leave.

Real sites are noisy in exactly the ways a hijack detector must live with:

- a home DSL or cable line gets a new address every few days (the provider's forced
  reconnect), usually in another /24 and often another /16 of the same provider;
- a phone on a mobile carrier gets a new CGNAT address several times a day;
- a hotel hands out a new address of its /24 for every connection;
- people go on leave for a week and catch up when they are back; the office closes
  on a holiday; some travel inside the country for a day or three.

:class:`Away` plans those (seeded) and answers "which address now?".
"""

from __future__ import annotations

import random
from collections.abc import Callable

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.sink import LogSink
from kerio_watch.simulate.site import Persona, Site

HOUR = 3600


class Away:
    """Addresses away from the LAN, and who is away when."""

    def __init__(self, site: Site, audit: LogSink, rng: random.Random, full: bool) -> None:
        self.site = site
        self.audit = audit
        self.rng = rng
        self.full = full
        self.back: dict[str, int] = {}  # account -> first working day after its leave
        self.noted: Callable[[Persona, str, str], None] | None = None
        """Told of every address handed to a home line or phone (person, kind, address)."""

    # -- planning -----------------------------------------------------------------------

    def plan(self, days: list[Day]) -> None:
        """Holidays, leave and domestic trips over the simulated period."""
        rng = self.rng
        work = [d for d in days if d.workday]
        early = work[: max(1, (2 * len(work)) // 3)]
        if len(early) > 5:
            self.site.holidays = frozenset({rng.choice(early[3:]).index})
        for p in self.site.users:
            roll = rng.random()
            if roll < 0.1 and len(work) > 7:
                i = rng.randrange(len(work) - 5)
                off = work[i : i + 5]
                p.off_days = frozenset(d.index for d in off)
                later = [d for d in work if d.index > off[-1].index]
                if later:
                    self.back[p.address] = later[0].index
            elif roll < 0.17 and len(work) > 3:
                i = rng.randrange(len(work) - 2)
                block = self.site.ips.block(self.site.nets.hotel)
                p.travel = {d.index: block for d in work[i : i + rng.randrange(1, 4)]}

    # -- questions ----------------------------------------------------------------------

    def off(self, p: Persona, day: Day) -> bool:
        """On leave, or the office is closed."""
        return day.index in p.off_days or day.index in self.site.holidays

    def busy(self, p: Persona, day: Day) -> float:
        """How much more than usual this person sends today (the day back from leave)."""
        return 1.8 if self.back.get(p.address) == day.index else 1.0

    def home(self, p: Persona, day: Day) -> str | None:
        """Today's address of the home line (a new lease every one to ten days)."""
        if p.home_net is None:
            return None
        leased, ip = p.home_ip
        if not ip or day.index - leased >= 1 + int(ip.rpartition(".")[2]) % 10:
            ip = self.site.ips.in_net(p.home_net)
            p.home_ip = (day.index, ip)
            if self.noted is not None:
                self.noted(p, "home", ip)
        return ip

    def phone(self, p: Persona) -> str | None:
        """A CGNAT address of the phone's carrier (it changes all day)."""
        if p.carrier is None:
            return None
        ip = self.site.ips.in_net(p.carrier)
        if self.noted is not None:
            self.noted(p, "phone", ip)
        return ip

    def connection(self, where: str) -> str:
        """An address for one connection: a hotel /24 (``"a.b.c."``) leases a new one."""
        return self.site.ips.lease(where) if where.endswith(".") else where

    # -- logins -------------------------------------------------------------------------

    def phone_logins(self, p: Persona, day: Day) -> None:
        """The phone's mail app checks mail through the day, from changing addresses."""
        if not self.full or p.carrier is None:
            return
        rnd = self.rng.random
        for _ in range(self.rng.randrange(3, 9)):
            t = day.at((7 + rnd() * 15.5) * HOUR)
            self.audit.add(
                t,
                f"IMAP: User {p.address} authenticated  from IP address {self.phone(p)}\n",
            )
