"""internal_fanout: mail to many colleagues the account has nothing to do with."""

from __future__ import annotations

from factories import (
    ALICE,
    Recorder,
    at,
    feed,
    login,
    office_history,
    pipeline,
    recv,
    rules,
    severity,
)
from kerio_watch.detect.internal_fanout import RULE
from kerio_watch.events import Event
from kerio_watch.severity import Severity

STAFF = [f"colleague{i}@example.com" for i in range(24)]
OUTSIDE = "203.0.113.7"


def _history(days: int = 14) -> list[Event]:
    """Alice's office mail; every colleague has logged in (they are accounts)."""
    return office_history(ALICE, days=days) + [
        login(at(1, "08:00") + i, user=c, source=f"192.168.1.{20 + i}") for i, c in enumerate(STAFF)
    ]


def _settled(*names: str, **kw: object) -> Recorder:
    p = pipeline(*(names or ("internal_fanout",)), **kw)  # type: ignore[arg-type]
    feed(p, _history())
    return p


def _lure(
    colleagues: list[str], per: int = 7, host: str = "192.168.1.10", start: int | None = None
) -> list[Event]:
    t = at(15, "10:00") if start is None else start
    out: list[Event] = []
    for k in range(0, len(colleagues), per):
        out.append(
            recv(t, to=tuple(colleagues[k : k + per]), host=host, subject="Dokument geteilt")
        )
        t += 240
    return out


class TestInternalFanout:
    """A lure to the staff in a few messages with many recipients."""

    def test_a_lure_to_the_staff(self) -> None:
        """Two messages to six colleagues each: it fires at the one that reaches 10."""
        p = _settled()
        signals = feed(p, _lure(STAFF[:12], per=6, host=OUTSIDE))
        assert rules(signals) == {RULE}
        (s,) = signals
        assert s.ts == at(15, "10:04") and s.score == 25 and s.side == "use"
        assert s.summary == (
            "alice@example.com wrote to 12 colleagues in 4 minutes (2 messages, the last one "
            "'Dokument geteilt'); 12 of them it never wrote to and they never wrote to it"
        )
        assert s.facts == {"colleagues": [12, 12]}
        assert len(s.evidence) == 2

    def test_more_colleagues_score_more(self) -> None:
        """Each doubling above 10 colleagues adds to the score."""
        p = _settled()
        extra = [f"more{i}@example.com" for i in range(12)]
        feed(p, [login(at(2, "08:00") + i, user=c) for i, c in enumerate(extra)])
        scores = [s.score for s in feed(p, _lure(STAFF + extra, per=6))]
        assert scores == [25, 30]

    def test_people_it_works_with_are_quiet(self) -> None:
        """The assistant who mails the staff every week has written to them before."""
        p = pipeline("internal_fanout")
        weekly = [recv(at(d, "09:00"), to=tuple(STAFF[:21])) for d in (3, 10)]
        feed(p, [*_history(), *weekly])
        assert not feed(p, _lure(STAFF[:21]))

    def test_colleagues_who_wrote_to_it_are_not_strangers(self) -> None:
        """Most of them wrote to Alice: they know each other."""
        p = pipeline("internal_fanout")
        notes = [recv(at(5, "11:00") + i, user=c, to=(ALICE,)) for i, c in enumerate(STAFF[:12])]
        feed(p, [*_history(), *notes])
        assert not feed(p, _lure(STAFF[:21]))

    def test_role_addresses_and_own_aliases_are_not_colleagues(self) -> None:
        """Lists, role addresses nobody logs in as, and Alice's own aliases."""
        p = _settled(users={ALICE: {"aliases": ["vertrieb@example.com"]}})
        roles = [f"list{i}@example.com" for i in range(30)] + ["vertrieb@example.com"]
        assert not feed(p, _lure(roles, per=10))

    def test_bulk_and_new_accounts_are_not_judged(self) -> None:
        p = _settled(users={ALICE: {"bulk": True}})
        assert not feed(p, _lure(STAFF[:21]))
        fresh = pipeline("internal_fanout")
        feed(fresh, [login(at(14, "08:00") + i, user=c) for i, c in enumerate(STAFF)])
        feed(fresh, [recv(at(14, "09:00"), to=("carol@partner.test",))])
        assert not feed(fresh, _lure(STAFF[:21]))

    def test_the_window_is_an_hour(self) -> None:
        """Seven colleagues an hour for three hours is not a blast."""
        p = _settled()
        slow = [
            recv(at(15, "09:00") + 3700 * k, to=tuple(STAFF[7 * k : 7 * k + 7])) for k in range(3)
        ]
        assert not feed(p, slow)


class TestVerdict:
    """Alone it is weak; with a stranger's access it is a hijack."""

    def test_from_the_office_it_is_context(self) -> None:
        """The owner at the desk writing to the staff: with a busy hour it stays low."""
        p = _settled("internal_fanout", "new_host", "volume")
        signals = feed(p, _lure(STAFF[:21], per=21))
        assert {s.rule: s.side for s in signals if s.rule == RULE} == {RULE: "context"}
        assert severity(p) < Severity.MEDIUM

    def test_from_a_stranger_it_is_high(self) -> None:
        p = _settled("internal_fanout", "new_host")
        feed(p, _lure(STAFF[:21], host=OUTSIDE))
        assert severity(p) >= Severity.HIGH
