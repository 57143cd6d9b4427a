"""Learning hygiene: what happens during an incident, the site norms, persistence."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from factories import ALICE, at, feed, login, office_history, pipeline, recv
from kerio_watch import events
from kerio_watch.incidents.ack import acknowledge
from kerio_watch.pipeline.detection import LEARNED
from kerio_watch.severity import Severity
from kerio_watch.store.sqlite import SQLiteStore
from kerio_watch.values.signal import Signal


def _raise(p: object, score: int, ts: int) -> None:
    """Put Alice's incident at a score (a stand-in for other detectors' signals): one
    access signal (low at 25, medium at 45), or a decisive one from 70 (high)."""
    side = "decisive" if score >= 70 else "access"
    signal = Signal(f"test.rule{score}", ALICE, ts, score, "test", side=side)
    p.inject([signal])  # type: ignore[attr-defined]


class TestHygiene:
    """Learning is held, released or discarded with the incident's severity."""

    def test_low_incident_learns(self) -> None:
        """Below medium, an address is learned as usual."""
        p = pipeline("from_mismatch")
        feed(p, office_history(ALICE, days=14))
        _raise(p, 25, at(15, "09:00"))
        feed(p, [recv(at(15, "09:01"), host="203.0.113.9")])
        assert "203.0.113.9" in p.ctx.profile(ALICE).hosts

    def test_medium_incident_is_probation(self) -> None:
        """At medium, activity is held; a day later, still below high, it is learned."""
        p = pipeline("from_mismatch")
        feed(p, office_history(ALICE, days=14))
        _raise(p, 45, at(15, "09:00"))
        feed(p, [recv(at(15, "09:01"), host="203.0.113.9")])
        assert "203.0.113.9" not in p.ctx.profile(ALICE).hosts
        feed(p, [recv(at(16, "09:30"))])  # log time moves on past the probation
        p.tick(at(16, "10:00"))
        assert "203.0.113.9" in p.ctx.profile(ALICE).hosts

    def test_medium_learns_what_the_owner_did_at_the_desk(self) -> None:
        """At medium, what the account does from the trusted networks (the owner at the
        desk: the stranger must be where the harm is) is learned at once: the people it
        introduced itself to from the office are not strangers when it answers them
        from home the next morning. What it does from outside is still held."""
        p = pipeline("from_mismatch")
        feed(p, office_history(ALICE, days=14))
        _raise(p, 45, at(15, "09:00"))
        feed(p, [recv(at(15, "09:01"), to=("new.customer@client.test",))])
        feed(p, [recv(at(15, "09:02"), to=("lead@else.test",), host="203.0.113.9")])
        prof = p.ctx.profile(ALICE)
        assert prof.knows_address("new.customer@client.test")
        assert not prof.knows_address("lead@else.test")
        assert "203.0.113.9" not in prof.hosts

    def test_high_incident_forgets_what_it_first_did(self) -> None:
        """At high, what the account first did since the incident opened is unlearned."""
        p = pipeline("from_mismatch")
        feed(p, office_history(ALICE, days=14))
        _raise(p, 25, at(15, "09:00"))
        feed(p, [recv(at(15, "09:01"), host="203.0.113.9")])  # learned at low
        _raise(p, 70, at(15, "09:02"))
        assert Severity(p.engine.severity_of(ALICE)) >= Severity.HIGH
        feed(p, [recv(at(15, "09:03"), host="198.51.100.4")])
        prof = p.ctx.profile(ALICE)
        assert "203.0.113.9" not in prof.hosts and "198.51.100.4" not in prof.hosts
        assert "192.168.1.10" in prof.hosts
        p.tick(at(17, "12:00"))  # a quiet day: a high incident waits for a decision
        assert Severity(p.engine.severity_of(ALICE)) >= Severity.HIGH
        inc = p.engine.open[ALICE]
        assert inc.quiet_since == inc.updated
        p.save()
        acknowledge(p.store, inc.id, "resolved")  # the administrator decides
        p.save()
        p.tick(at(17, "13:00"))
        assert p.engine.severity_of(ALICE) == 0
        assert "198.51.100.4" not in prof.hosts, "held activity of a high incident is dropped"

    def test_high_forgets_only_since_its_evidence_began(self) -> None:
        """An incident kept open for days by weak signals forgets only what was first done
        since the evidence of its verdict began, not the learning of the days before."""
        p = pipeline("from_mismatch")
        feed(p, office_history(ALICE, days=14))
        for day in (15, 16, 17):  # a new home address now and then keeps a low incident open
            _raise(p, 25, at(day, "20:00"))
            feed(p, [recv(at(day, "20:01"), host=f"203.0.113.{day}")])
        _raise(p, 70, at(18, "10:00"))
        feed(p, [recv(at(18, "10:01"))])  # the next thing it does: learning is discarded
        assert p.engine.open[ALICE].opened == at(15, "20:00")
        hosts = p.ctx.profile(ALICE).hosts
        assert "203.0.113.15" in hosts and "203.0.113.16" in hosts
        assert "203.0.113.17" not in hosts  # within the day of the verdict's evidence

    def test_high_forgets_the_strangers_login_before_its_stronger_signal(self) -> None:
        """The intruder's login (a weak signal, learned while the incident was low) is
        replaced in the verdict's window by a stronger signal of its rule from the same
        address minutes later: what was first done from that address since the login is
        forgotten too, not kept as the account's normal (its address, its country)."""
        p = pipeline("from_mismatch")
        feed(p, office_history(ALICE, days=14))
        bad = "203.0.113.9"
        feed(p, [login(at(15, "09:00"), ALICE, bad)])
        weak = Signal("test.place", ALICE, at(15, "09:00"), 15, "login", bad, side="access")
        p.inject([weak])
        assert bad in p.ctx.profile(ALICE).login_ips  # learned at low
        strong = Signal("test.place", ALICE, at(15, "09:20"), 25, "send", bad, side="access")
        harm = Signal("test.harm", ALICE, at(15, "09:21"), 45, "spam", bad, side="use")
        p.inject([strong, harm])
        assert Severity(p.engine.severity_of(ALICE)) >= Severity.HIGH
        assert [s.ts for s in p.engine.open[ALICE].current()] == [at(15, "09:21"), at(15, "09:20")]
        feed(p, [recv(at(15, "09:22"))])  # the next thing it does: learning is discarded
        prof = p.ctx.profile(ALICE)
        assert bad not in prof.login_ips and bad not in prof.hosts
        assert "192.168.1.10" in prof.hosts

    def test_nothing_is_learned_while_a_high_incident_is_undecided(self) -> None:
        """Quiet for days, then active again: what the account does meanwhile is not
        learned (a hijack nobody decided on teaches nothing); the reactivation forgets
        nothing learned before the incident; a decision lets learning resume."""
        p = pipeline("from_mismatch")
        feed(p, office_history(ALICE, days=14))
        _raise(p, 70, at(15, "09:00"))  # high: waits for a decision
        feed(p, [recv(at(15, "09:01"), host="198.51.100.4")])
        feed(p, [recv(at(18, "09:00"), host="203.0.113.50")])  # days later, quiet
        inc = p.engine.open[ALICE]
        assert inc.quiet_since == at(15, "09:00")
        burst = Signal("test.burst", ALICE, at(18, "09:05"), 50, "a burst", side="use")
        p.inject([burst])  # use alone, strong: the last day's evidence is medium
        assert [a.status for a, _ in p.alerts][-1] == "reactivated"
        assert inc.quiet_since is None
        feed(p, [recv(at(18, "09:06"), host="203.0.113.60")])
        hosts = p.ctx.profile(ALICE).hosts
        assert not {"198.51.100.4", "203.0.113.50", "203.0.113.60"} & set(hosts)
        assert "192.168.1.10" in hosts
        p.save()
        acknowledge(p.store, inc.id, "resolved")
        p.save()
        p.tick(at(18, "10:00"))
        feed(p, [recv(at(18, "11:00"), host="192.168.1.10")])
        feed(p, [recv(at(18, "11:05"), host="203.0.113.70")])
        assert "203.0.113.70" in p.ctx.profile(ALICE).hosts


