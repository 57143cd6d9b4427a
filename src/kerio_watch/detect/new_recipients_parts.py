"""The options of :mod:`.new_recipients`, and what it remembers of each new recipient."""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from kerio_watch.enrich.network import Networks
from kerio_watch.settings.numbers import factor, period, points, share, threshold

MAX_FACTS = 50
MAX_SAMPLES = 500
"""New recipients remembered per account (evidence and facts of a signal)."""


class Sample(NamedTuple):
    """One new recipient: when, from which address and mail program, in which line."""

    ts: int
    host: str | None
    recipient: str
    domain: str
    fresh_domain: bool
    raw: str
    client: str = ""


@dataclass(frozen=True)
class NewRecipientsOptions:
    """``[detectors.new_recipients]`` options."""

    window_hours: float = period(24.0, "hours")
    min_new: int = threshold(5)
    min_new_host: int = threshold(3)
    min_share: float = share(0.3)
    host_share: float = share(0.6)
    rate_factor: float = factor(3.0)
    min_history: int = threshold(50, low=0)
    min_days: float = period(7.0, "days", positive=False)
    many_new: int = threshold(10)
    score_few: int = points(12)
    strangers_share: float = share(0.9)
    score_strangers: int = points(20)
    score: int = points(25)
    score_share: int = points(10)
    score_domains: int = points(10)
    list_new: int = threshold(40)


def novelty_score(
    options: NewRecipientsOptions, news: tuple[int, int], share: float, scoped: bool
) -> int:
    """A handful of new people (``news``: recipients, domains) is weak, unless addresses
    or a program it never sent with (``scoped``) wrote (almost) only to strangers: the
    owner writes to people it knows; many, a list."""
    new, new_domains = news
    if new < options.many_new:
        only = scoped and share >= options.strangers_share
        return int(options.score_strangers if only else options.score_few)
    score = int(options.score)
    if share >= 0.6:
        score += options.score_share
    if (new_domains >= 3 and new_domains * 2 >= new) or (
        new >= options.list_new and share >= options.strangers_share
    ):
        score += options.score_domains
    return score


Evidence = tuple[list[str], list[str], tuple[str, ...]]
"""New recipients, their new domains, and raw lines (:func:`evidence`)."""
PROGRAM = "program:"
"""Key prefix of a mail program's tally (beside the addresses' tallies in ``hosts``)."""


def evidence(
    networks: Networks,
    remembered: tuple[Iterable[Sample], Container[tuple[str, str]]],
    account: str,
    since: int,
    host: str | None,
) -> Evidence:
    """New recipients, their new domains and lines within the judged window (and from
    the judged address or program; ``remembered``: the account's samples and the
    tallied addresses it never sent from); lines sent from outside the trusted networks
    first."""
    samples, hosts = remembered
    recipients: list[str] = []
    domains: list[str] = []
    outside: dict[str, None] = {}
    inside: dict[str, None] = {}
    program = host[len(PROGRAM) :] if host and host.startswith(PROGRAM) else None
    for sample in samples:
        if sample.ts < since:
            continue
        if program is not None:
            if sample.client != program:
                continue
        elif host is not None and (account, sample.host) not in hosts:
            continue
        if len(recipients) < MAX_FACTS and sample.recipient not in recipients:
            recipients.append(sample.recipient)
        if sample.fresh_domain and sample.domain not in domains and len(domains) < MAX_FACTS:
            domains.append(sample.domain)
        lines = inside if networks.is_trusted(sample.host) else outside
        if len(lines) < 5:
            lines.setdefault(sample.raw, None)
    return recipients, domains, tuple([*outside, *inside][:5])
