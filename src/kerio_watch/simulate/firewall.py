"""The simulated site's firewall: who speaks SMTP to the internet, and its log.

The gateway logs every new outbound TCP connection to the mail ports (25, 465, 587,
2525), allowed or blocked, in one of the firewall formats (:mod:`.fwformats`). On it:

- the **mail server** (``192.168.10.2``): one connection per delivery Kerio logged in
  mail.log (``Sent:`` with an outside ``Remote-Host``, read back from the written file),
  a second or two before the ``Sent:`` line, and now and then an attempt to a first MX
  that did not answer (Kerio logs only the host it delivered to). Benign; its address is
  left for kerio-watch to infer (only its public address is configured);
- an **infected PC**: a user's workstation (sometimes shared by two users) that, on a
  working day in the last third, starts sending spam itself: bursts of connections to
  many outside mail servers, blocked or allowed depending on the seed's firewall;
- benign look-alikes: an application server that sends through the ISP's **smarthost**
  (``[firewall] relays``); the administrator **testing with swaks** (a few connections,
  one afternoon in the last third); a **monitoring probe** that checks the server's
  public address and the backup MX every 15 minutes and, hourly, that port 25 to the
  internet is closed (``[firewall] allowed_hosts``).

The plan is made right after the site is built (it may move a persona onto the shared
PC, before any log line is written) with its own random generator, so the rest of the
simulation is what it would be without it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from kerio_watch.formats.envelope import StampParser
from kerio_watch.simulate.clock import Day, SiteClock
from kerio_watch.simulate.data import FREEMAIL, PUBLIC_OCTETS
from kerio_watch.simulate.fwformats import FirewallWriter
from kerio_watch.simulate.model import HostScenario, SimConfig

HOUR = 3600
PROBE_EVERY = 900
_SENT = re.compile(r"\] Sent: .*, Remote-Host: (?P<host>[0-9a-fA-F.:]+),")


class _Persona(Protocol):
    address: str
    lan_ip: str
    remote: bool
    home_days: frozenset[int]


class _Seated(Protocol):
    @property
    def account(self) -> str: ...
    @property
    def source_ip(self) -> str | None: ...


class _Registry(Protocol):
    used: set[str]


class _Domains(Protocol):
    mx: dict[str, str]


class Site(Protocol):
    """What the firewall needs of :class:`kerio_watch.simulate.site.Site`."""

    @property
    def users(self) -> Sequence[_Persona]: ...
    @property
    def ips(self) -> _Registry: ...
    @property
    def domains(self) -> _Domains: ...
    @property
    def admin(self) -> str: ...
    @property
    def desks(self) -> dict[str, list[str]]: ...


class FirewallSim:
    """The planted machines and the firewall log of one simulated site.

    Args:
        lan: the site's LAN prefix (``192.168.10.``) and the administrator's address.
    """

    def __init__(
        self, config: SimConfig, fmt: str, site: Site, clock: SiteClock, lan: tuple[str, str]
    ) -> None:
        self.fmt = fmt
        self.site = site
        self.mail_lan, self.probe, self.app = lan[0] + "2", lan[0] + "9", lan[0] + "241"
        self.lan, self.admin_ip = lan
        self.clock = clock
        self.rng = random.Random(config.seed * 7919 + 17)
        self.days = [Day(clock, i, config.start + timedelta(days=i)) for i in range(config.days)]
        self.public = self._fresh("194.25.")
        self.smarthost = self._fresh("195.50.")
        self.backup_mx = self._fresh("81.169.")
        self.canary = self._fresh("88.198.")
        self.writer = FirewallWriter(fmt, clock, self.days[0].start)
        self.hosts: list[HostScenario] = []
        self.infected, self.users = self._choose_pc(config.scenarios)
        self._sport = 32768

    # -- planning ---------------------------------------------------------------------------
    def _fresh(self, prefix: str = "") -> str:
        """An outside address never handed out before (a random public one by default)."""
        used = self.site.ips.used
        rnd = self.rng.randrange
        prefix = prefix or f"{self.rng.choice(PUBLIC_OCTETS)}."
        while True:
            octets = 4 - prefix.count(".")
            ip = prefix + ".".join(str(rnd(1, 255)) for _ in range(octets))
            if ip not in used:
                used.add(ip)
                return ip

    def _choose_pc(self, scenarios: bool) -> tuple[str | None, tuple[str, ...]]:
        """The workstation that will be infected, and its users (maybe two share it; on
        a site with more people than desks, whoever else sits at it too)."""
        if not scenarios or not self.site.users:
            return None, ()
        office = [  # remote staff and a branch office abroad have no desk on the LAN
            p
            for p in self.site.users
            if p.lan_ip.startswith(self.lan) and not (p.remote and len(p.home_days) >= 5)
        ]
        pool = sorted(office, key=lambda p: p.address)
        if not pool:
            return None, ()
        first = self.rng.choice(pool)
        if len(pool) > 1 and self.rng.random() < 0.6:
            second = self.rng.choice([p for p in pool if p is not first])
            second.lan_ip = first.lan_ip  # a shared PC (reception, a shift workstation)
        users = [p for p in pool if p.lan_ip == first.lan_ip]
        return first.lan_ip, tuple(sorted(p.address for p in users))

    def config_toml(self) -> str:
        """The ``[firewall]`` table for the site's kerio-watch.toml."""
        return (
            "\n[firewall]\n"
            "# The mail server's LAN address is left for kerio-watch to infer.\n"
            f'mail_servers = ["{self.public}"]\n'
            f'relays = ["{self.smarthost}", "{self.backup_mx}"]\n'
            f'allowed_hosts = ["{self.probe}"]\n'
        )

    def _port(self) -> int:
        self._sport = 32768 + (self._sport - 32768 + self.rng.randrange(1, 97)) % 28000
        return self._sport

    def _conn(self, t: int, src: str, dst: str, dport: int = 25, allowed: bool = True) -> None:
        self.writer.add((t, src, self._port(), dst, dport, allowed))

    # -- the machines -------------------------------------------------------------------------
    def _mail_server(self, mail_log: Path) -> None:
        stamp = StampParser()
        first = last = None
        with mail_log.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                m = _SENT.search(line, 20)
                if m is None or m["host"] in ("127.0.0.1", "::1"):
                    continue
                local = stamp.stamp(line)
                if local is None:
                    continue
                t = self.clock.local_to_utc(local) - self.rng.choice((1, 1, 2, 3))
                if self.rng.random() < 0.01:  # a first MX that did not answer
                    self._conn(t - 30, self.mail_lan, self._fresh())
                self._conn(t, self.mail_lan, m["host"])
                first = t if first is None else first
                last = t
        if first is not None and last is not None:
            self._truth("mail_server", self.mail_lan, False, first, last, (),
                        "the mail server delivering Kerio's mail")  # fmt: skip

    def _infected_pc(self) -> None:
        rng = self.rng
        if self.infected is None:
            return
        work = [d for d in self.days[(2 * len(self.days) + 2) // 3 :] if d.workday]
        day = rng.choice(work or self.days[-1:])
        allowed = rng.random() < 0.5
        t = day.at(rng.uniform(9.0, 16.0) * HOUR)
        start, bursts = t, rng.choice((1, 2, 3))
        freemail = [self.site.domains.mx[d] for d in FREEMAIL if d in self.site.domains.mx]
        for _ in range(bursts):
            rate = rng.uniform(4.0, 40.0)  # connections a minute
            for _ in range(int(rate * rng.uniform(15, 60))):
                spam_gmail = freemail and rng.random() < 0.15
                dst = rng.choice(freemail) if spam_gmail else self._fresh()
                self._conn(t, self.infected, dst, rng.choice((25, 25, 25, 587, 2525)), allowed)
                t += max(1, int(rng.expovariate(rate / 60)))
            t += int(rng.uniform(1, 5) * HOUR)
        how = "allowed" if allowed else "blocked"
        self._truth("infected_pc", self.infected, True, start, t, self.users,
                    f"malware on the PC sends spam itself, {how} by the firewall")  # fmt: skip

    def _smarthost(self) -> None:
        rng = self.rng
        times = []
        for day in self.days:
            if not day.workday:
                continue
            t = day.at(rng.uniform(17.0, 19.0) * HOUR)  # the nightly report run
            for _ in range(rng.randrange(20, 60)):
                times.append(t)
                self._conn(t, self.app, self.smarthost, 587)
                t += rng.randrange(5, 40)
        if times:
            self._truth("smarthost", self.app, False, times[0], times[-1], (),
                        "an application server sending through the ISP's smarthost")  # fmt: skip

    def _swaks(self) -> None:
        rng = self.rng
        late = self.days[(2 * len(self.days) + 2) // 3 :] or self.days[-1:]
        work = [d for d in late if d.workday] or late
        t = first = rng.choice(work).at(rng.uniform(13.0, 16.0) * HOUR)
        targets = [self.public, *(self._fresh("213.") for _ in range(rng.randrange(1, 3)))]
        for _ in range(rng.randrange(3, 7)):
            self._conn(t, self.admin_ip, rng.choice(targets), rng.choice((25, 587)))
            t += rng.randrange(30, 400)
        self._truth("swaks_test", self.admin_ip, False, first, t, (self.site.admin,),
                    "the administrator testing delivery with swaks")  # fmt: skip

    def _probe(self) -> None:
        first = self.days[0].start + 120
        last = self.days[-1].end
        for t in range(first, last, PROBE_EVERY):
            self._conn(t, self.probe, self.public)
            self._conn(t + 1, self.probe, self.backup_mx)
            if (t - first) % HOUR < PROBE_EVERY:  # is port 25 to the internet still closed?
                self._conn(t + 2, self.probe, self.canary, allowed=False)
        self._truth("monitoring_probe", self.probe, False, first, last, (),
                    "monitoring: the server, the backup MX, the egress rule")  # fmt: skip

    def _truth(
        self, kind: str, host: str, bad: bool, first: int, last: int, users: tuple[str, ...],
        text: str,
    ) -> None:  # fmt: skip
        self.hosts.append(
            HostScenario(kind, host, bad, self.clock.utc(first), self.clock.utc(last), users, text)
        )

    def write(
        self, directory: Path, mail_log: Path, scenarios: bool, seated: Sequence[_Seated] = ()
    ) -> tuple[Path, int]:
        """Generate every machine's connections and write the firewall log.

        ``seated``: the planted scenarios; an account one of them used from the infected
        PC is one of the PC's users too, as is a team mailbox at any member's desk
        (``site.desks``).
        """
        self._mail_server(mail_log)
        extra = {s.account for s in seated if s.source_ip == self.infected}
        if self.infected is not None:
            extra.update(self.site.desks.get(self.infected, ()))
        self.users = tuple(sorted({*self.users, *extra}))
        if scenarios:
            self._infected_pc()
            self._smarthost()
            self._swaks()
            self._probe()
        return self.writer.write(directory)


def plan_firewall(
    config: SimConfig, site: Site, clock: SiteClock, lan: tuple[str, str]
) -> FirewallSim | None:
    """The site's firewall, or None when the configuration asks for no firewall log."""
    fmt = config.firewall_format
    return None if fmt is None else FirewallSim(config, fmt, site, clock, lan)
