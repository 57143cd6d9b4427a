"""``simulate()``: writes a Kerio Connect site's logs, day by day, and the ground truth."""

from __future__ import annotations

import gc
import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from kerio_watch.simulate.admin import plan_admin
from kerio_watch.simulate.attacks import plan_attacks
from kerio_watch.simulate.away import Away
from kerio_watch.simulate.clock import Day, SiteClock
from kerio_watch.simulate.countries import net_plan
from kerio_watch.simulate.firewall import FirewallSim, plan_firewall
from kerio_watch.simulate.forwards import plan_rules
from kerio_watch.simulate.heldout import plan_heldout
from kerio_watch.simulate.heldout2 import plan_heldout2
from kerio_watch.simulate.heldout3 import plan_heldout3
from kerio_watch.simulate.heldout4 import plan_heldout4
from kerio_watch.simulate.heldout5 import plan_heldout5
from kerio_watch.simulate.heldout6 import plan_heldout6
from kerio_watch.simulate.heldout7 import plan_heldout7
from kerio_watch.simulate.heldout8 import plan_heldout8
from kerio_watch.simulate.internet import Internet, NoiseLogs
from kerio_watch.simulate.ipv6 import Ipv6Site
from kerio_watch.simulate.lateral import plan_lateral
from kerio_watch.simulate.mail import MailLog
from kerio_watch.simulate.model import GROUP_KINDS, LOG_FILES, Scenario, SimConfig, SimResult
from kerio_watch.simulate.newcomer import plan_newcomer
from kerio_watch.simulate.noise import plan_noise
from kerio_watch.simulate.recon import plan_recon
from kerio_watch.simulate.scenarios import Scenarios
from kerio_watch.simulate.services import Services
from kerio_watch.simulate.shapes import (
    Shifts,
    chain,
    proxy_rewrite,
    remote_first,
    shape_rng,
    shift_work,
)
from kerio_watch.simulate.shifts import OfficeLine, plan_shifts
from kerio_watch.simulate.sink import LogSink, NullSink
from kerio_watch.simulate.site import ADMIN_IP, LAN_PREFIX, TRUSTED_NETWORKS, Site, SiteBuilder
from kerio_watch.simulate.tenants import hosting, role_mailboxes
from kerio_watch.simulate.text import Text
from kerio_watch.simulate.users import Logs, UserTraffic

TRUTH_FILE = "truth.json"
CONFIG_FILE = "kerio-watch.toml"
_SPILL = 3600  # mail.log keeps deliveries of the last messages up to an hour past the end
NO_FREE_ACCOUNT = (
    "no account was free for it (every account another scenario's, or none with what it needs)"
)
"""Why a kind was not planted when the site had no account left for it
(:attr:`SimResult.unplanted`): a larger site plants it."""


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (restored afterwards).

    The generators allocate hundreds of thousands of short-lived tuples and build no reference
    cycles, so reference counting frees everything; the collector's scans only cost time
    (about a third of the run).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def simulate(config: SimConfig, directory: Path) -> SimResult:
    """Write the logs of a simulated Kerio Connect site into ``directory``.

    The output depends only on ``config`` (it is seeded and never reads the wall clock):
    the same config gives byte-identical files. Besides the logs, ``truth.json`` (the planted
    scenarios) and ``kerio-watch.toml`` (a config for the site) are written.
    """
    with _collector_paused():
        return _simulate(config, directory)


@dataclass
class _Generators:
    """What writes a simulated site's logs, day by day."""

    mail: MailLog
    traffic: UserTraffic
    internet: Internet
    services: Services | None
    scenarios: Scenarios | None
    days: list[Day]
    full: bool
    office: OfficeLine | None = None
    shifts: Shifts | None = None
    ipv6: Ipv6Site | None = None


def _reshape(config: SimConfig, site: Site) -> Shifts | None:
    """Redraw the site's people for another shape of site (``hosting``, ``role_mailboxes``,
    ``remote``, ``shift_work``), with random numbers of their own; the rotating shifts to
    apply day by day."""
    if config.hosting:
        hosting(site, shape_rng(config.seed, 79), config.hosting)
    if config.role_mailboxes:
        role_mailboxes(site, shape_rng(config.seed, 83))
    remote_first(site, shape_rng(config.seed, 71), config.remote)
    return shift_work(site, shape_rng(config.seed, 73)) if config.shift_work else None


