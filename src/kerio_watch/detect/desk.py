"""The owner at its desk while mail goes out from elsewhere (:mod:`.new_recipients`).

A trip explains a place the account never used, an odd hour and the people met on it
(:func:`kerio_watch.values.verdict.explained_by_trip`); it does not explain mail to
strangers from an address the account never sent from while its owner works at its
desk: a person is not at the office and in a hotel at once. This is the fact the
verdict asks for before it lets a trip explain the people (a context signal of no
points: it adds nothing else to any incident, and says in the alert why a trip does not
explain it).
"""

from __future__ import annotations

from kerio_watch.detect.base import RuleDoc, Signal
from kerio_watch.detect.context import Context
from kerio_watch.detect.places import own_desk
from kerio_watch.textsafe import printable
from kerio_watch.values.profile import Profile
from kerio_watch.values.verdict import AT_DESK

DESK_SECONDS = 30 * 60
"""How long before a send from elsewhere the desk must have been in use."""

AT_DESK_DOC = RuleDoc(
    AT_DESK,
    "Mail to strangers from elsewhere while the owner is at its desk",
    "A message to people the account never wrote to went out from an outside address "
    "it never sent from within 30 minutes of the account's own use of its desk: an "
    "address inside the trusted networks (the office LAN, the VPN) or its own desk "
    "outside them. No points: it keeps a trip from explaining the people written to.",
    "A trip explains a new place and new people, but a person is not at its desk and "
    "on a trip at once: someone else is sending as the account.",
    "A person on the VPN whose phone sends from the hotel's Wi-Fi at the same time; "
    "a colleague at home using the account while its owner works at the desk.",
    side="context",
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
            if not ctx.networks.is_external(host) or own_desk(ctx, prof.account, host):
                best = (host, last)
    return best


def at_desk(ctx: Context, prof: Profile, ts: int, host: str | None, raw: str) -> list[Signal]:
    """The context signal :data:`AT_DESK` for a message to strangers sent from ``host``
    (outside, never sent from), when the account's desk was in use just before."""
    desk = desk_in_use(ctx, prof, ts)
    if desk is None:
        return []
    minutes = (ts - desk[1]) // 60
    summary = (
        f"{prof.account} wrote to people it never wrote to from "
        f"{ctx.describe_host(host)} {minutes} min after using its desk at {desk[0]}: "
        "not a trip (a person is not at its desk and elsewhere at once)"
    )
    return [Signal(AT_DESK, prof.account, ts, 0, printable(summary), host, (raw,), side="context")]
