"""Sites of another shape than the office LAN (each off by default, own random numbers).

The default site is an office: everybody at a desk on the LAN most days, a few on the
VPN from home. Held-out sites differ in shape; these options redraw the people of the
same site, after it is built, with random numbers of their own (the default site and
every other option are drawn exactly as without them):

- ``remote`` (a share, 0 to 1): a remote-first company. That share of the staff works
  from its home line every working day (a DSL, cable or fibre line of the country, its
  address leased anew every few days), no VPN; about half come to the office one fixed
  day a week. Most of them read their mail in the browser.
- ``webmail_proxy``: the server's web interface is published through a reverse proxy
  on the LAN, and the server logs the proxy's address for every web login, web failure
  and web folder operation (``HTTP/WebMail``, ``HTTP/KOFF``...; not the administration,
  which is reached directly): every web session, the staff's and a stranger's, comes
  from one internal address.
- ``shift_work``: a site that works around the clock and across time zones. About a
  third of the staff works rotating shifts at the office (early, late, night; a new
  shift each week), and a few people sit in a branch office abroad, on its own line,
  in their own working hours.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from kerio_watch.simulate.clock import Day
from kerio_watch.simulate.countries import clock_shift
from kerio_watch.simulate.draws import HOUR
from kerio_watch.simulate.netplan import address_in
from kerio_watch.simulate.site import LAN_PREFIX, Persona, Site

PROXY_IP = f"{LAN_PREFIX}3"
"""The reverse proxy's LAN address (inside the site's trusted networks)."""
SHIFTS: tuple[int, ...] = (6 * HOUR, 14 * HOUR, 22 * HOUR)
"""Early, late and night shift: when each starts (local time)."""
_SHIFT_LENGTH = 8 * HOUR
_WEB = re.compile(
    r"(HTTP/(?!WebAdmin\b)[A-Za-z]+\b.*?(?:from IP address |from |IP: ))(\d{1,3}(?:\.\d{1,3}){3})"
)


def shape_rng(seed: int, salt: int) -> random.Random:
    """The random numbers of one shape option: never the site's own."""
    return random.Random(seed * 7_000_003 + salt)


def remote_first(site: Site, rng: random.Random, share: float) -> list[Persona]:
    """Send ``share`` of the staff home for good; returns who works remotely."""
    if share <= 0:
        return []
    remote = [p for p in site.users if rng.random() < share]
    for p in remote:
        p.remote = True
        p.vpn_ip = None
        p.home_net = p.home_net or rng.choice(site.nets.home).cidr
        office_day = {rng.randrange(5)} if rng.random() < 0.5 else set()
        p.home_days = frozenset(set(range(5)) - office_day)
        p.travel = {}
        if rng.random() < 0.6:
            p.client, p.reader = "webmail", "IMAP"
    return remote


def proxy_rewrite(text: str) -> str:
    """A log line as a server behind a reverse proxy writes it: a web protocol's client
    address is the proxy's (the administration is reached directly)."""
    if "HTTP/" not in text:
        return text
    return _WEB.sub(lambda m: m.group(1) + PROXY_IP, text, count=1)


def chain(
    first: Callable[[int, str], str] | None, second: Callable[[str], str]
) -> Callable[[int, str], str]:
    """A sink's rewrite: ``first`` (if any), then ``second``."""
    if first is None:
        return lambda _t, text: second(text)
    return lambda t, text: second(first(t, text))


@dataclass
class Shifts:
    """Rotating shifts at the office: each worker's shift changes every Monday."""

    workers: list[tuple[Persona, int]]
    """(person, index of the first week's shift)."""

    def before(self, day: Day) -> None:
        """Set each worker's hours for ``day`` (its shift of that week)."""
        week = day.index // 7
        for p, first in self.workers:
            p.start = SHIFTS[(first + week) % len(SHIFTS)] + 300 * (sum(map(ord, p.address)) % 3)
            p.end = p.start + _SHIFT_LENGTH


def shift_work(site: Site, rng: random.Random) -> Shifts:
    """About a third of the staff on rotating shifts, and a branch office abroad."""
    people = site.users[:]
    rng.shuffle(people)
    n_shift = max(1, len(people) // 3)
    workers = [(p, rng.randrange(len(SHIFTS))) for p in people[:n_shift]]
    for p, _ in workers:  # a shift is worked at the office
        p.vpn_ip, p.home_days = None, frozenset()
        p.evening_prob, p.weekend_prob = 0.02, max(p.weekend_prob, 0.1)
    branch = people[n_shift : n_shift + max(1, len(people) // 10)]
    if branch:
        _branch_office(site, rng, branch)
    return Shifts(workers)


def _branch_office(site: Site, rng: random.Random, staff: list[Persona]) -> None:
    """People in an office abroad: its own line, their own local hours."""
    nets = site.nets
    far = [n for n in nets.abroad if abs(clock_shift(nets, n)) >= 5] or list(nets.abroad)
    net = rng.choice(far)
    line = address_in(net, rng)
    behind = clock_shift(nets, net)  # hours the site's clock is ahead of the branch's
    for p in staff:
        local = int(rng.uniform(7.5, 9.0) * HOUR)
        p.start = (local + behind * HOUR) % (24 * HOUR)
        p.end = p.start + int(rng.uniform(8.0, 9.0) * HOUR)
        p.lan_ip, p.vpn_ip, p.home_days = line, None, frozenset()
        p.home_net, p.carrier, p.travel = None, None, {}
        p.evening_prob = p.weekend_prob = 0.0
