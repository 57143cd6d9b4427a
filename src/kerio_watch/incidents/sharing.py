"""One cause, one alert: an outside address that many accounts' access alone comes from.

A hosted archive (a backup, a migration) logs in to every mailbox each night from one
address; each account sees a hosting network and a protocol it never used, and would
open its own ``medium`` incident: forty alerts for one cause. A stranger holding the
whole password list (a dumped account database, a compromised administrator) logs in
the same way, so the address is not simply the site's own: the administrator must hear
of it, once, about the address.

When a signal would make an account ``medium`` for access alone (no use, nothing
decisive), and without the :data:`~kerio_watch.values.verdict.SHARED_RULES` access from
one outside address the account would stay below ``medium``, and another account is
``medium`` for access alone from that address too (or the address's own incident names
it already), the engine names the address in the account's incident
(:data:`~kerio_watch.values.incident.SHARED_FACT`: that access no longer makes it
``medium`` alone, but pairs with harm exactly as before) and raises :data:`RULE` on the
address's own incident (``ip:<addr>``, ``medium``, once), which names the accounts and
says what to do. The first account alerts on its own: nothing yet says the address
reads other mailboxes.

Harm from the address or by those accounts (mail, a forward, deletions, a login after
guessing) is each account's own incident as before: the shared access still counts in
it. Learning stays held for those accounts (:mod:`kerio_watch.detect.learner` asks
:meth:`~kerio_watch.incidents.engine.IncidentEngine.shared_on`), as under a ``medium``
incident, and they are no witnesses that the address is a place of the staff.
"""

from __future__ import annotations

from collections.abc import Mapping

from kerio_watch.detect.base import RuleDoc
from kerio_watch.severity import Severity
from kerio_watch.textsafe import printable
from kerio_watch.values.incident import SHARED_FACT, Incident
from kerio_watch.values.ip import machine_of
from kerio_watch.values.signal import Signal
from kerio_watch.values.verdict import (
    ACCESS,
    COMBINE,
    DECISIVE,
    SHARED_RULES,
    USE,
    judge,
    side_of,
)

RULE = "kerio.net.shared_address"
RULES = (
    RuleDoc(
        RULE,
        "Many accounts used from one outside address",
        "Two or more accounts would each have been medium for access alone from one outside "
        "address (a place or program they never used), with no harm from it: raised once on "
        "the address's own incident (ip:<address>), which names the accounts; the accounts "
        "do not alert for that access again, but harm from the address still counts in each.",
        "One address holding several passwords is either a service the site set up (an "
        "archive, a backup, a migration) or a stranger with a password list: the "
        "administrator decides once, about the address, instead of once per mailbox.",
        "A hosted archive, backup or migration tool reading every mailbox from outside the "
        "trusted networks: put its address in [site] trusted_networks.",
        side="access",
    ),
)
"""The rule this engine raises itself (``kerio-watch list rules`` lists it with the
detectors' rules)."""
ACCOUNTS_FACT = "accounts"
"""Fact of the address's incident: the accounts its access alone was given from."""
NAMED = 5
"""Accounts an alert names (the incident keeps them all)."""


def candidate(signal: Signal) -> bool:
    """Whether ``signal`` may be access from a shared address (an account's place or
    program rule, from an outside address)."""
    return (
        signal.rule in SHARED_RULES
        and bool(signal.source_ip)
        and not signal.inside
        and side_of(signal) == ACCESS
        and not signal.key.startswith(("ip:", "host:"))
    )


def after(inc: Incident | None, signal: Signal) -> list[Signal]:
    """The signals :meth:`Incident.current` would return once ``signal`` is added."""
    if inc is None:
        return [signal]
    edge = max(inc.updated, signal.ts) - COMBINE
    out = []
    for rule, queue in inc.window.items():
        kept = [s for s in queue if s.ts >= edge]
        if rule == signal.rule:
            while kept and kept[-1].score <= signal.score:
                kept.pop()
            kept.append(signal)
        if kept:
            out.append(kept[0])
    if signal.rule not in inc.window:
        out.append(signal)
    return out


