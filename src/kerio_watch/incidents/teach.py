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
    "hours": "hours of the day, on any day",
    "user_agents": "user agents",
    "clients": "mail programs",
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


def value_text(fact: str, value: Any) -> str:
    """One taught value as a person reads it (printable): an hour of the day (what
    ``odd_hours`` accepts, on every day of the week) as the hour it spans.

    >>> value_text("hours", 8), value_text("hours", 23), value_text("hosts", "192.0.2.1")
    ('08:00-09:00', '23:00-24:00', '192.0.2.1')
    """
    if fact == "hours" and isinstance(value, int) and 0 <= value < 24:
        return f"{value:02d}:00-{value + 1:02d}:00"
    return printable(str(value))


def values_text(fact: str, values: list[Any]) -> list[str]:
    """:func:`value_text` of each value."""
    return [value_text(fact, v) for v in values]


def label(fact: str) -> str:
    """What a fact's values are, in words."""
    return LABELS.get(fact, fact)


def describe(taught: Lesson, limit: int = 5) -> list[str]:
    """One printable line per fact: ``recipients (112): a@x.test, ... (+107)``."""
    lines = []
    for fact, values in taught.items():
        shown = ", ".join(values_text(fact, values[:limit]))
        more = f" (+{len(values) - limit})" if len(values) > limit else ""
        count = f" ({len(values)})" if len(values) > 1 else ""
        lines.append(f"{label(fact)}{count}: {shown}{more}")
    return lines
