"""cover_up: sent items purged, bounces hidden, mass deletion (operations.log)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from factories import (
    ALICE,
    at,
    feed,
    inbound,
    login,
    office_history,
    pipeline,
    recv,
    rules,
    severity,
)
from kerio_watch.detect.cover_replies import RULE_REPLIES, answered
from kerio_watch.detect.cover_replies import forget_ids as _forget
from kerio_watch.detect.cover_up import (
    RULE_BOUNCES,
    RULE_HIDDEN,
    RULE_MASS,
    RULE_SENT,
)
from kerio_watch.events import MailboxOperation, MessageReceived
from kerio_watch.formats.operations import OperationsParser
from kerio_watch.severity import Severity
from kerio_watch.store.memory import MemoryStore

STRANGER = "203.0.113.80"


def op(ts: int, source: str, dest: str | None, sender: str = ALICE, subject: str = "hi",
       ip: str = STRANGER, action: str = "MOVE", mid: str = "") -> MailboxOperation:  # fmt: skip
    """An operations.log line as Kerio writes it, parsed as the pipeline does."""
    where = f"Folder: ~{ALICE}/{source}"
    if dest is not None:
        where += f", Destination Folder: ~{ALICE}/{dest}"
    text = (
        f"{{{action}}} Protocol: HTTP/WebMail, User: {ALICE}, IP: {ip}, {where}, "
        f'From: "X" <{sender}>, Subject: "{subject}", Msg-Id: <<{mid or f"m{ts}@x"}>>, '
        f"Delivered: 16/Mar/2026 12:29:27, Size: 100"
    )
    event = OperationsParser().parse(text, ts, f"[..] {text}")
    assert isinstance(event, MailboxOperation), event
    return event


def burst(n: int, source: str, dest: str | None, start: int, **kw: str) -> list[MailboxOperation]:
    """``n`` operations, ten seconds apart."""
    return [op(start + 10 * i, source, dest, **kw) for i in range(n)]


class TestCoverUp:
    """What counts, the window and the verdict."""

    def test_purging_sent_items_is_noted_from_where_it_came(self) -> None:
        """Ten items out of Sent Items in half an hour: one signal, with the address; none
        of them mail it just sent, so context (housekeeping), not use."""
        p = pipeline("cover_up")
        assert feed(p, burst(9, "Sent Items", "Deleted Items", at(1))) == []
        (s,) = feed(p, [op(at(1, "09:05"), "Sent Items", "Deleted Items")])
        assert s.rule == RULE_SENT and s.side == "context" and s.source_ip == STRANGER
        assert s.score == 10
        assert "10 items taken out of Sent Items" in s.summary
        assert feed(p, [op(at(1, "09:06"), "Sent Items", "Deleted Items")]) == []  # once

    def test_purging_what_it_just_sent(self) -> None:
        """Three items it sent from outside within two hours are enough (at the third);
        five old ones, or five sent from the office, are not."""
        p = pipeline("cover_up")
        sent = [recv(at(1, "10:00") + 30 * i, msg_id=f"lure{i}@x", host=STRANGER) for i in range(9)]
        old = [recv(at(0, "10:00") + 30 * i, msg_id=f"old{i}@x", host=STRANGER) for i in range(5)]
        desk = [recv(at(1, "07:00") + 30 * i, msg_id=f"desk{i}@x") for i in range(5)]
        feed(p, [*old, *desk, *sent])
        moves = [op(at(1, "07:07") + i, "Sent Items", "Deleted Items", mid=f"desk{i}@x")
                 for i in range(5)]  # fmt: skip
        assert feed(p, moves) == []
        moves = [op(at(1, "09:07") + i, "Sent Items", "Deleted Items", mid=f"old{i}@x")
                 for i in range(5)]  # fmt: skip
        assert feed(p, moves) == []
        moves = [op(at(1, "10:08") + i, "Sent Items", "Deleted Items", mid=f"lure{i}@x")
                 for i in range(5)]  # fmt: skip
        (s,) = feed(p, moves)
        assert s.rule == RULE_SENT and s.side == "use"
        assert (
            "3 items taken out of Sent Items within 30 minutes, 3 of them sent within 2 hours"
            in s.summary
        )

    def test_hiding_the_few_messages_of_a_fraud(self) -> None:
        """An invoice fraud sends three or four messages and hides them: three of the mail
        it sent from outside within two hours are enough; an owner who regrets one
        message, or two, takes out only those."""
        p = pipeline("cover_up")
        feed(p, [recv(at(1, "10:00") + 60 * i, msg_id=f"m{i}@x", host=STRANGER) for i in range(5)])
        moves = [op(at(1, "10:08") + i, "Sent Items", "Deleted Items", mid=f"m{i}@x")
                 for i in range(2)]  # fmt: skip
        assert feed(p, moves) == []
        (s,) = feed(p, [op(at(1, "10:09"), "Sent Items", "Deleted Items", mid="m2@x")])
        assert s.rule == RULE_SENT and s.side == "use" and s.source_ip == STRANGER
        assert "3 of them sent within 2 hours" in s.summary

    def test_spread_over_the_day_it_is_nothing(self) -> None:
        """The window: one a minute is ordinary tidying, one an hour never adds up."""
        p = pipeline("cover_up")
        ops = [op(at(1, f"{9 + i // 2}:{(i % 2) * 30:02d}"), "Sent Items", "Deleted Items")
               for i in range(16)]  # fmt: skip
        assert feed(p, ops) == []

    def test_hidden_bounces_deleted_or_moved_away(self) -> None:
        """Delivery failure notices, by sender or subject, deleted or filed away."""
        p = pipeline("cover_up")
        ops = burst(3, "INBOX", "Deleted Items", at(2), sender="MAILER-DAEMON@mx.test")
        ops += burst(2, "INBOX", "RSS Feeds", at(2, "09:01"), subject="Undeliverable: hello")
        (s,) = feed(p, ops)
        assert s.rule == RULE_BOUNCES and "5 bounces" in s.summary

    def test_emptying_the_bin_and_junk_is_not_deletion(self) -> None:
        """What is already thrown away does not count; mass deletion elsewhere does."""
        p = pipeline("cover_up", options={"cover_up": {"mass_delete": 50}})
        assert feed(p, burst(60, "Deleted Items", None, at(3), action="DELETE")) == []
        assert feed(p, burst(60, "Junk E-mail", None, at(3, "10:00"), action="DELETE")) == []
        signals = feed(p, burst(50, "INBOX", None, at(3, "11:00"), action="DELETE"))
        assert rules(signals) == {RULE_MASS} and signals[0].side == "use"

    def test_moving_old_mail_to_the_bin_is_housekeeping(self) -> None:
        """Hundreds of items moved to the deleted items (a full mailbox cleared out) are
        context; deleted for good they are use (a wipe)."""
        p = pipeline("cover_up", options={"cover_up": {"mass_delete": 50}})
        (s,) = feed(p, burst(50, "INBOX", "Deleted Items", at(3, "11:00")))
        assert s.rule == RULE_MASS and s.side == "context"

    def test_with_a_strangers_login_it_is_high_and_from_the_office_it_is_not(self) -> None:
        """Access from a new place with a protocol the account never uses, then the
        cover-up: both sides. The owner tidying up at the desk raises no alert."""
        p = pipeline(enrich={"geo": "off"})
        feed(p, [login(at(d, "08:00"), protocol="HTTP/WebMail") for d in range(10)])
        feed(p, burst(12, "Sent Items", "Deleted Items", at(10, "09:00"), ip="192.168.1.10"))
        assert severity(p) < Severity.MEDIUM  # kept at low: no alert
        feed(p, [login(at(11, "03:00"), source=STRANGER, protocol="IMAP")])  # never IMAP
        assert severity(p) < Severity.HIGH
        feed(p, [recv(at(11, "03:01") + i, msg_id=f"s{i}@x", host=STRANGER) for i in range(6)])
        moves = [op(at(11, "03:05") + i, "Sent Items", "Deleted Items", mid=f"s{i}@x")
                 for i in range(6)]  # fmt: skip
        feed(p, moves)
        assert severity(p) >= Severity.HIGH

    def test_a_full_mailbox_cleared_from_home_is_not_a_hijack(self) -> None:
        """The owner, who never used the webmail, logs in to it from a new address of its
        home line one evening and moves hundreds of old items to the bin: weak access and
        housekeeping, not a stranger doing harm."""
        p = pipeline(enrich={"geo": "off"})
        home = "198.51.100.20"
        feed(p, office_history(ALICE, days=14))
        feed(p, [login(at(d, "20:00"), source=f"198.51.{d % 2}.7") for d in range(14)])
        feed(p, [login(at(15, "19:00"), source=home, protocol="HTTP/WebMail")])
        feed(p, burst(150, "Sent Items", "Deleted Items", at(15, "19:01"), ip=home))
        feed(p, burst(150, "INBOX", "Deleted Items", at(15, "19:30"), ip=home))
        assert severity(p) < Severity.HIGH

    def test_open_windows_survive_a_restart(self) -> None:
        """A follower restarted in the middle of a purge counts it whole."""
        store = MemoryStore()
        p = pipeline("cover_up", store=store)
        feed(p, burst(6, "Sent Items", "Deleted Items", at(1)))
        p.save()
        q = pipeline("cover_up", store=store)
        (s,) = feed(q, burst(4, "Sent Items", "Deleted Items", at(1, "09:02")))
        assert "10 items" in s.summary


class TestNewMailHidden:
    """New mail from outside moved out of the Inbox into a folder the owner never uses."""

    @staticmethod
    def mail(day: int, n: int, sender: str = "billing@supplier.test") -> list[MessageReceived]:
        """``n`` messages from outside to Alice in the morning of ``day``."""
        return [
            replace(inbound(at(day, "08:00") + 60 * i, sender), msg_id=f"in{day}-{i}@x")
            for i in range(n)
        ]

    def test_new_mail_from_outside_moved_to_a_folder_never_used_is_use(self) -> None:
        """Two of the morning's messages from a supplier moved into "RSS Feeds" from
        outside: use evidence, with the address; one is not enough."""
        p = pipeline("cover_up")
        feed(p, self.mail(1, 3))
        assert feed(p, [op(at(1, "12:00"), "INBOX", "RSS Feeds", mid="in1-0@x")]) == []
        (s,) = feed(p, [op(at(1, "12:01"), "INBOX", "RSS Feeds", mid="in1-1@x")])
        assert s.rule == RULE_HIDDEN and s.side == "use" and s.score == 30
        assert s.source_ip == STRANGER and "RSS Feeds" in s.summary

    def test_filing_is_not_hiding(self) -> None:
        """Old mail filed into a new folder, new mail into a folder the owner files to
        from the office, mail from colleagues, moves from the office, and the bin: none
        counts."""
        p = pipeline("cover_up")
        feed(p, [op(at(0, "10:00"), "INBOX", "Projekte", ip="192.168.1.10")])  # learned
        feed(p, self.mail(1, 4))
        feed(p, [replace(inbound(at(1, "08:30") + i, "bob@example.com"), msg_id=f"c{i}@x")
                 for i in range(3)])  # fmt: skip
        moves = [
            *(op(at(1, "12:00") + i, "INBOX", "Archiv/2019", mid=f"old{i}@x") for i in range(5)),
            *(op(at(1, "12:10") + i, "INBOX", "Projekte", mid=f"in1-{i}@x") for i in range(2)),
            *(op(at(1, "12:20") + i, "INBOX", "Notes", mid=f"c{i}@x") for i in range(3)),
            *(op(at(1, "12:30") + i, "INBOX", "Deleted Items", mid=f"in1-{i}@x") for i in (2, 3)),
        ]
        assert RULE_HIDDEN not in rules(feed(p, moves))
        desk = [op(at(1, "13:00") + i, "INBOX", "RSS Feeds", ip="192.168.1.10", mid=f"in1-{i}@x")
                for i in range(4)]  # fmt: skip
        assert RULE_HIDDEN not in rules(feed(p, desk))

    def test_mail_of_days_ago_is_not_new(self) -> None:
        """Mail that came in more than a day before is not new any more."""
        p = pipeline("cover_up")
        feed(p, self.mail(1, 3))
        moves = [op(at(3, "12:00") + i, "INBOX", "RSS Feeds", mid=f"in1-{i}@x") for i in range(3)]
        assert feed(p, moves) == []

    def test_with_a_strangers_webmail_login_it_is_high(self) -> None:
        """A webmail login from a new place with a protocol the account never uses, then
        the supplier's new mail hidden: a stranger doing harm."""
        p = pipeline(enrich={"geo": "off"})
        feed(p, office_history(ALICE, days=14))
        feed(p, [login(at(15, "21:00"), source=STRANGER, protocol="HTTP/WebMail")])
        feed(p, self.mail(15, 3))
        assert severity(p) < Severity.HIGH
        feed(p, [op(at(15, "21:05") + i, "INBOX", "RSS Feeds", mid=f"in15-{i}@x") for i in (0, 1)])
        assert severity(p) >= Severity.HIGH

    def test_a_remote_workers_filing_from_home_is_learned(self) -> None:
        """A remote worker files the day's mail into its archive folder from its home
        line, each week from another lease of it: filing from its desk, as from the
        office, so a night's stranger-like login (a hosting archive, a new place) does
        not pair with the owner's filing the next morning. A stranger's place (where the
        account never sent from) teaches nothing and still hides."""
        home = "84.130.7.9"
        p = pipeline()
        feed(p, office_history(ALICE, days=14, host=home))
        feed(p, self.mail(8, 2))
        first = [op(at(8, "11:00") + i, "INBOX", "Archiv/2026", ip="84.130.9.20",
                    mid=f"in8-{i}@x") for i in (0, 1)]  # fmt: skip
        assert RULE_HIDDEN not in rules(feed(p, first))
        feed(p, [login(at(15, "01:00"), source=STRANGER), *self.mail(15, 4)])
        later = [op(at(15, "11:00") + i, "INBOX", "Archiv/2026", ip="84.130.200.3",
                    mid=f"in15-{i}@x") for i in (0, 1)]  # fmt: skip
        assert RULE_HIDDEN not in rules(feed(p, later))
        assert severity(p) < Severity.HIGH
        away = [op(at(15, "12:00") + i, "INBOX", "RSS Feeds", mid=f"in15-{i}@x") for i in (2, 3)]
        assert RULE_HIDDEN in rules(feed(p, away))
        feed(p, self.mail(16, 2))
        again = [op(at(16, "12:00") + i, "INBOX", "RSS Feeds", mid=f"in16-{i}@x") for i in (0, 1)]
        assert RULE_HIDDEN in rules(feed(p, again))

    def test_filing_from_the_phone_it_has_read_on_for_weeks_is_the_owners(self) -> None:
        """A phone that has read the mailbox from its carrier for three weeks, and never
        sent, files the morning's mail: the owner's place. An address that has only
        read for a few days (an intruder reads first) still hides."""
        p = pipeline()
        feed(p, office_history(ALICE, days=22))
        phone = [login(at(d, "07:30"), source=f"80.187.{d}.9") for d in range(22)]
        reader = [login(at(d, "02:00"), source="198.51.100.77") for d in (19, 20, 21)]
        feed(p, [*phone, *reader, *self.mail(22, 4)])
        mine = [op(at(22, "09:00") + i, "INBOX", "Projekte", ip="80.187.40.1",
                   mid=f"in22-{i}@x") for i in (0, 1)]  # fmt: skip
        assert RULE_HIDDEN not in rules(feed(p, mine))
        theirs = [op(at(22, "10:00") + i, "INBOX", "Notes/old", ip="198.51.100.77",
                     mid=f"in22-{i}@x") for i in (2, 3)]  # fmt: skip
        assert RULE_HIDDEN in rules(feed(p, theirs))

    def test_what_it_learned_survives_a_restart(self) -> None:
        """New mail and the folders filed to from the office are kept across a restart."""
        store = MemoryStore()
        p = pipeline("cover_up", store=store)
        feed(p, [op(at(0, "10:00"), "INBOX", "Projekte", ip="192.168.1.10"), *self.mail(1, 4)])
        p.save()
        q = pipeline("cover_up", store=store)
        kept = [op(at(1, "12:00") + i, "INBOX", "Projekte", mid=f"in1-{i}@x") for i in (0, 1)]
        assert feed(q, kept) == []
        (s,) = feed(q, [op(at(1, "12:05") + i, "INBOX", "X", mid=f"in1-{i}@x") for i in (2, 3)])
        assert s.rule == RULE_HIDDEN


