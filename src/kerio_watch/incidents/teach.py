"""``ack --benign``: what an administrator accepts becomes normal for the account."""

from __future__ import annotations

from kerio_watch.detect.profile import Profile
from kerio_watch.incidents.engine import Incident

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
)


def teach(profile: Profile, incident: Incident) -> list[str]:
    """Accept the incident's facts into the profile; returns what was taught."""
    taught = []
    for fact in TEACHABLE:
        values = incident.facts.get(fact)
        if values:
            profile.accept(fact, list(values))
            taught.append(
                f"{fact}: {', '.join(str(v) for v in values[:5])}"
                + (f" (+{len(values) - 5})" if len(values) > 5 else "")
            )
    return taught
