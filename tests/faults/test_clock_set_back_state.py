"""The server's clock set back, detector by detector: what each holds of the lines
before the jump (dated after the new clock) judges the lines after it as the same lines
without the jump are judged, in one run and in two split at the jump or an hour after
it. Each test's logs are the same events written by a clock that was not set back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import factories
from factories import ALICE, at, failed, inbound, login, office_history, recv, sent
from kerio_watch.detect import clockback
from kerio_watch.detect.auth_rules import RULE_ACCOUNT, RULE_BRUTE
from kerio_watch.detect.cover_up import RULE_HIDDEN, RULE_MASS
from kerio_watch.detect.direct_smtp import RULE as RULE_DIRECT
from kerio_watch.detect.forwarding import RULE as RULE_FORWARD
from kerio_watch.detect.internal_fanout import RULE as RULE_FANOUT
from kerio_watch.detect.new_host import RULE as RULE_NEW_HOST
from kerio_watch.detect.new_host import RULE_HIJACK
from kerio_watch.detect.queue_backlog import RULE as RULE_BACKLOG
from kerio_watch.events import Connection, Event, MailboxOperation
from kerio_watch.formats.operations import OperationsParser
from kerio_watch.pipeline.marks import SET_BACK
from kerio_watch.sources.files import LogFile, Record
from kerio_watch.store.memory import MemoryStore

JUMP = 2 * 3600
"""The server's clock set back two hours."""
BOT = "203.0.113.66"
STRANGER = "203.0.113.80"
STAFF = [f"colleague{i}@example.com" for i in range(24)]


def judged(
    names: Sequence[str], history: Sequence[Event], before: Sequence[Event], after: Sequence[Event],
    jump: int = 0, split: int | None = None, options: dict[str, dict[str, int]] | None = None,
) -> list[tuple[str, str]]:  # fmt: skip
    """(rule, key) of the signals a pipeline running ``names`` raises at the
    ``before`` and ``after`` events, the clock set back ``jump`` seconds between them;
    with ``split``, saved and restarted before the ``split``-th event after the jump."""
    store = MemoryStore()
    p = factories.pipeline(*names, store=store, options=options)
    lines = sorted(history, key=lambda e: e.ts) + sorted(before, key=lambda e: e.ts)
    admit(p, lines)
    p.signals.clear()  # (the history's)
    later = [replace(e, ts=e.ts - jump) for e in sorted(after, key=lambda e: e.ts)]
    cut = len(later) if split is None else split
    admit(p, later[:cut])
    signals = list(p.signals)
    if split is not None:
        p.save()
        p = factories.pipeline(*names, store=store, options=options)
        admit(p, later[cut:], continued=True)
        signals += p.signals
    return sorted((s.rule, s.key) for s in signals)


def admit(p: factories.Recorder, events: Sequence[Event], continued: bool = False) -> None:
    """Events as lines of their logs, read in this order (``continued``: read on from
    where the last run left their files, as a scan of grown logs does)."""
    for n, event in enumerate(events):
        source = LogFile(f"{event.log}.log", event.log, continued=continued)
        p._admit(event, Record(event.ts, True, event.log, "", event.raw, source, n))


