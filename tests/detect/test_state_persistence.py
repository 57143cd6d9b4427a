"""Detection state survives a restart: windows, trackers and sessions are saved with the
rest of the state, so a run that resumes judges exactly as one run over the same events."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from click.testing import Result

from factories import (
    ALICE,
    BOB,
    Recorder,
    at,
    failed,
    feed,
    inbound,
    login,
    office_history,
    pipeline,
    recv,
    sent,
)
from kerio_watch.detect.auth_rules import RULE_ACCOUNT, RULE_GUESSED, RULE_MANY_IPS, RULE_SENT
from kerio_watch.detect.bounces import RULE as BOUNCES
from kerio_watch.detect.internal_fanout import RULE as INTERNAL_FANOUT
from kerio_watch.detect.new_host import RULE as NEW_HOST
from kerio_watch.detect.new_recipients import RULE as NEW_RECIPIENTS
from kerio_watch.detect.odd_hours import RULE as ODD_HOURS
from kerio_watch.detect.one_to_many import RULE as ONE_TO_MANY
from kerio_watch.detect.queue_backlog import RULE as BACKLOG
from kerio_watch.detect.unusual_service import RULE_SERVICE
from kerio_watch.detect.volume import RULE as VOLUME
from kerio_watch.enrich.messages import SessionTracker
from kerio_watch.events import Event, MessageReceived
from kerio_watch.store.sqlite import SQLiteStore
from kerio_watch.values.signal import Signal
from logtools import recv_line

Key = tuple[str, str | None, int, int, str]


def keys(signals: Sequence[Signal]) -> list[Key]:
    """What a signal says, for comparing runs."""
    return [(s.rule, s.key, s.ts, s.score, s.summary) for s in signals]


def split_run(
    tmp_path: Path, names: Sequence[str], events: list[Event], split: int, **kw: Any
) -> tuple[list[Key], list[Key], list[Key], Recorder]:
    """(signals of one run over everything, of a run stopped at ``split`` and resumed on
    the same database, of a run over the rest on an empty database) and the resumed
    pipeline."""
    events = sorted(events, key=lambda e: e.ts)
    before = [e for e in events if e.ts < split]
    after = [e for e in events if e.ts >= split]
    whole = pipeline(*names, **kw)
    feed(whole, events)
    store = SQLiteStore(tmp_path / "state.db")
    first = pipeline(*names, store=store, **kw)
    feed(first, before)
    first.save(final=False)  # a follow checkpoint, then kill -9
    second = pipeline(*names, store=store, **kw)
    feed(second, after)
    # the same history, but nothing of the windows: what a restart did before
    cold_store = SQLiteStore(tmp_path / "cold.db")
    warm = pipeline(*names, store=cold_store, **kw)
    feed(warm, before)
    with cold_store.transaction():
        cold_store.save_profiles(warm.ctx.profiles.values())
    cold = pipeline(*names, store=cold_store, **kw)
    feed(cold, after)
    return (
        keys(whole.signals),
        keys(first.signals + second.signals),
        keys(warm.signals + cold.signals),
        second,
    )


def without_state(
    tmp_path: Path, names: Sequence[str], events: list[Event], split: int, drop: Sequence[str]
) -> list[Key]:
    """Signals of a run stopped at ``split`` and resumed on its database after the saved
    state of ``drop`` (detector_state names) was deleted: what resuming was before."""
    events = sorted(events, key=lambda e: e.ts)
    store = SQLiteStore(tmp_path / "dropped.db")
    first = pipeline(*names, store=store)
    feed(first, [e for e in events if e.ts < split])
    first.save(final=False)
    with store.transaction():
        for name in drop:
            assert store.load_detector_state(name) is not None
            store.db.execute("DELETE FROM detector_state WHERE name = ?", (name,))
    second = pipeline(*names, store=store)
    feed(second, [e for e in events if e.ts >= split])
    return keys(first.signals + second.signals)


def of(rule: str, signals: list[Key]) -> list[Key]:
    return [s for s in signals if s[0] == rule]


class TestDetectors:
    """A burst split by a restart fires at the same message with the same counts."""

    def test_volume(self, tmp_path: Path) -> None:
        burst = [recv(at(22, "10:00") + 10 * i, to=(f"x{i}@list.test",)) for i in range(60)]
        events = office_history(ALICE, days=21) + burst
        whole, resumed, cold, _ = split_run(tmp_path, ["volume"], events, burst[25].ts)
        assert of(VOLUME, whole)
        assert resumed == whole
        assert cold != whole

    def test_new_recipients(self, tmp_path: Path) -> None:
        burst = [recv(at(22, "10:00") + 300 * i, to=(f"s{i}@stranger{i}.test",)) for i in range(8)]
        events = office_history(ALICE, days=21) + burst
        whole, resumed, cold, _ = split_run(tmp_path, ["new_recipients"], events, burst[3].ts)
        assert of(NEW_RECIPIENTS, whole)
        assert resumed == whole
        assert cold != whole

    def test_new_recipients_of_a_new_program(self, tmp_path: Path) -> None:
        """A program's tally and its strangers survive a restart (the third stranger in
        mail of a program the account never wrote with, after it)."""
        outlook = "000001d9a1b2$3c4d5e60$b5e81b20$@example.com"
        history = [
            replace(e, msg_id=f"{e.ts:012x}{outlook[12:]}") if isinstance(e, MessageReceived) else e
            for e in office_history(ALICE, days=21)
        ]
        spam = [
            recv(at(22, "01:00") + 600 * i, to=(f"s{i}@stranger{i}.test",), msg_id=f"{i:022x}@x")
            for i in range(3)
        ]
        events = history + spam
        whole, resumed, _, _ = split_run(tmp_path, ["new_recipients"], events, spam[2].ts)
        assert [s[2] for s in of(NEW_RECIPIENTS, whole)] == [spam[2].ts]
        assert resumed == whole

    def test_one_to_many(self, tmp_path: Path) -> None:
        lure = [
            recv(at(22, "10:00") + 60 * i, to=(f"contact{i}@partner{i % 5}.test",), subject="Doc")
            for i in range(14)
        ]
        events = office_history(ALICE, days=21) + lure
        whole, resumed, cold, _ = split_run(tmp_path, ["one_to_many"], events, lure[5].ts)
        assert of(ONE_TO_MANY, whole)
        assert resumed == whole
        assert cold != whole

    def test_internal_fanout(self, tmp_path: Path) -> None:
        staff = [f"c{i}@example.com" for i in range(21)]
        logins = [login(at(1, "08:00") + i, user=c) for i, c in enumerate(staff)]
        lure = [
            recv(at(22, "10:00") + 240 * k, to=tuple(staff[7 * k : 7 * k + 7])) for k in range(3)
        ]
        events = office_history(ALICE, days=21) + logins + lure
        whole, resumed, cold, _ = split_run(tmp_path, ["internal_fanout"], events, lure[1].ts)
        assert of(INTERNAL_FANOUT, whole)
        assert resumed == whole
        assert cold != whole

    def test_bounces(self, tmp_path: Path) -> None:
        events: list[Event] = office_history(ALICE, days=21)
        start = at(22, "10:00")
        for i in range(30):
            msg = recv(start + 20 * i, to=(f"dead{i}@list.test",))
            events += [
                msg,
                sent(start + 20 * i + 5, msg.queue_id, msg.recipients[0], "failed", "5.1.1"),
            ]
        whole, resumed, cold, _ = split_run(tmp_path, ["bounces"], events, start + 20 * 15)
        assert of(BOUNCES, whole)
        assert resumed == whole
        assert cold != whole

    def test_queue_backlog(self, tmp_path: Path) -> None:
        events: list[Event] = office_history(ALICE, days=21)
        start = at(22, "02:00")
        for i in range(30):
            rcpts = (f"a{i}@list.test", f"b{i}@list.test")
            msg = recv(start + 10 * i, to=rcpts)
            events += [
                msg,
                *(sent(start + 10 * i + 5, msg.queue_id, r, "delayed", "4.4.1") for r in rcpts),
            ]
        # later lines move the clock on
        events += [recv(start + 600 + 60 * k, user=BOB) for k in range(60)]
        whole, resumed, cold, _ = split_run(tmp_path, ["queue_backlog"], events, start + 900)
        assert of(BACKLOG, whole)
        assert resumed == whole
        assert cold != whole


class TestPerAccountState:
    """Failures, logins and what fired, per account, in auth, unusual_service, odd_hours."""

    def test_auth(self, tmp_path: Path) -> None:
        start = at(22, "10:00")
        # failed logins for Alice from twelve addresses (one each: no IP rule applies)
        events: list[Event] = [failed(start + 60 * i, f"198.51.100.{i + 1}") for i in range(12)]
        # Bob, at the office the day before, then from six outside networks within a day
        events.insert(0, login(at(21, "09:00"), BOB))
        events += [login(start + 120 * i, BOB, f"203.0.{i + 1}.9") for i in range(6)]
        # a guessed login for carol, then mail from another outside address (only the
        # remembered login links it to the guessing) and the same login again
        carol = "carol@example.com"
        bot = "192.0.2.66"
        events += [failed(start + 5 * i, bot, carol) for i in range(6)]
        events.append(login(start + 300, carol, bot))
        events.append(recv(start + 1800, user=carol, host="203.0.113.50"))
        events.append(login(start + 1900, carol, bot))
        split = start + 330
        whole, resumed, _, _ = split_run(tmp_path, ["auth"], events, split)
        assert of(RULE_ACCOUNT, whole) and of(RULE_MANY_IPS, whole) and of(RULE_SENT, whole)
        assert len(of(RULE_GUESSED, whole)) == 1
        assert resumed == whole
        dropped = without_state(tmp_path, ["auth"], events, split, ["auth"])
        assert not of(RULE_ACCOUNT, dropped)
        assert not of(RULE_MANY_IPS, dropped)
        assert not of(RULE_SENT, dropped)
        assert len(of(RULE_GUESSED, dropped)) == 2

    def test_unusual_service(self, tmp_path: Path) -> None:
        webmail = "Kerio Connect Client"
        events = office_history(ALICE, days=14)
        events += [
            recv(at(15, "10:00") + 3600 * i, host="0.0.0.0", service=webmail) for i in (0, 1)
        ]
        split = at(15, "10:30")
        whole, resumed, _, _ = split_run(tmp_path, ["unusual_service"], events, split)
        assert len(of(RULE_SERVICE, whole)) == 1
        assert resumed == whole
        dropped = without_state(tmp_path, ["unusual_service"], events, split, ["unusual_service"])
        assert len(of(RULE_SERVICE, dropped)) == 2

    def test_odd_hours(self, tmp_path: Path) -> None:
        events = office_history(ALICE, days=21, per_day=20) + [
            recv(at(22, "02:00") + 60 * i) for i in range(20)
        ]
        split = at(22, "02:01")
        whole, resumed, _, _ = split_run(tmp_path, ["odd_hours"], events, split)
        assert len(of(ODD_HOURS, whole)) == 1
        assert resumed == whole
        dropped = without_state(tmp_path, ["odd_hours"], events, split, ["odd_hours"])
        assert len(of(ODD_HOURS, dropped)) == 2


def _raise(p: Recorder, score: int, ts: int) -> None:
    """Put Alice's incident at a score (a stand-in for other detectors' signals)."""
    p.inject([Signal(f"test.rule{score}", ALICE, ts, score, "test")])


class TestLearner:
    """Held activity, this hour's counts, today's login addresses and pending delivery
    results are learned after a restart as they would have been without it."""

    def _run(self, tmp_path: Path, name: str, stop: bool, drop: bool = False) -> dict[str, Any]:
        start = at(15, "09:00")
        before: list[Event] = office_history(ALICE, days=14)
        before += [login(start + 60, ALICE, "203.0.113.9", "IMAP")]
        msgs = [
            recv(start + 120 + 60 * i, host="203.0.113.9", to=(f"n{i}@new.test",)) for i in range(3)
        ]
        before += msgs + [sent(m.ts + 5, m.queue_id, m.recipients[0]) for m in msgs]
        before += [login(start + 600 + 60 * i, ALICE, f"198.51.100.{i + 1}") for i in range(3)]
        after: list[Event] = [
            login(start + 1500 + 60 * i, ALICE, f"198.51.100.{i + 10}") for i in range(3)
        ]
        after += [recv(start + 1800, host="203.0.113.9")]
        after += [recv(at(16, "09:30") + 60 * i) for i in range(3)]
        store = SQLiteStore(tmp_path / f"{name}.db")
        p = pipeline("from_mismatch", store=store)
        feed(p, before)
        _raise(p, 45, start)  # medium: learning is held
        feed(p, [recv(start + 1200, host="203.0.113.9")])
        if stop:
            p.save(final=False)
            if drop:
                with store.transaction():
                    store.db.execute("DELETE FROM detector_state WHERE name = 'learner'")
            p = pipeline("from_mismatch", store=store)
        feed(p, after)
        p.tick(at(17, "10:00"))  # past the probation, the day and the delivery delay
        prof = p.ctx.profile(ALICE).to_dict()
        assert "203.0.113.9" in prof["hosts"] or drop
        return prof

    def test_resume(self, tmp_path: Path) -> None:
        whole = self._run(tmp_path, "whole", stop=False)
        assert self._run(tmp_path, "resumed", stop=True) == whole
        assert self._run(tmp_path, "dropped", stop=True, drop=True) != whole

    def test_unreadable_state_is_ignored(self, tmp_path: Path) -> None:
        store = SQLiteStore(tmp_path / "state.db")
        with store.transaction():
            store.save_detector_state(
                "learner",
                {"v": 1, "now": 5, "hour": 0, "day": 0, "current": {}, "holds": {"a": [1]}},
            )
        p = pipeline("auth", store=store)
        assert not p.learner.holds and not p.learner.current


class TestTrackers:
    """The pipeline's Queue-ID tracker and webmail sessions."""

    def test_message_tracker_round_trip(self, tmp_path: Path) -> None:
        store = SQLiteStore(tmp_path / "state.db")
        p = pipeline("bounces", store=store)
        old = recv(at(1, "06:00"), to=("old@partner.test",))
        msgs = [
            recv(at(1, "09:00") + i, to=(f"r{i}@partner.test", "bob@example.com")) for i in range(5)
        ]
        feed(p, [old, *msgs, sent(at(1, "09:01"), msgs[0].queue_id, "r0@partner.test")])
        p.save(final=False)
        q = pipeline("bounces", store=store)
        tracked = q.ctx.messages.messages
        assert list(tracked) == [m.queue_id for m in msgs]  # the 3-hour-old one is not kept
        assert tracked == {k: v for k, v in p.ctx.messages.messages.items() if k in tracked}
        assert tracked[msgs[0].queue_id].final == {"r0@partner.test"}
        # Sent lines of a restored message are not skipped by the pre-filter.
        line = f"[02/Mar/2026 09:02:00] Sent: Queue-ID: {msgs[1].queue_id}, Recipient: <r1@x>"
        assert q.skip_line(line, at(1, "09:02")) is None

    def test_message_tracker_is_bounded(self) -> None:
        p = pipeline("bounces")
        feed(p, [recv(at(1, "09:00") + i // 10) for i in range(300)])
        saved = p.ctx.messages.dump(at(1, "09:01"), limit=100)
        assert len(saved) == 100
        assert [r[0] for r in saved] == list(p.ctx.messages.messages)[-100:]

    def test_webmail_session(self, tmp_path: Path) -> None:
        events: list[Event] = office_history(ALICE, days=21)
        events.append(login(at(22, "10:00"), source="203.0.113.7", protocol="HTTP/WebMail"))
        events.append(inbound(at(22, "10:30"), "someone@partner.test"))
        events.append(recv(at(22, "11:00"), host="0.0.0.0", service="HTTP"))
        whole, resumed, cold, second = split_run(tmp_path, ["new_host"], events, at(22, "10:30"))
        assert second.ctx.sessions.ip_for(ALICE, at(22, "11:00")) == "203.0.113.7"
        assert of(NEW_HOST, whole)
        assert resumed == whole
        assert cold != whole

    def test_a_webmail_send_is_the_webmail_sessions_not_the_outlook_connectors(
        self, tmp_path: Path
    ) -> None:
        """An intruder's webmail session from outside and the owner's Outlook connector
        (HTTP/KOFF) at the desk are live at once: the owner's later login does not take
        over the intruder's webmail sends, across a restart too."""
        events: list[Event] = office_history(ALICE, days=21)
        events.append(login(at(22, "10:00"), source="203.0.113.7", protocol="HTTP/WebMail"))
        events.append(login(at(22, "10:05"), source="192.168.1.10", protocol="HTTP/KOFF"))
        events.append(inbound(at(22, "10:30"), "someone@partner.test"))
        events.append(recv(at(22, "11:00"), host="0.0.0.0", service="Kerio Connect Client"))
        whole, resumed, _, second = split_run(tmp_path, ["new_host"], events, at(22, "10:30"))
        assert second.ctx.sessions.ip_for(ALICE, at(22, "11:00")) == "203.0.113.7"
        assert of(NEW_HOST, whole) and resumed == whole
        tracker = SessionTracker()  # without a webmail session, the connector's (as before)
        tracker.login(login(at(22, "10:05"), source="192.168.1.10", protocol="HTTP/KOFF"))
        assert tracker.ip_for(ALICE, at(22, "11:00")) == "192.168.1.10"
        old = SessionTracker()  # a saved state of four columns is any HTTP session
        old.restore([[ALICE, "198.51.100.9", at(22, "10:00"), None]])
        assert old.ip_for(ALICE, at(22, "11:00")) == "198.51.100.9"

    def test_unreadable_state_is_ignored(self, tmp_path: Path) -> None:
        store = SQLiteStore(tmp_path / "state.db")
        with store.transaction():
            store.save_detector_state("volume", {"v": 1, "now": 5, "accounts": {"a": {"w": 3}}})
            store.save_detector_state("messages", {"v": 1, "now": 5, "messages": [[1]]})
        p = pipeline("volume", store=store)
        assert p.detectors[0].accounts == {}  # type: ignore[attr-defined]
        assert not p.ctx.messages.messages


T0 = dt.datetime(2026, 3, 10, 10, 0, 0)  # local time, site at UTC+1


def alerts_of(result: Result) -> list[tuple[object, ...]]:
    return [
        (a["user"], a["rule"], a["severity"])
        for a in (json.loads(x) for x in result.stdout.splitlines() if x.startswith("{"))
    ]


def test_scan_twice_equals_scan_once(
    tmp_path: Path, write_log: Callable[..., Path], cli: Callable[..., Result]
) -> None:
    """Two scans over consecutive chunks of a log find what one scan over it finds."""
    lines = []
    for i in range(40):
        local = T0 + dt.timedelta(minutes=i)
        user = "alice@example.com"
        lines.append(
            recv_line(local, 1, 2 * i + 1, sender=user, to=f"c{i % 3}@partner.test", user=user)
        )
    # Bob writes to eight strangers, four in each chunk: neither half alone is a burst.
    for i in range(8):
        local = T0 + dt.timedelta(hours=2, minutes=5 * i)
        user = "bob@example.com"
        lines.append(
            recv_line(local, 1, 1000 + i, sender=user, to=f"who{i}@stranger{i}.test", user=user)
        )
    whole = write_log("mail.log", lines, "whole")
    one = write_log("mail.log", lines[:44], "one")
    two = write_log("mail.log", lines[44:], "two")
    single = alerts_of(cli("scan", "--format", "jsonl", "--db", str(tmp_path / "a.db"), str(whole)))
    db = str(tmp_path / "b.db")
    split = alerts_of(cli("scan", "--format", "jsonl", "--db", db, str(one)))
    split += alerts_of(cli("scan", "--format", "jsonl", "--db", db, str(two)))
    assert single
    assert sorted(split) == sorted(single)
