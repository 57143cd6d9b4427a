"""odd_hours: mail at hours the account (or the site) is not active."""

from __future__ import annotations

from factories import ALICE, BOB, Recorder, at, feed, office_history, pipeline, recv, severity
from kerio_watch.detect.odd_hours import RULE
from kerio_watch.severity import Severity


def _worker(**kw: object) -> Recorder:
    p = pipeline("odd_hours", **kw)  # type: ignore[arg-type]
    feed(p, office_history(ALICE, days=21))
    return p


class TestOddHours:
    """Hour-of-day and weekday habits."""

    def test_night_mail_is_flagged_with_the_habit(self) -> None:
        """02:13 for an account that sends 08:00-17:00."""
        p = _worker()
        (s,) = feed(p, [recv(at(22, "02:13"))])
        assert s.rule == RULE and s.score == 15
        assert "at 02:13 on a Tuesday" in s.summary
        assert "0 messages of" in s.summary and "01:00-04:00" in s.summary
        assert s.facts == {"hours": [2]}

    def test_working_hours_are_quiet(self) -> None:
        """Mail at the account's usual hours raises nothing."""
        p = _worker()
        assert feed(p, [recv(at(22, "10:30"))]) == []

    def test_weekend_only_corroborates(self) -> None:
        """A usual hour on an unusual day is weak (below low on its own)."""
        p = _worker()
        (s,) = feed(p, [recv(at(26, "11:00"))])  # a Saturday
        assert s.score == 8 and "Saturdays" in s.summary

    def test_judged_once_per_hour(self) -> None:
        """A night burst is one observation per hour, not one per message."""
        p = _worker()
        signals = feed(p, [recv(at(22, "02:00") + 30 * i) for i in range(50)])
        assert len(signals) == 1

    def test_late_worker_stays_low(self) -> None:
        """A handful of replies at 22:00, even outside office hours, never passes low."""
        p = _worker(site={"office_hours": "Mon-Fri 07:00-19:00"})
        signals = feed(p, [recv(at(22, "22:05") + 600 * i) for i in range(5)])
        assert signals and all(s.score < 40 for s in signals)
        assert "outside office hours" in signals[0].summary
        assert severity(p) == Severity.LOW

    def test_office_hours_do_not_override_the_account(self) -> None:
        """An account whose history says it works at 06:30 is not odd at 06:30."""
        p = pipeline("odd_hours", site={"office_hours": "Mon-Fri 07:00-19:00"})
        feed(p, [recv(at(d, "06:30") + 60 * i) for d in range(21) if d % 7 < 5 for i in range(5)])
        assert feed(p, [recv(at(22, "06:40"))]) == []

    def test_new_account_is_judged_against_the_site(self) -> None:
        """Warm-up: mail at an hour the whole site is silent, from an account with no history."""
        p = pipeline("odd_hours")
        feed(p, office_history(BOB, days=21, per_day=40))
        (s,) = feed(p, [recv(at(22, "03:00"), user=ALICE)])
        assert s.score == 10 and "this site sends almost no mail" in s.summary
        assert feed(p, [recv(at(22, "10:00"), user=ALICE)]) == []

    def test_accepted_hour_is_quiet(self) -> None:
        """ack --benign teaches the hour."""
        p = _worker()
        p.ctx.profile(ALICE).accept("hours", [2])
        assert feed(p, [recv(at(22, "02:13"))]) == []
