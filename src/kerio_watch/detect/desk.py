"""The owner at its desk while mail goes out from elsewhere (:mod:`.new_recipients`).

A trip explains a place the account never used, an odd hour and the people met on it
(:func:`kerio_watch.values.verdict.explained_by_trip`); it does not explain mail to
strangers from an address the account never sent from while its owner works at its
desk: a person is not at the office and in a hotel at once. This is the fact the
verdict asks for before it lets a trip explain the people, and weak access evidence of
its own (:data:`AT_DESK_SCORE`): a stranger writing from a new address of the owner's
own provider is someone else while the owner works at its desk. An account several
people send from at their desks (a role mailbox) gets no points: a colleague at home
writes while another works at the desk.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from typing import Any

from kerio_watch.detect.base import RuleDoc, Signal
from kerio_watch.detect.context import Context
from kerio_watch.detect.new_recipients_parts import Sample
from kerio_watch.detect.places import own_desk
from kerio_watch.enrich.messages import Submission
from kerio_watch.textsafe import printable
from kerio_watch.values.profile import Profile
from kerio_watch.values.verdict import AT_DESK

DESK_SECONDS = 30 * 60
"""How close to a message from elsewhere the desk must be in use: a login or a message
there before it, or a message there after it (what :mod:`.new_recipients` sees)."""
AT_DESK_SCORE = 10
"""Access points of :data:`AT_DESK` for an account one person uses (one desk): weak, a
corroboration; with a new address of a network the account uses (10) it is a stranger's
access that pairs with harm. It never makes access alone ``medium``
(:func:`kerio_watch.values.verdict.judge`): without harm from there it is the owner's
phone on its carrier while the owner works at its desk."""
DESK_USES = 5
"""Messages from an address inside the trusted networks that make it one of the
account's desks (:func:`several_desks`)."""

AT_DESK_DOC = RuleDoc(
    AT_DESK,
    "Mail to strangers from elsewhere while the owner is at its desk",
    "A message to people the account never wrote to went out from an outside address "
    "it never sent from within 30 minutes of the account's own use of its desk (a login "
    "or a message there before it, a message there after it): an address inside the "
    "trusted networks (the office LAN, the VPN) or its own desk outside them. 10 points "
    "of access that pair with harm (never medium on their own), none for an account "
    "sent from at several desks inside the trusted networks (a role mailbox several "
    "people use, or one person's PC and its laptop on the VPN); either way a trip no "
    "longer explains the people written to.",
    "A trip explains a new place and new people, but a person is not at its desk and "
    "on a trip at once: someone else is sending as the account.",
    "A person on the VPN whose phone sends from the hotel's Wi-Fi at the same time; "
    "a colleague at home using the account while its owner works at the desk. An "
    "account several people send from at their desks (a role mailbox) gets no points.",
    side="access",
)


def desk_in_use(ctx: Context, prof: Profile, ts: int) -> tuple[str, int] | None:
    """The account's desk address and when it was last used (sent or logged in from),
    if that was within :data:`DESK_SECONDS` before ``ts``: an address inside the
    trusted networks, or its own desk outside them (:func:`.places.own_desk`)."""
    best: tuple[str, int] | None = None
    for table in (prof.hosts, prof.login_ips):
        for host, entry in table.items():
            last = entry[2]
            if not ts - DESK_SECONDS <= last <= ts or (best is not None and last <= best[1]):
                continue
            if is_desk(ctx, prof.account, host):
                best = (host, last)
    return best


def is_desk(ctx: Context, account: str, host: str | None) -> bool:
    """Inside the trusted networks, or the account's own desk outside them."""
    return ctx.networks.is_trusted(host) is True or own_desk(ctx, account, host)


def at_desk(
    ctx: Context, item: Submission, samples: Sequence[Sample] | None, hosts: Container[Any]
) -> list[Signal]:
    """The signal :data:`AT_DESK` about this submission, either way round: it
    wrote to people it never wrote to from an outside address it never sent from (the
    latest ``samples``, tallied in ``hosts``) while the desk was in use just before; or
    it is the owner at its desk just after such a message went out from elsewhere."""
    if not samples:
        return []
    account, ts, host = item.account, item.ts, item.host
    prof = ctx.profile(account)
    latest = samples[-1]
    lines: tuple[str, ...]
    mine = latest.ts == ts and latest.host == host and latest.raw == item.event.raw
    if mine and (account, host) in hosts:  # strangers, from an address it never sent from
        desk = desk_in_use(ctx, prof, ts)
        if desk is None:
            return []
        minutes = (ts - desk[1]) // 60
        away, lines = host, (item.event.raw,)
        when = f"{minutes} min after using its desk at {desk[0]}"
    else:
        found = _away_before(ctx, item, samples, hosts)
        if found is None or not is_desk(ctx, account, host):
            return []
        minutes = (ts - found.ts) // 60
        away, lines = found.host, (found.raw, item.event.raw)
        when = f"{minutes} min before using its desk at {host}"
    desks = several_desks(ctx, prof)
    why = (
        f"not a trip; no points, as it sends from {desks} desks (as an account several "
        "people share does)"
        if desks
        else "not a trip (a person is not at its desk and elsewhere at once)"
    )
    summary = (
        f"{account} wrote to people it never wrote to from {ctx.describe_host(away)} {when}: {why}"
    )
    score, side = (0, "context") if desks else (AT_DESK_SCORE, "access")
    return [Signal(AT_DESK, account, ts, score, printable(summary), away, lines, side=side)]


def several_desks(ctx: Context, prof: Profile) -> int:
    """How many addresses inside the trusted networks the account sent from
    :data:`DESK_USES` times or more, when more than one (0 otherwise): an account
    several people use from their desks (a role mailbox), whose desk in use says nothing
    about who writes from elsewhere."""
    desks = sum(
        1
        for host, entry in prof.hosts.items()
        if entry[0] >= DESK_USES and ctx.networks.is_trusted(host) is True
    )
    return desks if desks > 1 else 0


def _away_before(
    ctx: Context, item: Submission, samples: Sequence[Sample], hosts: Container[Any]
) -> Sample | None:
    """The latest message to strangers from an outside address the account never sent
    from within :data:`DESK_SECONDS` before this submission (from another address)."""
    for sample in reversed(samples):
        if sample.ts < item.ts - DESK_SECONDS:
            return None
        if sample.host != item.host and (item.account, sample.host) in hosts:
            return sample
    return None
