"""Acknowledging an incident: the one place ``ack`` and the dashboard share.

``benign`` teaches the account's profile the incident's facts (hosts, From addresses,
hours...) so they stop alerting, then marks the incident benign; ``resolved`` only
closes it (the password was changed, the machine cleaned).
"""

from __future__ import annotations

from dataclasses import dataclass

from kerio_watch.detect.profile import Profile
from kerio_watch.errors import UsageError
from kerio_watch.incidents.engine import Incident
from kerio_watch.incidents.teach import teach
from kerio_watch.store.base import Store

DECISIONS = ("benign", "resolved")


@dataclass(frozen=True)
class AckResult:
    """What an acknowledgement did."""

    incident: Incident
    decision: str
    taught: list[str]


def acknowledge(store: Store, incident_id: int, decision: str) -> AckResult:
    """Mark an incident benign (teaching the baseline) or resolved, in one transaction.

    Raises:
        ValueError: ``decision`` is not ``benign`` or ``resolved``.
        UsageError: there is no such incident.
    """
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, got {decision!r}")
    inc = store.incident(incident_id)
    if inc is None:
        raise UsageError(f"no incident {incident_id} in {store.path}")
    taught: list[str] = []
    with store.transaction():
        if decision == "benign" and inc.user:
            profile = store.load_profile(inc.user) or Profile(inc.user)
            taught = teach(profile, inc)
            store.save_profiles([profile])
        inc.status = decision
        store.save_incidents([inc])
        # A running follower holds incidents and profiles in memory: it applies this
        # at its next save instead of overwriting it.
        store.record_ack(incident_id, decision)
    return AckResult(inc, decision, taught)
