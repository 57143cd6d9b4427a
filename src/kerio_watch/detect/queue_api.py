"""Queue pile-up, read live from Kerio's Administration API: "its messages pile up in the queue".

When ``[kerio_api]`` is configured, ``follow`` reads the queue every ``poll_seconds``
and hands one ``queue_sender`` event per sender to the pipeline. This detector raises a
signal when one account has many messages waiting, deferred by receiving servers or
spread over many recipient domains. Spam runs fill the queue this way minutes before
their bounces come back; the signal corroborates the account's incident like any
other. ``scan`` reads files only and never sees it.

Unlike the log-based ``queue_backlog`` detector, this one looks at the queue as it is
at the poll (wall-clock time): see docs/kerio-api.md.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from kerio_watch.detect.base import RuleDoc, Signal, untimed
from kerio_watch.detect.context import Context
from kerio_watch.detect.state import SavedState
from kerio_watch.detect.window import Recent, count
from kerio_watch.events import QueueSender
from kerio_watch.settings.numbers import period, points, threshold
from kerio_watch.textsafe import printable

RULE = "kerio.queue.pile_up"


@dataclass(frozen=True)
class QueueApiOptions:
    """``[detectors.queue_api]`` options."""

    min_queued: int = threshold(10)
    min_deferred: int = threshold(5)
    min_domains: int = threshold(5)
    bulk_factor: int = threshold(10)
    repeat_minutes: int = period(60, "minutes")
    score: int = points(30)


class QueueApiDetector(SavedState):
    """Flags accounts whose messages pile up in the live queue (saves only ``recent``)."""

    name: ClassVar[str] = "queue_api"
    wants: ClassVar[frozenset[str]] = frozenset({"queue_sender"})
    rules: ClassVar[tuple[RuleDoc, ...]] = (
        RuleDoc(
            RULE,
            "Messages pile up in the queue (Kerio API)",
            "At a look at Kerio's queue through the Administration API, one account had at "
            "least 10 messages waiting, with at least 5 deferred by receiving servers or "
            "going to at least 5 recipient domains (10 times more for bulk accounts).",
            "A spam run from a hijacked account fills the queue: receiving servers defer "
            "or throttle it long before the bounces reach mail.log.",
            "A mailing to a slow or greylisting domain, a partner's server down; a queue "
            "stuck for every account (a network or DNS fault) shows for the busiest ones.",
            side="use",
        ),
    )
    options_class: ClassVar[type[QueueApiOptions]] = QueueApiOptions

    def __init__(self, ctx: Context, options: QueueApiOptions) -> None:
        self.ctx = ctx
        self.min_queued = options.min_queued
        self.min_deferred = options.min_deferred
        self.min_domains = options.min_domains
        self.bulk_factor = options.bulk_factor
        self.score = options.score
        self.recent = Recent(options.repeat_minutes * 60)

    def observe(self, item: QueueSender) -> Sequence[Signal] | None:
        """Judge one sender's share of the queue."""
        user = self.ctx.config.user(item.account)
        factor = self.bulk_factor if user is not None and user.bulk else 1
        if item.queued < self.min_queued * factor:
            return None
        deferred = item.deferred >= self.min_deferred * factor
        spread = item.domains >= self.min_domains * factor
        if not (deferred or spread):
            return None
        if not self.recent.due(item.account, item.ts, item.queued.bit_length()):
            return None
        age = f"; the oldest has waited {item.oldest_age // 60} minutes" if item.oldest_age else ""
        summary = (
            f"{count(item.queued, 'message')} from {item.account} waiting in Kerio's queue "
            f"({item.deferred:,} deferred, to {count(item.domains, 'domain')}{age})"
        )
        return (
            Signal(
                RULE,
                item.account,
                item.ts,
                self.score,
                printable(summary),
                _public_source(item.ips),
                (printable(item.raw),),
            ),
        )

    @untimed
    def flush(self, now: int) -> Sequence[Signal]:
        """Nothing is time-driven: each poll is judged as it comes."""
        return ()


def _public_source(ips: tuple[str, ...]) -> str | None:
    """The one public address the messages came from, if there is exactly one."""
    public = []
    for ip in ips:
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            continue
        if addr.is_global:
            public.append(ip)
    return public[0] if len(public) == 1 else None