class TestAnswersHidden:
    """Answers to mail the account never sent, from strangers, removed from the Inbox."""

    CAMPAIGN = "Outstanding invoice 4711 - new bank details"

    @staticmethod
    def answers(day: int, senders: list[str], subjects: list[str]) -> list[MessageReceived]:
        """One message from each sender to Alice in the morning of ``day``."""
        return [
            replace(inbound(at(day, "08:00") + 60 * i, who), subject=subj, msg_id=f"a{i}@x")
            for i, (who, subj) in enumerate(zip(senders, subjects, strict=True))
        ]

    @staticmethod
    def removed(
        day: int, senders: list[str], subjects: list[str], **kw: str
    ) -> list[MailboxOperation]:
        """Each answer moved from the Inbox to Deleted Items at noon of ``day``."""
        pairs = enumerate(zip(senders, subjects, strict=True))
        return [
            op(at(day, "12:00") + i, "INBOX", "Deleted Items", who, subj, mid=f"a{i}@x", **kw)
            for i, (who, subj) in pairs
        ]

    def test_the_answered_subject(self) -> None:
        """Reply prefixes of several languages, repeated or numbered, are one subject; a
        forward or a plain subject answers nothing."""
        assert answered("AW: RE: Re[2]:  Outstanding  Invoice") == "outstanding invoice"
        assert answered("SV: Tilbud") == "tilbud" and answered("Fwd: Re: x") is None
        assert answered("Outstanding invoice") is None and answered(None) is None

    def test_three_strangers_answering_one_subject_removed_from_outside_is_use(self) -> None:
        """Three people the account never wrote to answer the same subject, and their
        answers are deleted from outside the same day: use, with the address (two are not
        enough)."""
        p = pipeline("cover_up")
        who = ["anna@victim1.test", "ben@victim2.test", "cleo@victim3.test"]
        subjects = [f"{pre}{self.CAMPAIGN}" for pre in ("Re: ", "AW: ", "RE: ")]
        feed(p, self.answers(1, who, subjects))
        moves = self.removed(1, who, subjects)
        assert feed(p, moves[:2]) == []
        (s,) = feed(p, moves[2:])
        assert s.rule == RULE_REPLIES and s.side == "use" and s.score == 30
        assert s.source_ip == STRANGER and "answers from 3 people it never wrote to" in s.summary

    def test_answers_to_its_own_mail_junk_and_the_office_do_not_count(self) -> None:
        """Answers from people it wrote to (its own mailing), fake replies with a subject
        each (junk), plain subjects, and the same answers removed at the desk: nothing."""
        p = pipeline("cover_up")
        known = ["anna@customer.test", "ben@customer.test", "cleo@customer.test"]
        feed(p, [recv(at(0, "10:00"), to=tuple(known))])
        same = [f"Re: {self.CAMPAIGN}"] * 3
        feed(p, self.answers(1, known, same))
        assert RULE_REPLIES not in rules(feed(p, self.removed(1, known, same)))
        q = pipeline("cover_up")
        who = ["x@spam1.test", "y@spam2.test", "z@spam3.test"]
        for subjects in (["Re: cheap meds", "Re: your prize", "RE: hot deal"], [self.CAMPAIGN] * 3):
            feed(q, self.answers(1, who, subjects))
            assert RULE_REPLIES not in rules(feed(q, self.removed(1, who, subjects)))
        r = pipeline("cover_up")
        feed(r, self.answers(1, who, same))
        assert RULE_REPLIES not in rules(feed(r, self.removed(1, who, same, ip="192.168.1.10")))

    def test_with_a_strangers_imap_login_from_a_new_place_it_is_high(self) -> None:
        """A tool on a server the account never used logs in over IMAP, which it never
        uses, and deletes the campaign's answers: a stranger doing harm (the login alone
        is below it)."""
        p = pipeline(enrich={"geo": "off"})
        feed(p, [login(at(d, "08:00"), protocol="HTTP/WebMail") for d in range(15)])
        feed(p, [login(at(15, "03:00"), source=STRANGER, protocol="IMAP")])  # never IMAP
        who = ["anna@victim1.test", "ben@victim2.test", "cleo@victim3.test"]
        same = [f"Re: {self.CAMPAIGN}"] * 3
        feed(p, self.answers(15, who, same))
        assert severity(p) < Severity.HIGH
        feed(p, self.removed(15, who, same))
        assert severity(p) >= Severity.HIGH

    def test_the_answers_survive_a_restart(self) -> None:
        """Answers already removed are kept across a restart (keys only)."""
        store = MemoryStore()
        p = pipeline("cover_up", store=store)
        who = ["anna@victim1.test", "ben@victim2.test", "cleo@victim3.test"]
        same = [f"Re: {self.CAMPAIGN}"] * 3
        feed(p, self.answers(1, who, same))
        feed(p, self.removed(1, who[:2], same[:2]))
        det: Any = p.detectors[0]
        saved = det.dump_state(at(1, "12:30"))["replies"]
        assert len(saved) == 1 and len(saved[0][2]) == 2  # one subject, two senders
        assert "victim" not in str(saved) and "invoice" not in str(saved)  # keys only
        p.save()
        q = pipeline("cover_up", store=store)
        (s,) = feed(q, self.removed(1, who, same)[2:])
        assert s.rule == RULE_REPLIES


