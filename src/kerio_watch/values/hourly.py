"""Hourly volume per hour-of-week bucket: the per-account norm of the volume rule.

Volume is kept per hour-of-week and per week (the last :data:`WEEKS` weeks), so the norm
for "Monday 02:00" is the median of what this account sent on recent Mondays at 02:00,
zeros included, with the median absolute deviation as its spread.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

WEEKS = 8
"""Weeks of hourly volume history kept per hour-of-week bucket."""


@dataclass(slots=True)
class HourlyVolume:
    """Messages and recipients per hour-of-week bucket, per week."""

    messages: dict[int, dict[int, int]] = field(default_factory=dict)
    recipients: dict[int, dict[int, int]] = field(default_factory=dict)

    def add(self, how: int, week: int, messages: int, recipients: int) -> None:
        """Record one finished hour."""
        weeks = self.messages.get(how)
        if weeks is None:
            weeks = self.messages[how] = {}
        weeks[week] = weeks.get(week, 0) + messages
        if len(weeks) > WEEKS:
            del weeks[min(weeks)]
        weeks = self.recipients.get(how)
        if weeks is None:
            weeks = self.recipients[how] = {}
        weeks[week] = weeks.get(week, 0) + recipients
        if len(weeks) > WEEKS:
            del weeks[min(weeks)]

    def norm(self, how: int, weeks_known: int, recipients: bool = False) -> tuple[float, float]:
        """(median, MAD) of the hour's count over the known weeks, zeros included."""
        table = self.recipients if recipients else self.messages
        counts = list(table.get(how, {}).values())
        span = max(min(weeks_known, WEEKS), len(counts))
        counts.extend([0] * (span - len(counts)))
        if not counts:
            return 0.0, 0.0
        med = statistics.median(counts)
        mad = statistics.median(abs(c - med) for c in counts)
        return float(med), float(mad)

    def peak(self, recipients: bool = False) -> int:
        """The largest hourly count ever recorded."""
        table = self.recipients if recipients else self.messages
        return max((c for weeks in table.values() for c in weeks.values()), default=0)

    def peak_at_hour(self, hour: int, recipients: bool = False, spread: int = 1) -> int:
        """The largest count recorded within ``spread`` hours of this hour of the day,
        on any day of the week (a daily schedule: invoices every morning at 06:30)."""
        table = self.recipients if recipients else self.messages
        best = 0
        for day in range(7):
            for d in range(-spread, spread + 1):
                for c in table.get((day * 24 + hour + d) % 168, {}).values():
                    best = max(best, c)
        return best

    def peak_around(self, how: int, recipients: bool = False, spread: int = 1) -> int:
        """The largest count recorded within ``spread`` hours of this hour-of-week."""
        table = self.recipients if recipients else self.messages
        best = 0
        for h in range(how - spread, how + spread + 1):
            for c in table.get(h % 168, {}).values():
                best = max(best, c)
        return best
