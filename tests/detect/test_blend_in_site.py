"""End to end: spam that blends in, from the owner's own home line to its own domains.

An intruder who knows the account's habits sends from the address the owner uses at
home, with the owner's mail program (its Message-IDs), in the owner's working hours,
to strangers in the domains the owner writes to (the big freemail domains, known to
every account). Nothing on the access side says stranger, so it is never high; but a
day of mail to dozens of people the account never wrote to is harm enough for an
alert. A dozen new people is not.
"""

from __future__ import annotations

import collections
import datetime as dt
import random
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from kerio_watch.severity import Severity
from kerio_watch.simulate import SimConfig, SimResult, simulate
from simscan import merge_lines, scan_alerts, worst_by_user

RECV = re.compile(
    r"Recv: .*From: <([^>]*)>, To: <[^@>]*@([^>]*)>.*Sender-Host: ([^,]+), User: ([^,]+),"
    r".*Msg-Id: (<.*>)"
)
DAY = dt.date(2026, 3, 13)  # the last day of the simulated twelve (a Friday)


def _home_sender(result: SimResult) -> tuple[str, str, list[str], list[str]]:
    """The account no scenario touches that sent most from one outside address (its
    home line; not the office, the VPN, webmail): (account, that address, the outside
    domains it writes to most, its own Message-IDs)."""
    planted = {s.account for s in result.scenarios}
    outside: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    domains: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    ids: dict[str, list[str]] = collections.defaultdict(list)
    for line in (result.directory / "mail.log").read_text(encoding="utf-8").splitlines():
        m = RECV.search(line)
        if not m or m[1] != m[4] or m[4] in planted:
            continue
        if not m[3].startswith(("192.168.", "10.", "0.0.0.0")):
            outside[m[4]][m[3]] += 1
        if not m[2].startswith("example."):
            domains[m[4]][m[2]] += 1
        ids[m[4]].append(m[5])
    _, user = max((c.most_common(1)[0][1], u) for u, c in outside.items() if domains[u])
    known = [d for d, _ in domains[user].most_common(3)]
    home = outside[user].most_common(1)[0][0].rpartition(".")[0]
    return user, f"{home}.{random.Random(user).randint(2, 254)}", known, ids[user]


def _inject(
    result: SimResult, user: str, host: str, domains: list[str], ids: list[str], n: int
) -> None:
    """``n`` messages from ``host`` (another address of the home line's provider, as a
    residential proxy service hands out) between 09:00 and 17:00, each to a stranger
    in ``domains``, with ``user``'s own Message-IDs."""
    rng = random.Random(7)
    mail: list[tuple[dt.datetime, str]] = []
    audit: list[tuple[dt.datetime, str]] = []
    when = dt.datetime.combine(DAY, dt.time(9, 4))
    step = dt.timedelta(seconds=8 * 3600 // n)
    for i in range(n):
        stamp = when.strftime("[%d/%b/%Y %H:%M:%S]")
        if i % 8 == 0:
            audit.append((when, f"{stamp} SMTP: User {user} authenticated  from IP address {host}"))
        qid = f"{int(when.timestamp()):08x}-{0xD0000 + i:08x}"
        to = f"{rng.choice(('anna', 'ben', 'carla', 'dirk'))}.{rng.randint(100, 99999)}"
        to += f"@{rng.choice(domains)}"
        mid = rng.choice(ids)
        mail.append(
            (
                when,
                f"{stamp} Recv: Queue-ID: {qid}, Service: SMTP, From: <{user}>, To: <{to}>, "
                f"Size: 23000, Sender-Host: {host}, User: {user}, SSL: yes, "
                f"Subject: Kurze Frage {i}, Msg-Id: {mid}",
            )
        )
        when += step
    merge_lines(result.directory / "mail.log", mail)
    merge_lines(result.directory / "audit.log", audit)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> SimResult:
    """A simulated site of 24 accounts over twelve days (read-only: tests copy it)."""
    return simulate(SimConfig(seed=2, users=24, days=12), tmp_path_factory.mktemp("site"))


@pytest.mark.parametrize(("strangers", "expected"), [(45, Severity.MEDIUM), (12, None)])
def test_a_day_of_strangers_from_home_alerts_a_dozen_does_not(
    site: SimResult, tmp_path: Path, strangers: int, expected: Severity | None
) -> None:
    result = replace(site, directory=tmp_path / "logs")
    shutil.copytree(site.directory, result.directory)
    user, host, domains, ids = _home_sender(result)
    _inject(result, user, host, domains, ids, strangers)
    alerts = scan_alerts(result, tmp_path / "state.db", "--min-severity", "medium")
    assert worst_by_user(alerts).get(user) == expected
    if expected:
        rules = {r for a in alerts if a["user"] == user for r in a["rules"]}
        assert "kerio.mail.new_recipients" in rules