def cause(open_: Mapping[str, Incident], signal: Signal) -> tuple[str, list[str], Signal] | None:
    """The outside address the account's ``medium`` for access alone would come from,
    shared with other accounts, those accounts, and the account's strongest signal from
    it; None if there is none (the signal joins the account's incident as it is)."""
    inc = open_.get(signal.key)
    if inc is not None and inc.severity >= Severity.MEDIUM:
        return None  # it alerted on its own already
    recent = after(inc, signal)
    if any(side_of(s) in (USE, DECISIVE) for s in recent):
        return None
    if not Severity.MEDIUM <= judge(recent) < Severity.HIGH:
        return None
    shared = set(inc.facts.get(SHARED_FACT, ())) if inc is not None else set()
    explained = bool(shared) and judge(recent, shared) < Severity.MEDIUM
    for ip in sorted({machine_of(s.source_ip) for s in recent if s.source_ip and candidate(s)}):
        if explained:
            if ip not in shared:
                continue  # an address already given explains it: keep its incident open
        elif ip in shared or judge(recent, shared | {ip}) >= Severity.MEDIUM:
            continue
        others = sharers(open_, ip, signal.key, signal.ts)
        if others:
            best = max((s for s in recent if _from(s, ip) and candidate(s)), key=_strength)
            return ip, others, best
    return None


def _strength(signal: Signal) -> tuple[int, int]:
    return signal.score, -signal.ts


def _from(signal: Signal, machine: str) -> bool:
    return bool(signal.source_ip) and machine_of(signal.source_ip or "") == machine


def _last_seen(inc: Incident, machine: str) -> int | None:
    """The log time ``inc`` last saw ``machine`` (any address of an IPv6 /64)."""
    seen = [span[1] for ip, span in inc.ip_span.items() if machine_of(ip) == machine]
    return max(seen) if seen else None


def sharers(open_: Mapping[str, Incident], ip: str, account: str, ts: int) -> list[str]:
    """The other accounts ``ip``'s access alone made ``medium`` (or was given to its
    incident) within the day before ``ts``, those its incident names first."""
    own = open_.get(f"ip:{ip}")
    found = [a for a in own.facts.get(ACCOUNTS_FACT, ()) if a != account] if own else []
    for key, inc in open_.items():
        if inc.user is None or key == account or key in found:
            continue
        last = _last_seen(inc, ip)
        if last is None or ts - last > COMBINE:
            continue
        if ip in inc.facts.get(SHARED_FACT, ()) or (
            inc.severity == Severity.MEDIUM
            and not any(side_of(s) in (USE, DECISIVE) for s in inc.current())
        ):
            found.append(key)
    return found


def address_signal(
    open_: Mapping[str, Incident], ip: str, signal: Signal, others: list[str], best: Signal
) -> Signal:
    """The signal about the address (for ``signal``, whose account's strongest signal
    from it is ``best``): the accounts, what it may be, what to do."""
    own = open_.get(f"ip:{ip}")
    names = list(own.facts.get(ACCOUNTS_FACT, ())) if own else []
    for a in [*others, signal.key]:
        if a not in names:
            names.append(a)
    n = len(names)
    shown = ", ".join(names[:NAMED]) + (f" and {n - NAMED:,} more" if n > NAMED else "")
    summary = printable(
        f"{n:,} accounts would each have been medium for access from {ip} alone ({shown}; "
        f"the latest: {best.summary}), with no harm from it so far (no mail, forward or "
        "deletion the rules flag, no password guessing): a service reading every "
        "mailbox (an archive, a backup, a migration) or someone holding these "
        "passwords. If it is the site's, add it to [site] trusted_networks; if not, "
        "block it and change these accounts' passwords"
    )
    return Signal(
        RULE,
        f"ip:{ip}",
        signal.ts,
        40 + min(n, 50),
        summary,
        ip,
        best.evidence,
        Severity.MEDIUM,
        facts={"hosts": [ip], ACCOUNTS_FACT: names},
        side=ACCESS,
        inside=False,
    )
