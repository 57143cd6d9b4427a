"""Odd hours: an account sends at a time of day it is not active.

Each account's hour-of-week histogram (what share of its mail it sends at each hour of
each weekday) is learned. Mail at an hour of the day when the account has sent almost
nothing before is flagged; mail on a weekday it never uses (a weekend, for a Monday to
Friday account) only corroborates. ``[site] office_hours``, when set, adds weight
outside them and judges accounts that have too little history of their own; it never
flags an account whose own history says it works then (the ERP that sends at 06:30).

Weak on purpose: a late worker sending a handful of replies at 22:00 stays ``low``. What
makes the 02:00 spam run serious is the same hour *plus* a new host, new recipients and
the volume, which other rules see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from kerio_watch.detect.base import RuleDoc, Signal, untimed
from kerio_watch.detect.context import Context
from kerio_watch.detect.state import SavedState
from kerio_watch.detect.window import (
    count,
)
from kerio_watch.enrich.messages import Submission
from kerio_watch.settings.numbers import period, points, share, threshold
from kerio_watch.textsafe import printable
from kerio_watch.values.profile import Profile

if TYPE_CHECKING:
    pass

RULE = "kerio.time.odd_hours"
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class OddHoursOptions:
    """``[detectors.odd_hours]`` options."""

    min_days: float = period(14.0, "days", positive=False)
    min_messages: int = threshold(30, low=0)
    rare_share: float = share(0.005)
    site_rare_share: float = share(0.002)
    score: int = points(15)
    score_weekday: int = points(8)
    score_warmup: int = points(10)
    office_bonus: int = points(5)


class OddHoursDetector(SavedState):
    """Flags mail sent at hours this account (or, for a new account, the site) is idle."""

    name: ClassVar[str] = "odd_hours"
    wants: ClassVar[frozenset[str]] = frozenset({"submission"})
    rules: ClassVar[tuple[RuleDoc, ...]] = (
        RuleDoc(
            RULE,
            "Mail at an unusual hour",
            "An account sent mail at an hour of the day when it has sent (almost) none of "
            "its earlier mail, or on a weekday it does not use; outside [site] "
            "office_hours this weighs a little more. Accounts with little history are "
            "compared with the whole site.",
            "Spam runs from stolen accounts often start at night, when nobody watches "
            "the queue; the owner's habits are regular.",
            "Late workers, travellers in other time zones, a deadline weekend. It stays "
            "low on its own; ack --benign teaches the hour.",
            side="access",
        ),
    )
    options_class: ClassVar[type[OddHoursOptions]] = OddHoursOptions

    def __init__(self, ctx: Context, options: OddHoursOptions) -> None:
        self.ctx = ctx
        self.min_days: float = options.min_days
        self.min_messages: int = options.min_messages
        self.rare_share = options.rare_share
        self.site_rare = options.site_rare_share
        self.score = options.score
        self.score_weekday = options.score_weekday
        self.score_warmup = options.score_warmup
        self.office_bonus = options.office_bonus
        self._site_day = 0
        self._site_cache: dict[int, bool] = {}
        self.checked: dict[str, int] = {}
        """account -> the clock hour last judged (each account-hour is judged once)."""

    def observe(self, item: Submission) -> Sequence[Signal] | None:
        """Check one submission (once per account and clock hour)."""
        if not item.new_message:
            return None
        hour = item.ts // 3600
        account = item.account
        if self.checked.get(account) == hour:
            return None
        self.checked[account] = hour
        return self._judge(item)

    def _judge(self, sub: Submission) -> Sequence[Signal] | None:
        ctx = self.ctx
        prof = ctx.profile(sub.account)
        how = ctx.hour_of_week(sub.ts)
        hour = how % 24
        if prof.is_accepted("hours", hour):
            return None
        score, why = self._by_history(prof, how, sub.ts)
        office = ctx.in_office_hours(sub.ts)
        if office is False and score >= 0:
            if score:
                score += self.office_bonus
                why += ", outside office hours"
            elif not self._enough(prof, sub.ts):
                score, why = self.score_warmup, "outside office hours; too little history yet"
        if score <= 0:
            return None
        local = ctx.timebase.localize(sub.ts)
        when = f"{local:%H:%M} on a {DAYS[local.weekday()]}"
        return (
            Signal(
                RULE,
                sub.account,
                sub.ts,
                score,
                printable(f"{sub.account} sent mail at {when}, {why}"),
                sub.host,
                (sub.event.raw,),
                facts={"hours": [hour]},
            ),
        )

    def _enough(self, prof: Profile, ts: int) -> bool:
        return prof.messages >= self.min_messages and prof.days_known(ts) >= self.min_days

    def _by_history(self, prof: Profile, how: int, ts: int) -> tuple[int, str]:
        """(score, why); score -1 means the account's own history says it is active."""
        hour = how % 24
        if not self._enough(prof, ts):
            if self._site_rare(hour, ts):
                return self.score_warmup, "an hour when this site sends almost no mail"
            return 0, ""
        hod = prof.hod
        near = hod[(hour - 1) % 24] + hod[hour] + hod[(hour + 1) % 24]
        if near < self.rare_share * prof.messages:
            span = f"{(hour - 1) % 24:02d}:00-{(hour + 2) % 24:02d}:00"
            return self.score, (
                f"an hour it is not usually active ({count(near, 'message')} of "
                f"{prof.messages:,} between {span})"
            )
        day = how // 24
        day_total = prof.dow[day]
        if day_total < 2 * self.rare_share * prof.messages:
            return self.score_weekday, (
                f"a day it is not usually active ({count(day_total, 'message')} of "
                f"{prof.messages:,} on {DAYS[day]}s)"
            )
        return -1, ""

    def _site_rare(self, hour: int, ts: int) -> bool:
        """Whether the site as a whole sends almost nothing at this hour (cached a day)."""
        day = ts // 86400
        if day != self._site_day:
            self._site_day = day
            self._site_cache.clear()
        rare = self._site_cache.get(hour)
        if rare is None:
            site = self.ctx.site
            rare = site.messages >= 500 and (
                _hour_count(site.how, hour) < self.site_rare * site.messages
            )
            self._site_cache[hour] = rare
        return rare

    @untimed
    def flush(self, now: int) -> Sequence[Signal]:
        """Nothing time-driven."""
        return ()

    # -- persistence (SavedState) -------------------------------------------------------
    def dump_state(self, now: int) -> dict[str, Any]:
        """Which accounts were judged this clock hour, and today's site cache."""
        hour = now // 3600
        return {
            "checked": {a: h for a, h in self.checked.items() if h >= hour},
            "site_day": self._site_day,
            "site": {str(h): rare for h, rare in self._site_cache.items()},
        }

    def restore_state(self, data: dict[str, Any]) -> None:
        """Take back :meth:`dump_state`."""
        for account, hour in data["checked"].items():
            self.checked[str(account)] = int(hour)
        self._site_day = int(data["site_day"])
        for hour, rare in data["site"].items():
            self._site_cache[int(hour)] = bool(rare)

    def reset_state(self) -> None:
        """Forget the judged accounts and the site cache."""
        self.checked.clear()
        self._site_day = 0
        self._site_cache.clear()


def _hour_count(how: list[int], hour: int, spread: int = 1) -> int:
    """Messages within ``spread`` hours of this hour of the day, on any weekday."""
    return sum(
        how[(day * 24 + hour + d) % 168] for day in range(7) for d in range(-spread, spread + 1)
    )
