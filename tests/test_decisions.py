"""Decisions that can be reviewed and undone (issue 12, finding 2).

On today's main "Benign" taught a critical hijack as normal with one click, without
saying what, and neither the dashboard nor the command line could undo it. Now
``--benign`` shows what it will teach and asks, is refused on a critical incident
without ``--override-critical``, every decision is kept with when, who, why and notes,
and ``--undo`` removes exactly what was learned and reopens the incident.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from factories import ALICE, at, feed, office_history, pipeline, recv
from kerio_watch.cli import main
from kerio_watch.exitcodes import ExitStatus
from kerio_watch.severity import Severity
from kerio_watch.store import open_store
from kerio_watch.store.sqlite import SQLiteStore
from kerio_watch.values.incident import Incident
from kerio_watch.values.signal import Signal
from sitelogs import Site

BOB = "bob@example.com"  # bob from home: access alone, a medium incident closed since
ALICE_SITE = "alice@example.com"  # the site's critical hijack


def run(*args: str, input: str | None = None) -> Result:
    """The CLI in-process."""
    return CliRunner().invoke(main, list(args), input=input)


def incident_of(db: Path, key: str) -> Incident:
    """The newest incident about ``key``."""
    store = open_store(db, readonly=True)
    try:
        return store.incidents(key=key)[0]
    finally:
        store.close()


def accepted(db: Path, account: str) -> dict[str, list[object]]:
    """What the account's profile accepted."""
    store = open_store(db, readonly=True)
    try:
        prof = store.load_profile(account)
    finally:
        store.close()
    assert prof is not None
    return prof.accepted


def profile_json(db: Path, account: str) -> str:
    """The whole stored profile."""
    store = open_store(db, readonly=True)
    try:
        prof = store.load_profile(account)
    finally:
        store.close()
    assert prof is not None
    return json.dumps(prof.to_dict(), sort_keys=True)


