"""The verdict: a hijack is a stranger (access) doing harm (use).

Every signal says which side of that question it answers (``Signal.side``):

- **access**, *is this the owner?*: a place (network, AS, country) the account never
  used, a hosting network, a client or service it never uses, a login from an address
  that was guessing passwords, an hour at which it is never active;
- **use**, *is this abuse?*: volume above the account's own norm, recipients nobody
  here knows, bounces and a filling queue, one message to many, a From not its own;
- **decisive**: one fact that is a hijack on its own (mail after a login from an address
  that was just guessing this account's password; a From in an outside domain the
  account never used, sent from outside the trusted networks);
- **context**: weak evidence that only adds to the picture (failed logins for the
  account from the internet).

Within an incident each rule counts once, at its best score among the signals of the
last :data:`COMBINE` seconds (evidence a day apart is not one stranger's work); a side's
strength is the sum of its rules' scores, with these limits:

- **Travel explains place and time.** A new network, a new country, an odd hour and many
  addresses in a day (:data:`PLACE_RULES`) together count at most :data:`PLACE_CAP`
  points: a trip explains them all, so alone they are never strong access (one side
  alone is then at most low) without evidence a trip does not explain (a program or
  service the account never uses, a hosting network, an address that was guessing
  passwords).
- **A trip explains the people met on it.** Place rules alone with mail to people the
  account never wrote to alone, all from outside, are at most medium
  (:func:`explained_by_trip`), unless the owner used its desk just before or after
  that mail went out (:data:`AT_DESK`): a person is not on a trip and at its desk at
  once. That fact is weak access of its own that pairs with harm, but never makes
  access alone ``medium``: without harm it is the owner's phone while it works.
- **The stranger must be where the harm is.** Use sent from inside the trusted networks
  (the office, the VPN) pairs only with access evidence from inside too: the owner at
  their desk is not the stranger at a foreign address.

Then:

=====================================================  ==========
both sides at least moderate (>= 20 points each)         high
both sides strong (>= 45 each), or decisive + another    critical
a decisive fact                                          high
one side alone, strong (>= 45)                           medium
one side alone, moderate (>= 20)                         low
weaker                                                   info
=====================================================  ==========

Low and info raise no alert by default (they are kept, and corroborate later signals).
The verdict judges accounts: incidents about an outside IP alone (``ip:``) or a LAN
machine (``host:``, direct SMTP from the firewall's log) have no owner to impersonate,
and the engine judges them by score and their signals' floors instead.
A signal's ``min_severity`` floor counts up to ``medium`` only: above it, the sides
decide. Signals of detectors that do not say their side count as context.

**One cause, one alert.** When one outside address is why many accounts would each be
``medium`` for access alone (a hosted archive reading every mailbox, or a stranger
holding every password), the incident engine gives that access to the address's own
incident (:mod:`kerio_watch.incidents.sharing`) and names the address in the account's
incident (``shared``): its place and program rules (:data:`SHARED_RULES`) from there no
longer make the account ``medium`` alone, but pair with harm exactly as before.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from kerio_watch.severity import Severity
from kerio_watch.values.ip import machine_of
from kerio_watch.values.signal import Signal

ACCESS = "access"
USE = "use"
DECISIVE = "decisive"
CONTEXT = "context"
SIDES = (DECISIVE, ACCESS, USE, CONTEXT)

MODERATE = 20
"""Points from which a side is present."""
STRONG = 45
"""Points from which a side is strong."""
FLOOR_CAP = Severity.MEDIUM
"""The highest severity a signal's own floor can give."""
COMBINE = 24 * 3600
"""Signals combine into one verdict only within this many seconds of each other."""
PLACE_RULES = frozenset(("kerio.net.new_host", "kerio.time.odd_hours", "kerio.auth.many_ips"))
"""Access rules about where and when: a trip explains them."""
PLACE_CAP = 40
"""The most the place rules count together (below :data:`STRONG`)."""
TRIP_USE = frozenset(("kerio.mail.new_recipients",))
"""Use rules a trip explains: mail to people met on it (:func:`explained_by_trip`)."""
AT_DESK = "kerio.net.at_desk"
"""Mail to strangers from elsewhere while the owner used its desk
(:mod:`kerio_watch.detect.desk`): a person is not on a trip and at its desk at once."""
SHARED_RULES = frozenset(
    (
        "kerio.net.new_host",
        "kerio.net.hosting",
        "kerio.time.odd_hours",
        "kerio.login.unusual_protocol",
        "kerio.login.new_user_agent",
        "kerio.mail.unusual_service",
        "kerio.mail.new_client",
    )
)
"""Access rules about where from, when and with what program only: what one address
reading many mailboxes raises on each (guessing and another account's hijack address
are evidence of their own and are not among them)."""


def side_of(signal: Signal) -> str:
    """The signal's side (context when it does not say)."""
    return signal.side if signal.side in SIDES else CONTEXT


def strengths(signals: Iterable[Signal]) -> dict[str, int]:
    """Points per side (each rule counted once, at its best score, by the caller); the
    place rules count at most :data:`PLACE_CAP` together."""
    out = dict.fromkeys(SIDES, 0)
    place = 0
    for s in signals:
        if s.rule in PLACE_RULES and side_of(s) == ACCESS:
            place += s.score
        else:
            out[side_of(s)] += s.score
    out[ACCESS] += min(place, PLACE_CAP)
    return out