def test_the_address_from_the_log_is_escaped() -> None:
    """Log content is attacker-controlled: control characters show as escapes."""
    p = pipeline("cover_up")
    (s,) = feed(p, burst(10, "Sent Items", "Deleted Items", at(1), ip="203.0.113.80\x07"))
    assert "\x07" not in s.summary and "\\x07" in s.summary


def windows_at(det: Any, now: int) -> list[Any]:
    """The (account, rule) windows the detector would save at ``now``."""
    return [w[:2] for w in det.dump_state(now)["windows"]]


def test_a_flush_forgets_every_window_that_ended_and_only_those() -> None:
    """A flush skips looking at the windows before the earliest can end: a window that
    ends earlier (an operation written out of order) or one restored from a save is still
    forgotten at the first flush after it ended, as when every flush looked."""
    p = pipeline("cover_up")
    det: Any = p.detectors[0]
    t = at(1, "09:00")
    det.observe(op(t, "Sent Items", "Deleted Items"))
    det.flush(t)
    det.observe(op(t - 1000, "Inbox", None, action="DELETE"))  # older: ends sooner
    det.flush(t + 799)
    assert windows_at(det, t) == [[ALICE, RULE_MASS], [ALICE, RULE_SENT]]
    det.flush(t + 800)
    assert windows_at(det, t) == [[ALICE, RULE_SENT]]
    det.flush(t + 1800)
    assert windows_at(det, t) == []
    saved = {"windows": [[ALICE, RULE_BOUNCES, [[t, 1, 0]]]], "sent": {}}
    det.restore_state(saved)
    det.flush(t + 1800)
    assert windows_at(det, t) == []