class TestBenignAsks:
    def test_it_shows_what_it_will_teach_and_a_no_changes_nothing(self, site: Site) -> None:
        """The lesson is listed (every fact with its values); "n" leaves all as it was."""
        inc = incident_of(site.db, BOB)
        before = profile_json(site.db, BOB)
        result = run("ack", str(inc.id), "--benign", "--db", str(site.db), input="n\n")
        assert result.exit_code == 0, result.output
        assert "teaches kerio-watch that these are normal for bob@example.com" in result.stdout
        assert "198.51.100.20" in result.stdout  # bob's home address
        assert "Teach these and mark the incident benign? [y/N]" in result.stdout
        assert "Nothing changed." in result.stdout
        assert incident_of(site.db, BOB).status == inc.status  # unchanged
        assert profile_json(site.db, BOB) == before

    def test_an_outside_address_s_incident_says_what_benign_does(self, site: Site) -> None:
        """An address's incident teaches no account: the prompt says so and names the
        setting that stops it for good (it said "what it found is already accepted",
        which was not true: nothing of it was)."""
        inc = incident_of(site.db, "ip:198.51.100.77")
        result = run("ack", str(inc.id), "--benign", "--db", str(site.db), input="n\n")
        assert result.exit_code == 0, result.output
        assert "already accepted" not in result.stdout
        assert "teaches no account anything" in result.stdout
        assert "[site] trusted_networks" in result.stdout

    def test_hours_are_shown_as_the_hours_of_the_day_they_are(self, site: Site) -> None:
        """``hours of the week (3): 8, 12, 17`` were hours of the day (odd_hours accepts
        an hour on every day), shown as bare numbers under a wrong name."""
        store = open_store(site.db)
        try:
            inc = store.incidents(key=BOB)[0]
            inc.facts["hours"] = [8, 12, 23]
            store.save_incidents([inc])
        finally:
            store.close()
        result = run("ack", str(inc.id), "--benign", "--db", str(site.db), input="n\n")
        assert result.exit_code == 0, result.output
        assert "hours of the day, on any day (3): 08:00-09:00, 12:00-13:00, 23:00-24:00" in (
            result.stdout
        )
        assert "week" not in result.stdout

    def test_yes_teaches_and_records_the_decision(self, site: Site) -> None:
        """Answered "y": taught, marked benign, kept with when, who, why and notes."""
        inc = incident_of(site.db, BOB)
        result = run(
            "ack", str(inc.id), "--benign", "--db", str(site.db),
            "--why", "bob worked from home", "--note", "called him", "--by", "admin",
            input="y\n",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "learned as normal" in result.stdout
        assert f"ack {inc.id} --db {site.db} --undo" in result.stdout
        assert "198.51.100.20" in json.dumps(accepted(site.db, BOB))
        shown = run("incidents", "show", str(inc.id), "--db", str(site.db), "-f", "json")
        data = json.loads(shown.stdout)
        (decision,) = data["decisions"]
        assert decision["decision"] == "benign" and decision["by"] == "admin"
        assert decision["why"] == "bob worked from home" and decision["notes"] == "called him"
        assert "198.51.100.20" in json.dumps(decision["taught"])
        assert decision["at"][:2] == "20" and decision["at"][-6] in "+-"

    def test_no_answer_is_not_a_yes(self, site: Site) -> None:
        """From a script without --yes: refused as wrong usage, nothing changed."""
        inc = incident_of(site.db, BOB)
        result = run("ack", str(inc.id), "--benign", "--db", str(site.db), input="")
        assert result.exit_code == ExitStatus.USAGE
        assert "--yes" in result.stderr
        assert incident_of(site.db, BOB).status == inc.status  # unchanged

    def test_critical_is_refused_without_the_override(self, site: Site) -> None:
        """A critical hijack is not taught as normal by a slip of the keyboard. It is
        refused first: the whole lesson was printed before the refusal (the admin read
        what would be taught, then that it would not be). With the override the lesson
        is shown before the question."""
        inc = incident_of(site.db, ALICE_SITE)
        assert inc.severity == Severity.CRITICAL
        before = profile_json(site.db, ALICE_SITE)
        result = run("ack", str(inc.id), "--benign", "--yes", "--db", str(site.db))
        assert result.exit_code == ExitStatus.USAGE
        assert "--override-critical" in result.stderr
        assert result.stdout == ""  # no lesson before the refusal
        assert profile_json(site.db, ALICE_SITE) == before
        assert incident_of(site.db, ALICE_SITE).status == "open"
        asked = run(
            "ack", str(inc.id), "--benign", "--override-critical", "--db", str(site.db), input="n\n"
        )
        assert asked.exit_code == 0, asked.output
        assert "203.0.113.66" in asked.stdout and "Nothing changed." in asked.stdout
        assert incident_of(site.db, ALICE_SITE).status == "open"
        forced = run(
            "ack", str(inc.id), "--benign", "--yes", "--override-critical", "--db", str(site.db)
        )
        assert forced.exit_code == 0, forced.output
        assert incident_of(site.db, ALICE_SITE).status == "benign"

    @pytest.mark.parametrize(
        "flags",
        [
            ["--benign", "--resolve"],
            ["--resolve", "--undo"],
            [],
            ["--resolve", "--override-critical"],
        ],
    )
    def test_contradictory_flags_are_refused(self, site: Site, flags: list[str]) -> None:
        """``ack 2 --benign --resolve`` was accepted (the last one won)."""
        inc = incident_of(site.db, BOB)
        result = run("ack", str(inc.id), *flags, "--db", str(site.db))
        assert result.exit_code == ExitStatus.USAGE, result.output
        assert incident_of(site.db, BOB).status == inc.status  # unchanged


class TestUndo:
    def test_undo_removes_exactly_what_was_learned_and_reopens(self, site: Site) -> None:
        """The profile is byte for byte what it was before the benign decision."""
        inc = incident_of(site.db, ALICE_SITE)
        before = profile_json(site.db, ALICE_SITE)
        taught = run(
            "ack", str(inc.id), "--benign", "--yes", "--override-critical", "--db", str(site.db)
        )
        assert taught.exit_code == 0, taught.output
        assert profile_json(site.db, ALICE_SITE) != before
        result = run("ack", str(inc.id), "--undo", "--why", "it was a hijack", "--db", str(site.db))
        assert result.exit_code == 0, result.output
        assert "reopened" in result.stdout and "no longer normal" in result.stdout
        assert profile_json(site.db, ALICE_SITE) == before
        assert incident_of(site.db, ALICE_SITE).status == "open"
        shown = run("incidents", "show", str(inc.id), "--db", str(site.db))
        assert "benign" in shown.stdout and "undone by decision" in shown.stdout
        assert "it was a hijack" in shown.stdout

    def test_undo_keeps_what_the_account_had_accepted_before(self, site: Site) -> None:
        """A value accepted by an earlier decision is not removed by undoing a later one."""
        store = open_store(site.db)
        try:
            inc = store.incidents(key=BOB)[0]
            prof = store.load_profile(BOB)
            assert prof is not None
            prof.accept("hosts", ["198.51.100.20"])
            store.save_profiles([prof])
        finally:
            store.close()
        assert run("ack", str(inc.id), "--benign", "--yes", "--db", str(site.db)).exit_code == 0
        assert run("ack", str(inc.id), "--undo", "--db", str(site.db)).exit_code == 0
        assert "198.51.100.20" in accepted(site.db, BOB)["hosts"]

    def test_undo_a_resolve(self, site: Site) -> None:
        """Resolved too early: undo reopens it."""
        inc = incident_of(site.db, BOB)
        assert run("ack", str(inc.id), "--resolve", "--db", str(site.db)).exit_code == 0
        assert run("ack", str(inc.id), "--undo", "--db", str(site.db)).exit_code == 0
        assert incident_of(site.db, BOB).status == "open"

    def test_the_suggested_commands_name_the_database_given(self, site: Site) -> None:
        """``ack ID --db PATH --resolve`` suggested ``ack ID --undo`` (and ``incidents
        show`` its next steps) without the ``--db``: run as printed, it used the default
        database (the walk-through's demo database: "no such database", or another
        incident of that number). Every suggestion keeps the ``--db`` and ``-c`` given."""
        inc = incident_of(site.db, BOB)
        db = str(site.db)
        shown = run("incidents", "show", str(inc.id), "--db", db)
        assert f"ack {inc.id} --db {db} --resolve" in shown.stdout, shown.output
        resolved = run("ack", str(inc.id), "--db", db, "--resolve")
        assert resolved.exit_code == 0, resolved.output
        assert f"ack {inc.id} --db {db} --undo" in resolved.stdout
        refused = run("ack", str(inc.id), "--resolve", "--db", db)
        assert f"ack {inc.id} --db {db} --undo" in refused.stderr
        shown = run("incidents", "show", str(inc.id), "--db", db)
        assert f"ack {inc.id} --db {db} --undo" in shown.stdout
        suggested = resolved.stdout.split("(undo with: ", 1)[1].split(")", 1)[0].split()
        undone = run(*suggested[suggested.index("ack") :])  # after the program's name
        assert undone.exit_code == 0, undone.output
        assert incident_of(site.db, BOB).status == "open"

    def test_a_decided_incident_is_not_decided_again(self, site: Site) -> None:
        """``--resolve`` twice was accepted as a second decision; ``--undo`` then undid it,
        reopening the incident while the history still showed the first resolve in force,
        and the next ``--undo`` found nothing to undo. One decision is in force at a time:
        the second is refused and names the first, and one undo reopens the incident."""
        inc = incident_of(site.db, BOB)
        db = str(site.db)
        before = profile_json(site.db, BOB)
        assert run("ack", str(inc.id), "--resolve", "--db", db).exit_code == 0
        for again in (["--resolve", "--why", "pw changed"], ["--benign", "--yes"]):
            refused = run("ack", str(inc.id), *again, "--db", db)
            assert refused.exit_code == ExitStatus.USAGE, refused.output
            assert f"incident {inc.id} is already resolved (decision " in refused.stderr
            assert f"ack {inc.id} --db {db} --undo" in refused.stderr
            assert "teaches" not in refused.stdout  # refused before the lesson is shown
        assert profile_json(site.db, BOB) == before
        undone = run("ack", str(inc.id), "--undo", "--db", db)
        assert undone.exit_code == 0, undone.output
        assert incident_of(site.db, BOB).status == "open"
        store = open_store(site.db, readonly=True)
        try:
            history = store.decisions(inc.id)
        finally:
            store.close()
        assert [(d.decision, d.active) for d in history] == [("resolved", False), ("undo", False)]
        twice = run("ack", str(inc.id), "--undo", "--db", db)
        assert twice.exit_code == ExitStatus.USAGE and "no decision to undo" in twice.stderr

    def test_undo_returns_to_an_older_decision_still_in_force(self, site: Site) -> None:
        """A history from before the refusal may hold two decisions in force: undoing the
        newer one leaves the incident as the older one decided, not open."""
        from kerio_watch.values.decision import Decision  # noqa: PLC0415

        inc = incident_of(site.db, BOB)
        assert run("ack", str(inc.id), "--resolve", "--db", str(site.db)).exit_code == 0
        store = open_store(site.db)
        try:
            store.add_decision(Decision(inc.id, "resolved", 0.0, "root", "pw changed"))
        finally:
            store.close()
        assert run("ack", str(inc.id), "--undo", "--db", str(site.db)).exit_code == 0
        assert incident_of(site.db, BOB).status == "resolved"
        assert run("ack", str(inc.id), "--undo", "--db", str(site.db)).exit_code == 0
        assert incident_of(site.db, BOB).status == "open"

    def test_nothing_to_undo(self, site: Site) -> None:
        """An open incident has no decision to undo: a usage error."""
        inc = incident_of(site.db, BOB)
        result = run("ack", str(inc.id), "--undo", "--db", str(site.db))
        assert result.exit_code == ExitStatus.USAGE
        assert "no decision to undo" in result.stderr


class TestARunningFollower:
    def test_decisions_reach_the_profiles_and_incidents_in_memory(self, tmp_path: Path) -> None:
        """A follower applies a benign decision and its undo to what it holds in memory,
        so its next checkpoint neither loses the decision nor brings back the lesson."""
        from kerio_watch.incidents.ack import acknowledge, undo  # noqa: PLC0415 (new in issue 12)

        store = SQLiteStore(tmp_path / "s.db")
        p = pipeline("from_mismatch", store=store)
        feed(p, office_history(ALICE, days=14))
        sig = Signal("kerio.x", ALICE, at(15, "09:00"), 70, "x", "203.0.113.9")
        sig.facts["hosts"] = ["203.0.113.9"]
        p.engine.ingest(sig)
        feed(p, [recv(at(15, "09:01"))])
        p.save()
        inc = p.engine.open[ALICE]
        before = json.dumps(p.ctx.profile(ALICE).accepted, sort_keys=True)
        other = SQLiteStore(tmp_path / "s.db")  # the ack command's own connection
        acknowledge(other, inc.id, "benign", by="admin")
        p.save()
        assert ALICE not in p.engine.open
        assert "203.0.113.9" in p.ctx.profile(ALICE).accepted["hosts"]
        undo(other, inc.id)
        p.save()
        assert p.engine.open[ALICE].id == inc.id
        assert json.dumps(p.ctx.profile(ALICE).accepted, sort_keys=True) == before
        stored = other.load_profile(ALICE)
        assert stored is not None and "203.0.113.9" not in stored.accepted.get("hosts", [])
        other.close()