def the_same_through_a_jump(
    names: Sequence[str], history: Sequence[Event], before: Sequence[Event], after: Sequence[Event],
    options: dict[str, dict[str, int]] | None = None,
) -> list[tuple[str, str]]:  # fmt: skip
    """What the lines raise without the jump; asserts they raise the same through it, in
    one run and split at the jump or after the first half of the lines after it."""
    plain = judged(names, history, before, after, options=options)
    for split in (None, 0, len(after) // 2):
        assert judged(names, history, before, after, JUMP, split, options) == plain, split
    return plain


def heartbeat(start: int, minutes: int) -> list[Event]:
    """Mail from outside to Bob every 5 minutes: a server's mail.log is never quiet."""
    return [
        inbound(start + 300 * k, "news@list.test", (factories.BOB,)) for k in range(minutes // 5)
    ]


class TestAuth:
    """Failed logins counted "within an hour" (per account and per address)."""

    def test_failures_before_the_jump_are_not_counted_after_it(self) -> None:
        """Six failed logins, then five an hour and a half later: no "11 within an hour",
        as without the jump (it was, for the account and for the address: the six stayed
        counted until the log's time passed them again)."""
        start = at(22, "10:00")
        before: list[Event] = [failed(start + 100 * i, BOT) for i in range(6)] + heartbeat(
            start - 600, 20
        )
        after: list[Event] = [failed(start + 90 * 60 + 100 * i, BOT) for i in range(5)]
        after += heartbeat(start + 600, 120)
        assert the_same_through_a_jump(["auth"], [], before, after) == []

    def test_failures_across_the_jump_are_counted_together(self) -> None:
        """Six failed logins, then five right after the jump: eleven within an hour, as
        without the jump (forgetting what is dated after the new clock drops the six)."""
        start = at(22, "10:00")
        before: list[Event] = [failed(start + 100 * i, BOT) for i in range(6)] + heartbeat(
            start - 600, 20
        )
        after: list[Event] = [failed(start + 700 + 100 * i, BOT) for i in range(5)]
        after += heartbeat(start + 600, 60)
        plain = the_same_through_a_jump(["auth"], [], before, after)
        assert set(plain) == {(RULE_ACCOUNT, ALICE), (RULE_BRUTE, f"ip:{BOT}")}


class TestInternalFanout:
    """Colleagues reached "within the hour"."""

    @staticmethod
    def history() -> list[Event]:
        return office_history(ALICE, days=14) + [
            login(at(1, "08:00") + i, user=c, source=f"192.168.1.{20 + i}")
            for i, c in enumerate(STAFF)
        ]

    @staticmethod
    def lure(colleagues: list[str], start: int) -> list[Event]:
        return [
            recv(start + 60 * k, to=(c,), host=STRANGER, subject="doc")
            for k, c in enumerate(colleagues)
        ]

    def test_colleagues_before_the_jump_are_not_counted_after_it(self) -> None:
        """Six colleagues it never wrote to, then five others an hour and a half later:
        not "11 colleagues", as without the jump."""
        start = at(15, "10:00")
        before = self.lure(STAFF[:6], start) + heartbeat(start - 600, 20)
        after = self.lure(STAFF[6:11], start + 90 * 60) + heartbeat(start + 600, 120)
        assert the_same_through_a_jump(["internal_fanout"], self.history(), before, after) == []

    def test_colleagues_across_the_jump_are_counted_together(self) -> None:
        """Six, then five right after the jump: 11 colleagues within the hour, as
        without the jump."""
        start = at(15, "10:00")
        before = self.lure(STAFF[:6], start) + heartbeat(start - 600, 20)
        after = self.lure(STAFF[6:11], start + 600) + heartbeat(start + 600, 60)
        plain = the_same_through_a_jump(["internal_fanout"], self.history(), before, after)
        assert plain == [(RULE_FANOUT, ALICE)]


def operation(
    ts: int, source: str, dest: str | None, mid: str, action: str = "MOVE"
) -> MailboxOperation:
    """An operations.log line of Alice's, from a stranger's address."""
    where = f"Folder: ~{ALICE}/{source}"
    if dest is not None:
        where += f", Destination Folder: ~{ALICE}/{dest}"
    text = (
        f"{{{action}}} Protocol: HTTP/WebMail, User: {ALICE}, IP: {STRANGER}, {where}, "
        f'From: "X" <billing@supplier.test>, Subject: "hi", Msg-Id: <<{mid}>>, '
        "Delivered: 16/Mar/2026 12:29:27, Size: 100"
    )
    event = OperationsParser().parse(text, ts, f"[..] {text}")
    assert isinstance(event, MailboxOperation), event
    return event


class TestCoverUp:
    """Items deleted "within 30 minutes", and new mail hidden."""

    def test_deletions_before_the_jump_are_not_counted_after_it(self) -> None:
        """Three items deleted for good, and three an hour later: no "6 items deleted
        within 30 minutes" (with ``mass_delete = 5``), as without the jump."""
        start = at(3, "10:00")
        before: list[Event] = [
            operation(start + 10 * i, "INBOX", None, f"a{i}@x", "DELETE") for i in range(3)
        ]
        before += heartbeat(start - 600, 20)
        after: list[Event] = [
            operation(start + 3600 + 10 * i, "INBOX", None, f"b{i}@x", "DELETE") for i in range(3)
        ]
        after = heartbeat(start + 600, 90) + after
        options = {"cover_up": {"mass_delete": 5}}
        assert the_same_through_a_jump(["cover_up"], [], before, after, options) == []

    def test_deletions_across_the_jump_are_counted_together(self) -> None:
        """Three deleted just before the jump, three right after it: six within 30
        minutes, as without the jump."""
        start = at(3, "10:00")
        before: list[Event] = [
            operation(start + 10 * i, "INBOX", None, f"a{i}@x", "DELETE") for i in range(3)
        ]
        before += heartbeat(start - 600, 20)
        after: list[Event] = [
            operation(start + 600 + 10 * i, "INBOX", None, f"b{i}@x", "DELETE") for i in range(3)
        ]
        after = heartbeat(start + 300, 30) + after
        options = {"cover_up": {"mass_delete": 5}}
        plain = the_same_through_a_jump(["cover_up"], [], before, after, options)
        assert plain == [(RULE_MASS, ALICE)]

    def test_mail_that_came_before_the_jump_hidden_after_it(self) -> None:
        """Two messages from a supplier that came in just before the jump, moved into a
        folder the account never uses from a stranger's address 20 minutes later: new mail
        hidden, as without the jump (they came "after" the move and were no new mail)."""
        start = at(3, "10:00")
        mail = [
            replace(inbound(start + 60 * i, "billing@supplier.test"), msg_id=f"in{i}@x")
            for i in range(2)
        ]
        before = mail + heartbeat(start - 600, 20)
        moves = [
            operation(start + 1800 + 60 * i, "INBOX", "RSS Feeds", f"in{i}@x") for i in range(2)
        ]
        after = heartbeat(start + 600, 60) + moves
        plain = the_same_through_a_jump(["cover_up"], [], before, after)
        assert plain == [(RULE_HIDDEN, ALICE)]


class TestHijackAddress:
    """An address another account's hijack was worked from "within the last day"."""

    def test_a_login_from_bobs_hijack_address_after_the_jump(self) -> None:
        """Bob's password guessed from an address, a login and mail from it (high); the
        clock set back; Alice logs in from that address 30 minutes later: "an address
        Bob's hijack was worked from", as without the jump."""
        bob, start = factories.BOB, at(15, "10:00")
        history = office_history(ALICE, days=14) + office_history(bob, days=14)
        before: list[Event] = [failed(start + 20 * i, BOT, bob) for i in range(12)]
        before += [login(start + 600, bob, BOT, "SMTP"), recv(start + 660, user=bob, host=BOT)]
        before += heartbeat(start - 600, 25)
        after: list[Event] = [*heartbeat(start + 900, 60), login(start + 2400, ALICE, BOT, "IMAP")]
        plain = the_same_through_a_jump(["auth", "new_host"], history, before, after)
        assert (RULE_HIJACK, ALICE) in plain


class TestLogReadLate:
    """A log read hours late is no jump: its lines count as they are dated, also across
    a restart."""

    @staticmethod
    def scanned(split: int | None) -> list[tuple[str, str]]:
        """(rule, key) of the signals of mail.log (a line a minute) and a security.log
        read four hours late (12 failed logins, one every 4 minutes), saved and restarted
        before the ``split``-th line."""
        start, lag = at(22, "10:00"), 4 * 3600
        mail: list[tuple[int, Event]] = [
            (t, inbound(t, "news@list.test", (factories.BOB,)))
            for t in range(start, start + 8 * 3600, 60)
        ]
        security: list[tuple[int, Event]] = [
            (start + lag + 240 * i, failed(start + 240 * i, BOT)) for i in range(12)
        ]
        lines = [e for _, e in sorted(mail + security, key=lambda x: x[0])]
        store = MemoryStore()
        p = factories.pipeline("auth", store=store)
        admit(p, lines[:split])
        signals = list(p.signals)
        if split is not None:
            p.save()
            p = factories.pipeline("auth", store=store)
            admit(p, lines[split:], continued=True)
            signals += p.signals
        assert p.setback.told == 0
        return sorted((s.rule, s.key) for s in signals)

    def test_a_restart_between_its_lines(self) -> None:
        """Saved between two of its lines, after one of the other log: the same alerts
        as one run. Detector state was saved as of the newest line then, so the failed
        logins read late were more than an hour old and dropped: a restart after a line
        of mail.log lost "10 failed logins within an hour" (one right after a line of
        security.log saved as of that line, and kept them)."""
        whole = self.scanned(None)
        assert whole == [(RULE_ACCOUNT, ALICE), (RULE_BRUTE, f"ip:{BOT}")]
        for split in range(250, 290, 3):
            assert self.scanned(split) == whole, split

    def test_the_horizon_is_the_clock_or_behind_it(self) -> None:
        """State is saved as of the log read late furthest behind, never ahead of the
        newest time since the jump (a log read an hour late before a jump of two hours
        is ahead of the lines after it), nor more than a day behind."""
        setback = factories.pipeline("auth").setback
        setback.clock = at(3)
        setback.late = {"security": at(3) + 3600}
        assert setback.horizon() == at(3)
        setback.late["audit"] = at(3) - 4 * 3600
        setback.late["operations"] = at(1)
        assert setback.horizon() == at(3) - 4 * 3600


class TestTicks:
    """What the pipeline's ticks do (once a log minute) goes on after the jump."""

    def test_a_stuck_queue_right_after_the_jump(self) -> None:
        """30 messages to 60 recipients the server cannot deliver, sent right after the
        clock was set back three hours, the log going on for an hour: "no final delivery
        30 minutes after", as without the jump. The ticks followed the newest time before
        the jump, so they paused for three hours of the new clock and ``queue_backlog``
        never looked (a run restarted after the jump did)."""
        start = at(22, "02:00")
        before = heartbeat(start - 1200, 20)
        after: list[Event] = []
        for i in range(30):
            msg = recv(start + 600 + 10 * i, to=(f"a{i}@list.test", f"b{i}@list.test"))
            after += [
                msg,
                *(sent(msg.ts + 5, msg.queue_id, r, "delayed", "4.4.1") for r in msg.recipients),
            ]
        after += heartbeat(start + 300, 60)
        names, history = ["queue_backlog"], office_history(ALICE, days=21)
        plain = judged(names, history, before, after)
        assert plain == [(RULE_BACKLOG, ALICE)]
        for split in (None, 0, len(after) // 2):
            assert judged(names, history, before, after, 3 * 3600, split) == plain, split


class TestDirectSmtp:
    """LAN machines speaking SMTP to the internet, judged once their connections settle."""

    def test_a_pc_spamming_right_after_the_jump(self) -> None:
        """A connection of one machine 30 s before the clock was set back three hours,
        then a PC connecting to 30 outside mail servers right after it: the PC is
        judged, as without the jump. The connection from before the jump, dated after
        the new clock, waited to settle until the log's time passed it again and held
        every later one back: the PC raised nothing for three hours."""
        start = at(10, "10:00")
        before = [*heartbeat(start - 1200, 20), connection(start - 30, "192.168.1.77")]
        after: list[Event] = [
            connection(start + 300 + 6 * i, PC, f"198.51.100.{1 + i}") for i in range(30)
        ]
        after += heartbeat(start + 300, 60)
        plain = the_same_through_a_jump(["direct_smtp"], [], before, after)
        assert (RULE_DIRECT, f"host:{PC}") in plain


PC = "192.168.1.41"


def connection(ts: int, src: str, dst: str = "203.0.113.200") -> Connection:
    """A firewall line: ``src`` on the LAN opened a connection to ``dst`` port 25."""
    raw = f"mail-egress: IN=eth1 OUT=eth0 SRC={src} DST={dst} PROTO=TCP SPT=40000 DPT=25"
    return Connection(ts, "netfilter", raw, "block", "tcp", src, dst, 40000, 25)


class TestForwarding:
    """A filter rule's forward to a new outside address, after the warm-up."""

    def test_the_warm_up_is_not_longer_by_the_jump(self) -> None:
        """Warm-up 3 hours (``warmup_hours``): the detector's first message, the clock
        set back two hours two hours later, a new forward an hour and a half after it:
        reported, as without the jump. The warm-up ran from the first message's time,
        so the jump made it two hours longer and the forward was learned as the owner's
        (a rule set before kerio-watch watched), for good."""
        start = at(5, "10:00")
        before = heartbeat(start - 7200, 120)
        mid = "m1@partner.test"
        mail = replace(inbound(start + 5400, "carol@partner.test"), msg_id=mid)
        rule = recv(
            start + 5402,
            to=("collector@mailbox.test",),
            host="127.0.0.1",
            service="Sieve",
            msg_id=mid,
        )
        after = [*heartbeat(start + 300, 120), mail, rule]
        options = {"forwarding": {"warmup_hours": 3}}
        plain = the_same_through_a_jump(["forwarding"], [], before, after, options)
        assert plain == [(RULE_FORWARD, ALICE)]

    def test_the_jump_is_measured_as_the_pipeline_tells_it(self) -> None:
        """``new`` is the first line after the jump and SET_BACK more: the detectors'
        copy of SET_BACK (they are below the pipeline) is the pipeline's."""
        assert clockback.SET_BACK == SET_BACK


class TestWebmailSessions:
    """A webmail send belongs to its session (the address it was logged in from)."""

    def test_a_webmail_send_right_after_the_jump(self) -> None:
        """Alice's webmail logged in from a stranger's address just before the clock was
        set back two hours, three messages sent through it right after: sent from a new
        address, to new recipients, as without the jump. The session was last used
        "after" the sends, which belonged to no session and came from nowhere."""
        start = at(15, "10:00")
        history = office_history(ALICE, days=14)
        before = [*heartbeat(start - 1200, 20), login(start - 300, ALICE, STRANGER, "HTTP/WebMail")]
        after = heartbeat(start + 300, 60)
        after += [
            recv(
                start + 600 + 30 * i, host="0.0.0.0", service="HTTP/WebMail", to=(f"x{i}@far.test",)
            )
            for i in range(3)
        ]
        plain = the_same_through_a_jump([], history, before, after)
        assert (RULE_NEW_HOST, ALICE) in plain
