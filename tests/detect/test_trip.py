"""A trip explains a new place and the people met on it, not the owner at its desk at once.

A salesperson at a trade fair writes one follow-up to each lead from the hotel in the
evening: a network the account never used and people it never wrote to, nothing else
(``medium``). The same mail while the owner used its desk in the office minutes before
is someone else sending as the account (``high``), and the alert says why.
"""

from __future__ import annotations

import pytest

from factories import ALICE, at, feed, login, office_history, pipeline, recv, rules, severity
from kerio_watch.events import Event
from kerio_watch.severity import Severity
from kerio_watch.values.signal import Signal
from kerio_watch.values.verdict import judge


def _follow_ups(start: int) -> list[Event]:
    """One message to each of 12 leads, a new address of the hotel's /24 each time."""
    return [
        recv(
            start + k * 240,
            to=(f"lead{k}@fair{k}.test",),
            host=f"198.51.100.{20 + k}",
            subject=f"Our talk at the fair, Mr {k}",
            size=2000 + 400 * k,
        )
        for k in range(12)
    ]


@pytest.mark.parametrize(
    ("desk", "expected"),
    [("away", Severity.MEDIUM), ("before", Severity.HIGH), ("after", Severity.HIGH)],
)
def test_follow_ups_from_a_hotel_are_high_only_while_the_desk_is_in_use(
    desk: str, expected: Severity
) -> None:
    """Away all evening: medium. The desk in use ten minutes before the first follow-up
    (a login there), or ten minutes after one (mail sent there): high."""
    p = pipeline()
    feed(p, office_history(days=21))
    evening = at(22, "18:00")
    events = _follow_ups(evening)
    if desk == "before":
        events.append(login(evening - 600, source="192.168.1.10"))
    elif desk == "after":
        events.append(recv(evening + 600, to=("contact1@partner1.test",), subject="Re: offer"))
    signals = feed(p, events)
    assert "kerio.mail.new_recipients" in rules(signals)
    assert ("kerio.net.at_desk" in rules(signals)) == (desk != "away")
    assert severity(p) == expected or (expected == Severity.HIGH and severity(p) > expected)


HOME = "198.51.100.5"


def _own_provider(desks: tuple[str, ...]) -> list[Event]:
    """Three weeks at the desk(s) and evenings from the home line (198.51.100.5): the
    provider's /16 is a network the account uses."""
    events = []
    for k, desk in enumerate(desks):
        events += office_history(days=21, host=desk, seed=1 + k, per_day=6 // len(desks))
    for day in range(21):
        if day % 7 < 5:
            events.append(recv(at(day, "20:00"), to=("contact1@partner1.test",), host=HOME))
    return events


@pytest.mark.parametrize(
    ("desks", "expected"),
    [(("192.168.1.10",), Severity.HIGH), (("192.168.1.10", "192.168.1.11"), Severity.MEDIUM)],
)
def test_strangers_from_the_owners_own_provider_while_it_works_at_its_desk(
    desks: tuple[str, ...], expected: Severity
) -> None:
    """Mail to strangers only from a new address of the owner's own home provider (a
    network it uses: weak access) while the owner works at its one desk is a stranger's
    (at_desk counts 10 points of access): high. An account sent from at several desks
    (a role mailbox several people use) is not: a colleague at home writes while
    another works at the desk, so the desk gives no points and it stays medium."""
    p = pipeline()
    feed(p, _own_provider(desks))
    morning = at(22, "10:00")
    events: list[Event] = [login(morning - 600, source=desks[0])]
    events += [
        recv(
            morning + 300 * k,
            to=(f"x{k}@spam{k}.test", f"y{k}@spam{k}.test"),
            host=f"198.51.{77 + k}.9",
        )
        for k in range(12)
    ]
    signals = feed(p, events)
    assert "kerio.net.at_desk" in rules(signals)
    desk = [s for s in signals if s.rule == "kerio.net.at_desk"]
    assert all(s.score == (10 if len(desks) == 1 else 0) for s in desk)
    # says what it saw (several desks), not who uses them: one person's PC and VPN laptop
    said = f"no points, as it sends from {len(desks)} desks"
    assert all((said in s.summary) == (len(desks) > 1) for s in desk)
    assert not any("several people use it" in s.summary for s in desk)
    assert severity(p) == expected


def test_the_desk_in_use_pairs_with_harm_but_is_no_access_alone() -> None:
    """The owner's phone on its carrier reads for days, then sends a reply to someone new
    while the owner works at its desk: a place it never sent from and a mail program it
    never used (40 points) are low, and the desk in use (10) does not make them medium
    on their own; with harm from there the same access is a stranger's (high)."""
    phone = "176.0.16.150"
    access = [
        Signal("kerio.net.new_host", ALICE, 100, 25, "place", phone, side="access"),
        Signal("kerio.mail.new_client", ALICE, 100, 15, "program", phone, side="access"),
        Signal("kerio.net.at_desk", ALICE, 100, 10, "desk", phone, side="access"),
    ]
    assert judge(access) == Severity.LOW
    harm = Signal("kerio.mail.new_recipients", ALICE, 100, 45, "strangers", phone, side="use")
    assert judge([*access, harm]) >= Severity.HIGH