def _pairs(signals: list[Signal]) -> tuple[tuple[int, int], tuple[int, int]]:
    """(access, use) that may pair: all access with use from outside, and access from
    inside the trusted networks with use from inside."""
    outside = strengths(s for s in signals if not (s.inside and side_of(s) == USE))
    inside = strengths(s for s in signals if s.inside)
    return (outside[ACCESS], outside[USE]), (inside[ACCESS], inside[USE])


def explained_by_trip(signals: list[Signal]) -> bool:
    """Whether a trip explains the incident: every access from outside is about where
    and when (:data:`PLACE_RULES`: a new network or country, an odd hour), every use is
    mail to people the account never wrote to (:data:`TRIP_USE`: the people met there),
    all of it from outside the trusted networks, and the owner was not at its desk while
    that mail went out (:data:`AT_DESK`). A salesperson's follow-ups to a fair's leads
    from the hotel are this; a program it never used, a hosting network, a guessing
    address, bounces, a flood, one message to many, a From not its own are not.
    """
    access = [s for s in signals if side_of(s) == ACCESS and s.score > 0]
    use = [s for s in signals if side_of(s) == USE and s.score > 0]
    return (
        bool(access and use)
        and all(s.rule in PLACE_RULES and not s.inside for s in access)
        and all(s.rule in TRIP_USE and not s.inside for s in use)
        and not any(s.rule == AT_DESK for s in signals)
    )


def shared_access(signal: Signal, shared: Collection[str]) -> bool:
    """Whether ``signal`` is access of a :data:`SHARED_RULES` rule from one of the
    ``shared`` addresses (given to the address's own incident; an IPv6 address counts
    by its /64, :func:`~kerio_watch.values.ip.machine_of`)."""
    return (
        signal.rule in SHARED_RULES
        and signal.source_ip is not None
        and (signal.source_ip in shared or machine_of(signal.source_ip) in shared)
        and side_of(signal) == ACCESS
        and not signal.inside
    )


def judge(signals: Iterable[Signal], shared: Collection[str] = ()) -> Severity:
    """The severity the best signals of an incident reach together (``shared``: outside
    addresses whose access alone is their own incident's, :func:`shared_access`: it
    pairs with use, but does not make ``medium`` alone).

    >>> from kerio_watch.values.signal import Signal
    >>> def sig(side, score, inside=False, rule=""):
    ...     return Signal(rule or "r." + side, "a@x", 0, score, "", side=side, inside=inside)
    >>> judge([sig("access", 25)]).label, judge([sig("access", 25), sig("use", 25)]).label
    ('low', 'high')
    >>> judge([sig("use", 80)]).label, judge([sig("decisive", 70), sig("access", 25)]).label
    ('medium', 'critical')
    >>> judge([sig("access", 25), sig("use", 25, inside=True)]).label
    'low'
    >>> judge([sig("access", 50), sig("use", 15)]).label
    'medium'
    >>> judge([sig("access", 60, rule="kerio.net.new_host")]).label
    'low'
    >>> def at(rule, score, side="access"):
    ...     return Signal(rule, "a@x", 0, score, "", "203.0.113.7", side=side, inside=False)
    >>> archive = [at("kerio.net.hosting", 20), at("kerio.login.unusual_protocol", 30)]
    >>> judge(archive).label, judge(archive, {"203.0.113.7"}).label
    ('medium', 'low')
    >>> judge([*archive, at("kerio.mail.volume", 25, "use")], {"203.0.113.7"}).label
    'high'
    """
    signals = list(signals)
    points = strengths(signals)
    access, use = points[ACCESS], points[USE]
    alone = strengths(
        s for s in signals if s.rule != AT_DESK and not (shared and shared_access(s, shared))
    )[ACCESS]
    pairs = _pairs(signals)
    if points[DECISIVE]:
        severity = Severity.CRITICAL if access >= MODERATE or use >= STRONG else Severity.HIGH
    elif any(min(a, u) >= STRONG for a, u in pairs):
        severity = Severity.CRITICAL
    elif any(a >= MODERATE and u >= MODERATE for a, u in pairs):
        severity = Severity.MEDIUM if explained_by_trip(signals) else Severity.HIGH
    elif max(alone, use) >= STRONG:
        severity = Severity.MEDIUM
    elif max(access, use) >= MODERATE or access + use + points[CONTEXT] >= MODERATE:
        severity = Severity.LOW
    else:
        severity = Severity.INFO
    floor = max((s.min_severity for s in signals), default=Severity.INFO)
    return max(severity, min(floor, FLOOR_CAP))


def explain(signals: list[Signal]) -> str:
    """Both sides in words: ``Access: ... Use: ...`` (and ``Decisive:`` first, if any)."""
    groups: dict[str, list[str]] = {side: [] for side in SIDES}
    who = ""
    for s in signals:
        groups[side_of(s)].append(s.summary)
        who = who or s.who
    parts = []
    if groups[DECISIVE]:
        parts.append("Decisive: " + "; ".join(groups[DECISIVE]) + ".")
    if groups[ACCESS]:
        parts.append("Access: " + "; ".join(groups[ACCESS]) + ".")
    else:
        where = f" ({who})" if who else ""
        parts.append(f"Access: no sign of a stranger{where}.")
    if groups[USE]:
        parts.append("Use: " + "; ".join(groups[USE]) + ".")
    else:
        parts.append("Use: nothing unusual sent so far.")
    if groups[CONTEXT]:
        parts.append("Also: " + "; ".join(groups[CONTEXT]) + ".")
    return " ".join(parts)
