"""The delivery queue row: one message for one sink, kept in the state database.

An alert is written to the database with the incident that raised it, and a
:class:`Delivery` per sink is queued *in the same transaction*; sending happens after
the commit. So an alert can be retried after a crash or a restart, and a failing
sink never loses one.

Status life cycle::

    pending -> sending -> sent
       ^          |
       +----------+  (failed attempt: back to pending, due after the backoff)
    pending -> failed           (still failing 24 h after it was queued)
    pending -> held -> summarized   (over the sink's max_per_hour)
    collected -> digested       (digest sinks: gathered for the next digest)

``sending`` is a claim: its ``due`` is when the claim expires. A process that died
mid-send leaves it there; it becomes due again and is retried (at-least-once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
HELD = "held"
SUMMARIZED = "summarized"
COLLECTED = "collected"
DIGESTED = "digested"

ALERT = "alert"
SUMMARY = "summary"
DIGEST = "digest"


@dataclass(slots=True)
class Delivery:
    """One queued message for one sink.

    Times are wall-clock epoch seconds (delivery is about when people get messages,
    unlike detection, which runs on log time).
    """

    sink: str
    kind: str
    """``alert``, ``summary`` (held-back notice) or ``digest``."""
    data: dict[str, Any]
    """``Alert.to_dict()`` for alerts and summaries; ``Digest.to_dict()`` for digests."""
    created: float
    due: float
    status: str = PENDING
    incident_id: int = 0
    alert_id: str = ""
    severity: int = 0
    attempts: int = 0
    last_error: str | None = None
    last_try: float | None = None
    sent_at: float | None = None
    hour: int | None = None
    """The clock hour (epoch // 3600) whose cap held this alert back."""
    merged: int = 0
    """How many later states of the incident replaced this one while it waited."""
    id: int | None = field(default=None)
