"""The account's own desk outside the trusted networks (``detect/places.own_desk``):
the office line of a company whose mail server is elsewhere (a provider hosting it).
Use from there is the owner at the desk, as from the office LAN: it does not pair with
a stranger's access from another address."""

from __future__ import annotations

from factories import ALICE, Recorder, at, feed, office_history, pipeline, severity
from kerio_watch.severity import Severity
from kerio_watch.values.signal import Signal

DESK = "198.51.100.20"
"""The company's office line: outside the server's trusted networks."""
OTHER = "203.0.113.9"


def _site() -> Recorder:
    p = pipeline()
    feed(p, office_history(host=DESK, days=21))
    return p


def _access(ts: int) -> Signal:
    return Signal("kerio.net.new_host", ALICE, ts, 25, "new place", OTHER, side="access")


def _use(ts: int, host: str) -> Signal:
    return Signal("kerio.mail.volume", ALICE, ts, 30, "a mailing", host, side="use")


def test_use_from_the_own_desk_does_not_pair_with_access_elsewhere() -> None:
    p = _site()
    p.inject([_access(at(27, "18:57"))])
    p.inject([_use(at(28, "14:00"), DESK)])
    assert severity(p) < Severity.HIGH


def test_use_from_the_stranger_s_address_still_pairs() -> None:
    p = _site()
    p.inject([_access(at(27, "18:57"))])
    p.inject([_use(at(28, "14:00"), OTHER)])
    assert severity(p) >= Severity.HIGH


def test_a_desk_of_a_few_days_is_not_yet_the_own_desk() -> None:
    p = pipeline()
    feed(p, office_history(host=DESK, days=4))
    p.inject([_access(at(4, "18:57"))])
    p.inject([_use(at(5, "10:00"), DESK)])
    assert severity(p) >= Severity.HIGH


def test_access_from_the_own_desk_is_judged_as_before() -> None:
    """Only use from the desk is inside: access from it (a cloud service sending as the
    account for weeks) stays outside, so one address several accounts' access came from
    is still one shared address."""
    p = _site()
    access = Signal("kerio.net.hosting", ALICE, at(28, "10:00"), 20, "cloud", DESK, side="access")
    use = _use(at(28, "10:05"), DESK)
    p.inject([access, use])
    assert access.inside is False
    assert use.inside is True
