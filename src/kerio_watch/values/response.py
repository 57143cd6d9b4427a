"""What the report and the dashboard show about Kerio's Administration API (built by
:mod:`kerio_watch.respond.views`, shown by :mod:`kerio_watch.report`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class ResponseAction:
    """One containment action of the period (``when``: its wall-clock time)."""

    incident: int
    account: str | None
    when: int
    what: str


@dataclass
class ResponseSection:
    """Kerio's Administration API: the queue at the last poll and the containment journal."""

    state: str
    error: str | None
    queue_total: int | None
    queue_deferred: int | None
    polled: int | None
    senders: list[dict[str, Any]]
    actions: list[ResponseAction]