def _simulate(config: SimConfig, directory: Path) -> SimResult:
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(config.seed)
    clock = SiteClock(config.timezone)
    builder = SiteBuilder(rng, config.domain, config.users, net_plan(config.country))
    site = builder.build()
    shifts = _reshape(config, site)
    firewall = plan_firewall(config, site, clock, (LAN_PREFIX, ADMIN_IP))  # may seat 2 at 1 PC
    text = Text(rng, site.hostname)
    sinks = _open_sinks(config, directory, clock)
    try:
        gen = _generators(config, (site, builder), sinks, (clock, rng, text))
        gen.shifts = shifts
        cut = _write_days(gen, site, sinks)
    finally:
        for sink in sinks.values():
            sink.close_file()
    truth = gen.scenarios.results(cut) if gen.scenarios is not None else []
    if gen.ipv6 is not None:
        truth = [gen.ipv6.truth(s) for s in truth]
    result = _result(config, directory, site, sinks, truth, firewall, gen.office)
    if gen.scenarios is None:
        return result
    planned = {p.kind for p in gen.scenarios.plans}
    return replace(result, unplanted=unplanted(config, planned, truth))


def unplanted(
    config: SimConfig, planned: set[str], truth: list[Scenario]
) -> tuple[tuple[str, str], ...]:
    """(kind, why) of every kind of the groups ``config`` asks for missing from the truth."""
    planted = {s.kind for s in truth}
    out = []
    for group, kinds in GROUP_KINDS.items():
        for kind in kinds if getattr(config, group) else ():
            if kind not in planted:
                why = (
                    "planned, but it wrote nothing before the logs end"
                    if kind in planned
                    else NO_FREE_ACCOUNT
                )
                out.append((kind, why))
    return tuple(out)


def _generators(
    config: SimConfig,
    planned: tuple[Site, SiteBuilder],
    sinks: dict[str, LogSink],
    tools: tuple[SiteClock, random.Random, Text],
) -> _Generators:
    """The generators of every log, with the absences and scenarios planned."""
    site, builder = planned
    clock, rng, text = tools
    full = not config.only_mail
    mail = MailLog(sinks["mail"], rng, site.domains, site.hostname)
    logs = Logs(sinks["audit"], sinks["operations"], sinks["spam"])
    away = Away(site, sinks["audit"], rng, full)
    traffic = UserTraffic(site, mail, logs, clock, rng, text, full, away)
    noise = NoiseLogs(
        sinks["security"], sinks["audit"], sinks["spam"], sinks["warning"], sinks["config"]
    )
    internet = Internet(site, noise, rng, text)
    days = [Day(clock, i, config.start + timedelta(days=i)) for i in range(config.days)]
    away.plan(days)
    services = scenarios = office = None
    if config.scenarios:
        services = Services(site, builder, mail, traffic, clock, rng, text)
        scenarios = Scenarios(site, mail, traffic, services, sinks["security"], clock, rng, text)
        scenarios.plan(days)
        if config.forwarding:
            mail.after = plan_rules(scenarios, days, config.seed).after
        if config.admin:
            plan_admin(scenarios, days, config.seed, sinks["config"])
        if config.lateral:
            plan_lateral(scenarios, days, config.seed)
        if config.newcomer:
            plan_newcomer(scenarios, days, config.seed)
        if config.recon:
            plan_recon(scenarios, days, config.seed)
        if config.attacks:
            plan_attacks(scenarios, days, config.seed, sinks["security"])
        if config.heldout:
            plan_heldout(scenarios, days, config.seed)
        if config.shifts:
            office = plan_shifts(scenarios, days, config.seed)
            for sink in sinks.values():
                sink.rewrite = office.rewrite
        if config.noise:
            plan_noise(scenarios, days, config.seed)
        _later_rounds(config, scenarios, days, sinks["config"])
    if config.webmail_proxy:
        for name in ("audit", "security", "operations"):
            sinks[name].rewrite = chain(sinks[name].rewrite, proxy_rewrite)
    gen = _Generators(mail, traffic, internet, services, scenarios, days, full, office)
    if config.ipv6 > 0:
        gen.ipv6 = _ipv6(config, site, away, sinks)
    return gen


