"""End to end: one stranger with several stolen passwords, from a few shared addresses.

A campaign logs in to six accounts over SMTP from three residential addresses in the
site's own country, in turn, and sends a dozen invoices each to strangers, with each
account's own mail program (its Message-IDs). Each account alone looks half like a
trip: an address in a provider some of its colleagues use. Together they are one
stranger: once one account's hijack is known, every account its addresses touch is
high.
"""

from __future__ import annotations

import collections
import datetime as dt
import random
import re
from pathlib import Path

from kerio_watch.severity import Severity
from kerio_watch.simulate import SimConfig, SimResult, simulate
from simscan import merge_lines, scan_alerts, worst_by_user

RECV = re.compile(r"Recv: .*From: <([^>]*)>.*Sender-Host: ([^,]+), User: ([^,]+),.*Msg-Id: (<.*>)")
PROXIES = ("79.206.14.77", "91.61.203.9", "87.162.40.118")  # Deutsche Telekom lines
FREEMAIL = ("gmx.de", "web.de", "t-online.de", "aol.com", "hotmail.com", "outlook.com")
START = dt.datetime(2026, 3, 12, 9, 0)  # a Thursday of the simulated fortnight
STAMP = "%d/%b/%Y %H:%M:%S"


def _victims(result: SimResult, n: int) -> dict[str, list[str]]:
    """The ``n`` busiest accounts no scenario touches that send from their desks and
    have a week of history by the campaign, with their own Message-IDs."""
    planted = {s.account for s in result.scenarios}
    hosts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    ids: dict[str, list[str]] = collections.defaultdict(list)
    first: dict[str, dt.datetime] = {}
    for line in (result.directory / "mail.log").read_text(encoding="utf-8").splitlines():
        m = RECV.search(line)
        if m and m[1] == m[3]:
            hosts[m[3]][m[2]] += 1
            ids[m[3]].append(m[4])
            first.setdefault(m[3], dt.datetime.strptime(line[1:21], STAMP))
    busiest = sorted(
        (
            (sum(c.values()), user)
            for user, c in hosts.items()
            if user not in planted
            and c.most_common(1)[0][0].startswith("192.168.")
            and first[user] < START - dt.timedelta(days=7)
        ),
        reverse=True,
    )
    assert len(busiest) >= n, busiest
    return {user: ids[user][-50:] for _, user in busiest[:n]}


def _stamp(when: dt.datetime) -> str:
    return when.strftime("[%d/%b/%Y %H:%M:%S]")


def _campaign(result: SimResult, victims: dict[str, list[str]]) -> None:
    rng = random.Random(3)
    mail: list[tuple[dt.datetime, str]] = []
    audit: list[tuple[dt.datetime, str]] = []
    n = 0
    for k, (user, own_ids) in enumerate(victims.items()):
        when = START + dt.timedelta(minutes=7 * k)
        for i in range(12):
            n += 1
            ip = PROXIES[(k + i) % len(PROXIES)]
            auth = when - dt.timedelta(seconds=2)
            audit.append(
                (auth, f"{_stamp(auth)} SMTP: User {user} authenticated from IP address {ip}")
            )
            qid = f"{int(when.timestamp()):08x}-{0xE0000 + n:08x}"
            to = f"kunde{rng.randint(1000, 9999)}@{rng.choice(FREEMAIL)}"
            mid = rng.choice(own_ids)
            mail.append(
                (
                    when,
                    f"{_stamp(when)} Recv: Queue-ID: {qid}, Service: SMTP, From: <{user}>, "
                    f"To: <{to}>, Size: 52000, Sender-Host: {ip}, User: {user}, SSL: yes, "
                    f"Subject: Rechnung 2026-0412, Msg-Id: {mid}",
                )
            )
            later = when + dt.timedelta(seconds=3)
            mail.append(
                (
                    later,
                    f"{_stamp(later)} Sent: Queue-ID: {qid}, Recipient: <{to}>, Result: "
                    f"delivered, Status: 2.0.0 , Remote-Host: 212.227.15.9, Msg-Id: {mid}",
                )
            )
            when += dt.timedelta(minutes=20 + rng.randint(0, 5))
    merge_lines(result.directory / "mail.log", mail)
    merge_lines(result.directory / "audit.log", audit)


def test_every_account_of_one_strangers_campaign_is_high(tmp_path: Path) -> None:
    result = simulate(SimConfig(seed=3, users=40, days=14), tmp_path / "logs")
    victims = _victims(result, 6)
    _campaign(result, victims)
    alerts = scan_alerts(result, tmp_path / "state.db", "--min-severity", "low")
    worst = worst_by_user(alerts)
    high = {user: worst.get(user, Severity.INFO) >= Severity.HIGH for user in victims}
    assert high == dict.fromkeys(victims, True)
    rules = {r for a in alerts if a["user"] in victims for r in a["rules"]}
    assert "kerio.net.hijack_address" in rules
