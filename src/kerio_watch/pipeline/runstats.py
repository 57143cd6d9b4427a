"""What one run of the pipeline processed (:class:`RunStats`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class RunStats:
    """What one run processed."""

    records: int = 0
    events: Counter[str] = field(default_factory=Counter)
    unparsed: int = 0
    already_seen: int = 0
    skipped: int = 0
    """Lines counted but not parsed because no detector needs them."""
    alerts: int = 0
    reported: int = 0
    implausible: int = 0
    """Lines whose time was implausible (:mod:`kerio_watch.pipeline.timeguard`): not processed."""
    held: int = 0
    """Lines still waiting for the next lines to confirm their time (at the last save)."""
    first_ts: int | None = None
    last_ts: int | None = None
