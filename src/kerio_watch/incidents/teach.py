"""``ack --benign``: what an administrator accepts becomes normal for the account.

Teaching adds the incident's facts to the profile's accepted values. :func:`lesson`
says beforehand exactly what that would add (what is shown for confirmation);
:func:`teach` adds it and returns the same, which the decision history keeps, so that
:func:`unteach` can later remove exactly those values and nothing the account had
accepted before.
"""

from __future__ import annotations

from typing import Any

from kerio_watch.textsafe import printable
from kerio_watch.values.incident import Incident
from kerio_watch.values.profile import Profile

TEACHABLE = (
    "hosts",
    "networks",
    "services",
    "froms",
    "recipients",
    "domains",
    "hours",
    "user_agents",
    "clients",
    "peak",
    "forwards",
)

Lesson = dict[str, list[Any]]
"""fact -> values (only facts with values)."""

LABELS = {
    "hosts": "sending or login addresses",
    "networks": "networks",
    "services": "services",
    "froms": "From addresses",
    "recipients": "recipients",
    "domains": "recipient domains",
    "hours": "hours of the week",
    "user_agents": "user agents",
    "peak": "peak hourly volume",
    "forwards": "forward destinations",
}


def lesson(profile: Profile, incident: Incident) -> Lesson:
    """What teaching this incident would add to the profile (nothing is changed)."""
    out: Lesson = {}
    for fact in TEACHABLE:
        known = profile.accepted.get(fact, [])
        new: list[Any] = []
        for v in incident.facts.get(fact) or ():
            if v not in known and v not in new:
                new.append(v)
        if new:
            out[fact] = new
    return out


def teach(profile: Profile, incident: Incident) -> Lesson:
    """Accept the incident's facts into the profile; returns exactly what was added."""
    added = lesson(profile, incident)
    for fact, values in added.items():
        profile.accept(fact, values)
    return added


def apply(profile: Profile, taught: Lesson) -> None:
    """Accept recorded values (a follower applying a decision made elsewhere)."""
    for fact, values in taught.items():
        profile.accept(fact, list(values))


def unteach(profile: Profile, taught: Lesson) -> Lesson:
    """Remove exactly the values a decision taught; returns what was removed."""
    removed: Lesson = {}
    for fact, values in taught.items():
        known = profile.accepted.get(fact)
        if not known:
            continue
        gone = [v for v in values if v in known]
        if gone:
            profile.accepted[fact] = [v for v in known if v not in gone]
            removed[fact] = gone
            if not profile.accepted[fact]:
                del profile.accepted[fact]
    return removed


def describe(taught: Lesson, limit: int = 5) -> list[str]:
    """One printable line per fact: ``recipients (112): a@x.test, ... (+107)``."""
    lines = []
    for fact, values in taught.items():
        shown = ", ".join(printable(str(v)) for v in values[:limit])
        more = f" (+{len(values) - limit})" if len(values) > limit else ""
        count = f" ({len(values)})" if len(values) > 1 else ""
        lines.append(f"{LABELS.get(fact, fact)}{count}: {shown}{more}")
    return lines