def _later_rounds(
    config: SimConfig, scenarios: Scenarios, days: list[Day], config_log: LogSink
) -> None:
    """The held-out rounds two to eight, each after the ones before it: the others'
    choice of people is the same without it."""
    if config.heldout2:
        plan_heldout2(scenarios, days, config.seed)
    if config.heldout3:
        plan_heldout3(scenarios, days, config.seed, config_log)
    if config.heldout4:
        plan_heldout4(scenarios, days, config.seed)
    if config.heldout5:
        plan_heldout5(scenarios, days, config.seed)
    if config.heldout6:
        plan_heldout6(scenarios, days, config.seed)
    if config.heldout7:
        plan_heldout7(scenarios, days, config.seed)
    if config.heldout8:
        plan_heldout8(scenarios, days, config.seed)


def _ipv6(config: SimConfig, site: Site, away: Away, sinks: dict[str, LogSink]) -> Ipv6Site:
    """Clients on IPv6: the home lines and phones handed out are noted, and every log
    writes the addresses as the server sees them (after any other rewrite)."""
    v6 = Ipv6Site(site, config.seed, config.ipv6)
    away.noted = v6.noted
    for name, sink in sinks.items():
        sink.rewrite = v6.after(sink.rewrite, guesses=name == "security")
    return v6


def _write_days(gen: _Generators, site: Site, sinks: dict[str, LogSink]) -> int | None:
    """Write every day (until mail.log is full) and close the logs; returns where they
    were cut, if mail.log filled up."""
    mail, days = gen.mail, gen.days
    mail.start(days[0].end)
    mail_sink = sinks["mail"]
    for day in days:
        if gen.shifts is not None:
            gen.shifts.before(day)
        for persona in site.users:
            gen.traffic.day(persona, day)
        if gen.services is not None:
            gen.services.day(day)
        if gen.full:
            gen.internet.day(day)
        if gen.scenarios is not None:
            gen.scenarios.run(day)
        next_end = days[day.index + 1].end if day.index + 1 < len(days) else day.end
        mail.render_day(day.end, next_end)
        for sink in sinks.values():
            sink.flush_before(day.start)  # nothing is added before yesterday any more
        if mail_sink.full:
            break
    cut: int | None = None
    if mail_sink.full:  # stop every log where mail.log stopped
        cut = until = mail_sink.last_t or days[0].start
    else:
        mail.drain(days[-1].end)
        mail_sink.close(days[-1].end + _SPILL)
        until = days[-1].end
    for sink in sinks.values():
        sink.close(until)
    return cut


def _open_sinks(config: SimConfig, directory: Path, clock: SiteClock) -> dict[str, LogSink]:
    sinks: dict[str, LogSink] = {}
    for name, filename in LOG_FILES.items():
        if name == "mail":
            sinks[name] = LogSink(name, directory / filename, clock, config.max_mail_lines)
        elif config.only_mail:
            sinks[name] = NullSink(name, clock)
        else:
            sinks[name] = LogSink(name, directory / filename, clock)
    return sinks


def _result(
    config: SimConfig,
    directory: Path,
    site: Site,
    sinks: dict[str, LogSink],
    truth: list[Scenario],
    firewall: FirewallSim | None = None,
    office: OfficeLine | None = None,
) -> SimResult:
    config_toml = site.config_toml(config.timezone)
    if office is not None:
        config_toml = office.trusted(config_toml)
    fw_file, fw_lines = None, 0
    if firewall is not None:
        fw_file, fw_lines = firewall.write(directory, sinks["mail"].path, config.scenarios, truth)
        config_toml += firewall.config_toml()
    (directory / CONFIG_FILE).write_text(config_toml, encoding="utf-8")
    document = {
        "seed": config.seed,
        "start": config.start.isoformat(),
        "days": config.days,
        "timezone": config.timezone,
        "local_domains": list(site.local_domains),
        "scenarios": [s.to_dict() for s in truth],
        "hosts": [h.to_dict() for h in firewall.hosts] if firewall is not None else [],
    }
    (directory / TRUTH_FILE).write_text(
        json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    names = [n for n in LOG_FILES if not config.only_mail or n == "mail"]
    return SimResult(
        directory=directory,
        files={n: sinks[n].path for n in names},
        lines={n: sinks[n].count for n in names},
        scenarios=tuple(truth),
        accounts=site.accounts(),
        aliases=site.aliases(),
        trusted_networks=TRUSTED_NETWORKS,
        config_toml=config_toml,
        hosts=tuple(firewall.hosts) if firewall is not None else (),
        firewall_file=fw_file,
        firewall_lines=fw_lines,
    )