class TestSiteNorms:
    """The warm-up norms persist across runs."""

    def test_site_profile_survives_a_restart(self, tmp_path: Path) -> None:
        """Services, networks and hourly volume of the site are saved with the state."""
        p = pipeline("from_mismatch", store=SQLiteStore(tmp_path / "s.db"))
        feed(p, office_history(ALICE, days=14, host="203.0.113.20"))
        feed(p, [recv(at(15, f"10:0{i}"), msg_id=f"{i}f2a9c1e0b$5d2a@bulk.test") for i in range(3)])
        p.save()
        again = pipeline("from_mismatch", store=SQLiteStore(tmp_path / "s.db"))
        site = again.ctx.site
        assert site.services.get("SMTP", 0) > 0
        assert site.network_accounts("203.0.113.0/24") == [ALICE]
        assert sum(len(h) for h in site.hour_counts) > 0
        assert site.busy_hour(10) >= 1
        assert site.first_ts == p.ctx.site.first_ts  # its first message (one_to_many)
        assert at(0, "08:00") <= site.first_ts < at(0, "17:00")
        # the mail programs the site writes with (new_client), and how many it counted
        assert site.clients == p.ctx.site.clients == {"shape h10$h4": 3}
        assert site.client_messages == 3


def _an_event(cls: type[events.Event], ts: int) -> events.Event:
    """An event of ``cls`` whose every field names Alice (or counts 25)."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        kind = str(f.type)
        if f.name == "ts":
            values[f.name] = ts
        elif kind.startswith("tuple"):
            values[f.name] = (ALICE,)
        elif kind.startswith("int"):
            values[f.name] = 25
        elif kind.startswith("bool"):
            values[f.name] = True
        else:
            values[f.name] = ALICE
    return cls(**values)


def test_the_learner_takes_nothing_from_other_events() -> None:
    """The detection stage hands the learner only events of the classes of ``LEARNED``
    (``Detection.observe``): from any other event it would learn nothing."""
    p = pipeline()
    feed(p, office_history(ALICE, days=3))
    before = json.dumps({a: prof.to_dict() for a, prof in p.ctx.profiles.items()})
    others = [
        cls
        for cls in vars(events).values()
        if isinstance(cls, type) and issubclass(cls, events.Event) and cls is not events.Event
    ]
    assert len(others) > 10
    p.ctx.dirty.clear()
    for cls in others:
        if cls not in LEARNED:
            p.learner.event(_an_event(cls, at(4)))
    assert not p.ctx.dirty
    assert json.dumps({a: prof.to_dict() for a, prof in p.ctx.profiles.items()}) == before
    p.learner.event(_an_event(events.LoginSucceeded, at(4)))  # a learned one does count
    assert p.ctx.dirty == {ALICE}
