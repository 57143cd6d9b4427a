"""The report's sending and login addresses outside the trusted networks.

An address is *new for the account* when the account had not used its place before the
period: not the address, not its /24, and not the provider range (/16) it rotates
through. A phone on a mobile network gets a new address every few logins; each is the
same place, as the detectors judge it (:mod:`kerio_watch.detect.new_host`). New places
come first, then the busiest addresses; at most :data:`MAX_ROWS` rows are listed and the
report says how many more there were.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from kerio_watch.enrich.network import network_of, provider_range
from kerio_watch.report.guessing import ActivityRow
from kerio_watch.report.model import HostRow, split_key
from kerio_watch.values.profile import Profile

MAX_ROWS = 200
"""Addresses listed at most (new places first)."""


@dataclass
class _HostSeen:
    first: int
    last: int
    count: int = 0
    via: set[str] = field(default_factory=set)
    agents: set[str] = field(default_factory=set)


def outside_hosts(
    by_kind: Mapping[str, list[ActivityRow]],
    is_external: Callable[[str], bool],
    profile: Callable[[str], Profile | None],
    since: int,
    where: Callable[[str], str],
) -> tuple[list[HostRow], int]:
    """The rows to list, and how many more addresses there were."""
    found: dict[tuple[str, str, str], _HostSeen] = {}
    for kind in ("send", "login"):
        for hour, account, _k, key, n in by_kind[kind]:
            first_part, host, rest = split_key(key)
            if not is_external(host):
                continue
            seen = found.get((account, host, kind))
            if seen is None:
                seen = found[(account, host, kind)] = _HostSeen(hour, hour)
            seen.via.add(first_part)
            seen.count += n
            seen.first = min(seen.first, hour)
            seen.last = max(seen.last, hour)
            if kind == "login" and rest:
                seen.agents.add(rest)
    rows = [
        HostRow(
            account,
            host,
            kind,
            sorted(e.via),
            e.count,
            e.first,
            e.last,
            not _known_place(profile(account), host, since),
            sorted(e.agents),
            where(host),
        )
        for (account, host, kind), e in found.items()
    ]
    rows.sort(key=lambda r: (not r.new, -r.count, r.account, r.address))
    return rows[:MAX_ROWS], max(0, len(rows) - MAX_ROWS)


def _known_place(prof: Profile | None, host: str, since: int) -> bool:
    """Whether the account used this address, its /24 or its /16 before ``since``."""
    if prof is None:
        return False
    for table in (prof.hosts, prof.login_ips):
        entry = table.get(host)
        if entry is not None and entry[1] < since:
            return True
    network = network_of(host)
    entry = prof.networks.get(network)
    if entry is not None and entry[1] < since:
        return True
    prefix = provider_range(network)
    return prefix is not None and any(
        n.startswith(prefix) and e[1] < since for n, e in prof.networks.items()
    )
