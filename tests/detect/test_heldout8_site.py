"""End to end: round eight of the kinds no other group plants (``SimConfig.heldout8``).

A password guessed once an hour for days, then spam; a lure to the account's people
while the owner is on leave; documents forwarded by hand to an outside address; a home
PC with the old password, a trip through three countries, documents forwarded to one's
own private address.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from zoneinfo import ZoneInfo

from kerio_watch.severity import Severity
from kerio_watch.simulate import HELDOUT8_BENIGN_KINDS, HELDOUT8_HIJACK_KINDS, SimConfig, simulate
from kerio_watch.simulate.site import LAN_PREFIX
from simscan import log_lines, only_adds, planted_kinds, scan_alerts, with_round, worst_by_user


def test_the_kinds_are_planted_and_only_add_lines(tmp_path: Path) -> None:
    """Planted as the truth says, with other opt-in groups on too: the rest of the site
    is the same as without them, and spam.log, warning.log and config.log are untouched."""
    config = SimConfig(seed=1, users=40, days=29, admin=True, heldout6=True, heldout7=True)
    kinds = (HELDOUT8_HIJACK_KINDS, HELDOUT8_BENIGN_KINDS)
    on, planted = with_round(config, "heldout8", *kinds, tmp_path)
    accounts = [planted[k].account for k in (*HELDOUT8_HIJACK_KINDS, *HELDOUT8_BENIGN_KINDS)]
    assert len(set(accounts)) == len(accounts), "each kind on an account of its own"
    security = log_lines(on.directory / "security.log")
    guess = planted["slow_guess"]
    tries = [x for x in security if f"IP address {guess.source_ip}." in x]
    assert len(tries) >= 3 * 20 and all(f"user {guess.account}. " in x for x in tries)
    times = [dt.datetime.strptime(x[1:21], "%d/%b/%Y %H:%M:%S") for x in tries]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= dt.timedelta(minutes=45), "about once an hour, day and night"
    stale = planted["stale_home_pc"].account
    assert any(f"Invalid password for user {stale}. " in x for x in security)
    ops = log_lines(on.directory / "operations.log")
    for kind in ("leave_hijack", "hand_forward"):
        sent = planted[kind]
        assert any(f"User: {sent.account}, IP: {sent.source_ip}, " in x for x in ops), kind
    forward = planted["hand_forward"]
    by_it = [x for x in ops if f" IP: {forward.source_ip}, " in x]
    mids = {x.split("Msg-Id: <<")[1].split(">>")[0] for x in by_it}
    mail = log_lines(on.directory / "mail.log")
    drops = {x.split("To: <")[1].split(">")[0] for x in mail
             if " Recv: " in x and x.rpartition("Msg-Id: <")[2].rstrip(">") in mids}  # fmt: skip
    assert len(drops) == 1 and not drops & set(on.accounts), "one outside address"
    only_adds(
        config,
        on,
        tmp_path,
        ("mail.log", "audit.log", "operations.log", "security.log"),
        ("spam.log", "warning.log", "config.log"),
    )


def test_the_lure_comes_while_the_owner_is_away(tmp_path: Path) -> None:
    """Nobody at the owner's desk on the day of the lure: every login of the account
    that day is from outside the office, the intruder's among them."""
    config = SimConfig(seed=3, users=40, days=29)
    on, planted = with_round(config, "heldout8", HELDOUT8_HIJACK_KINDS, (), tmp_path)
    lure = planted["leave_hijack"]
    day = lure.start.astimezone(ZoneInfo(config.timezone)).strftime("%d/%b/%Y")
    audit = [x for x in log_lines(on.directory / "audit.log") if x[1:12] == day]
    mine = [x.split("IP address ")[1] for x in audit if f"User {lure.account} authenticated" in x]
    assert f"{lure.source_ip}; " in " ".join(mine) + " "
    assert not [ip for ip in mine if ip.startswith(LAN_PREFIX)], "nobody at the desk"


def test_hijacks_and_look_alikes(tmp_path: Path) -> None:
    """The slow guess's spam, the lure on leave and the documents forwarded by hand
    are high; the home PC with the old password, the trip through three countries and
    the documents forwarded to one's own address are not."""
    result = simulate(
        SimConfig(
            seed=1, users=40, days=28, forwarding=True, admin=True, lateral=True, heldout8=True
        ),
        tmp_path / "logs",
    )
    planted = planted_kinds(result, *HELDOUT8_HIJACK_KINDS, *HELDOUT8_BENIGN_KINDS)
    worst = worst_by_user(scan_alerts(result, tmp_path / "state.db"))
    for kind in HELDOUT8_HIJACK_KINDS:
        assert worst.get(planted[kind].account, Severity.INFO) >= Severity.HIGH, kind
    for kind in HELDOUT8_BENIGN_KINDS:
        assert worst.get(planted[kind].account, Severity.INFO) < Severity.HIGH, kind