# -- forgetting old Message-IDs (the hourly flush) -------------------------------------
ids_by_account = st.dictionaries(
    st.sampled_from(["a", "b", "c"]),
    st.dictionaries(st.text("mxyz", max_size=3), st.integers(0, 20), max_size=12),
    max_size=3,
)


@given(ids_by_account, st.integers(-1, 21), st.booleans())
def test_forgetting_keeps_the_same_ids_in_the_same_order(
    kept: dict[str, dict[str, int]], before: int, in_order: bool
) -> None:
    """_forget leaves what rebuilding every account's IDs without the old ones left (its
    former formulation): the same accounts, IDs, times and order; IDs kept in time order
    (as mail comes) are not copied."""
    if in_order:  # each account's IDs by time, as they are when mail comes in order
        kept = {a: dict(sorted(ids.items(), key=lambda kv: kv[1])) for a, ids in kept.items()}
    expected = {
        a: list(keep.items())
        for a, ids in kept.items()
        if (keep := {m: t for m, t in ids.items() if t > before})
    }
    before_ids = dict(kept)
    _forget(kept, before)
    assert {a: list(ids.items()) for a, ids in kept.items()} == expected
    assert list(kept) == list(expected)
    if in_order:
        assert all(kept[a] is before_ids[a] for a in kept)


def test_an_id_out_of_order_is_forgotten_too() -> None:
    """An old ID after a newer one (a time logged late) goes, the others keep their order."""
    kept = {"a": {"m1": 5, "m2": 9, "m3": 2, "m4": 7}, "b": {"m5": 1}}
    _forget(kept, 5)
    assert kept == {"a": {"m2": 9, "m4": 7}}
    assert list(kept["a"]) == ["m2", "m4"]
