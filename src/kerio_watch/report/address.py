"""Everything one address did, across accounts: the dashboard's address page.

From the hourly activity: logins (which accounts, which services and clients), mail
submitted from it (as which account and From address), failed logins (which accounts
were tried, why they failed) and AntiHammering blocks; and every incident that names it.
The store's search matches text; here only exact matches of the address count, so
``203.0.113.6`` does not pick up ``203.0.113.66``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from kerio_watch.enrich.network import Networks
from kerio_watch.report.model import IncidentRow, split_key
from kerio_watch.store.base import Store

KINDS = ("login", "send", "fail", "blocked")
LABELS = {
    "login": "logged in",
    "send": "sent mail",
    "fail": "failed to log in",
    "blocked": "blocked by AntiHammering",
}
MAX_ROWS = 20_000
TIMELINE = 500


@dataclass
class AccountUse:
    """What the address did with one account, in one way."""

    account: str
    kind: str
    count: int = 0
    first: int = 0
    last: int = 0
    via: Counter[str] = field(default_factory=Counter)
    """Services or protocols (login, send, fail), with counts."""
    details: Counter[str] = field(default_factory=Counter)
    """User agents (login), From addresses (send) or failure reasons (fail)."""


@dataclass(frozen=True)
class HourRow:
    """One hour of one kind of activity from the address."""

    ts: int
    account: str
    kind: str
    via: str
    detail: str
    count: int


@dataclass
class AddressView:
    """The address page."""

    address: str
    trusted: bool | None
    uses: list[AccountUse]
    hours: list[HourRow]
    incidents: list[IncidentRow]
    totals: Counter[str]
    truncated: bool


def _matches(kind: str, key: str, address: str) -> tuple[str, str] | None:
    """(via, detail) when the activity row is about exactly this address."""
    if kind == "blocked":
        return ("", "") if key == address else None
    first, host, rest = split_key(key)
    return (first, rest) if host == address else None


def _names(inc_evidence: list[str], address: str) -> bool:
    pattern = re.compile(rf"(?<![\d.:a-fA-F]){re.escape(address)}(?![\d.:a-fA-F])")
    return any(pattern.search(line) for line in inc_evidence)


def address_view(store: Store, networks: Networks, address: str) -> AddressView:
    """Everything the activity and the incidents say about ``address``."""
    rows = store.activity_containing(address, KINDS, limit=MAX_ROWS)
    uses: dict[tuple[str, str], AccountUse] = {}
    hours: list[HourRow] = []
    totals: Counter[str] = Counter()
    for hour, account, kind, key, n in rows:
        found = _matches(kind, key, address)
        if found is None:
            continue
        via, detail = found
        totals[kind] += n
        use = uses.setdefault((account, kind), AccountUse(account, kind, first=hour, last=hour))
        use.count += n
        use.first, use.last = min(use.first, hour), max(use.last, hour)
        if via:
            use.via[via] += n
        if detail:
            use.details[detail] += n
        if len(hours) < TIMELINE:
            hours.append(HourRow(hour, account, kind, via, detail, n))
    incidents = [
        IncidentRow.of(inc)
        for inc in store.incidents_containing(address, limit=200)
        if address in inc.source_ips or inc.key == f"ip:{address}" or _names(inc.evidence, address)
    ]
    order = {k: i for i, k in enumerate(KINDS)}
    return AddressView(
        address,
        networks.is_trusted(address),
        sorted(uses.values(), key=lambda u: (order[u.kind], -u.count, u.account)),
        hours,
        incidents,
        totals,
        len(rows) >= MAX_ROWS,
    )
