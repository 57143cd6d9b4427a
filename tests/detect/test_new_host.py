"""new_host: outside addresses an account never used."""

from __future__ import annotations

from pathlib import Path

from factories import (
    ALICE,
    BOB,
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
from kerio_watch.detect.new_host import RULE, RULE_HIJACK
from kerio_watch.severity import Severity
from kerio_watch.store.sqlite import SQLiteStore
from kerio_watch.values.signal import Signal


def _settled(**kw: object) -> Recorder:
    p = pipeline("new_host", **kw)  # type: ignore[arg-type]
    feed(p, office_history(ALICE, days=14))
    return p


class TestNewHost:
    """Sends and logins from new outside addresses."""

    def test_lan_hosts_never_fire(self) -> None:
        """An address in the trusted networks is never news, even a new one."""
        p = _settled()
        assert feed(p, [recv(at(15, "10:00"), host="192.168.1.77")]) == []

    def test_send_from_new_outside_address(self) -> None:
        """The first message from a new network says where, and what is usual."""
        p = _settled()
        signals = feed(p, [recv(at(15, "10:00"), host="203.0.113.9")])
        assert rules(signals) == {RULE}
        (s,) = signals
        assert s.score == 25
        assert s.source_ip == "203.0.113.9"
        assert "from 203.0.113.9, never seen" in s.summary
        assert "new network 203.0.113.0/24" in s.summary
        assert "usually 192.168.1.10" in s.summary
        assert s.facts == {"hosts": ["203.0.113.9"], "networks": ["203.0.113.0/24"]}

    def test_once_known_it_is_quiet(self) -> None:
        """The second message from the same address raises nothing new."""
        p = _settled()
        feed(p, [recv(at(15, "10:00"), host="203.0.113.9")])
        assert feed(p, [recv(at(15, "10:05"), host="203.0.113.9")]) == []

    def test_usual_network_is_quiet(self) -> None:
        """A new address in a /24 the account uses regularly is a DHCP renewal."""
        p = _settled()
        feed(p, [recv(at(15, f"10:0{i}"), host="203.0.113.9") for i in range(3)])
        assert feed(p, [recv(at(16, "10:00"), host="203.0.113.50")]) == []

    def test_login_scores_less_and_a_send_raises_it(self) -> None:
        """A login alone is weaker; mail sent from the same address right after counts."""
        p = _settled()
        (first,) = feed(p, [login(at(15, "10:00"), ALICE, "203.0.113.9", "SMTP")])
        assert first.score == 15 and "logged in via SMTP" in first.summary
        (second,) = feed(p, [recv(at(15, "10:01"), host="203.0.113.9")])
        assert second.score == 25 and "sent mail" in second.summary

    def test_provider_range_counts_little(self) -> None:
        """Mobile carriers rotate addresses across their range: a new /24 there is weak
        (here, two /24s of it), and no news once the account rotates through several of
        it since before today."""
        p = _settled()
        phone = [login(at(15, f"1{i}:00"), ALICE, f"198.51.{i}.7", "IMAP") for i in range(2)]
        phone.append(login(at(15, "13:00"), ALICE, "198.51.1.8", "IMAP"))
        feed(p, phone)
        (s,) = feed(p, [login(at(16, "10:00"), ALICE, "198.51.77.7", "IMAP")])
        assert s.score == 10 and "provider's range 198.51.*" in s.summary
        assert feed(p, [login(at(16, "11:00"), ALICE, "198.51.78.7", "IMAP")]) == []

    def test_an_address_other_accounts_use_counts_less(self) -> None:
        """An address colleagues already use (a branch office, the conference hotel) is
        less surprising."""
        p = _settled()
        feed(p, office_history(BOB, days=3, first_day=10, host="203.0.113.20"))
        (s,) = feed(p, [recv(at(15, "10:00"), host="203.0.113.20")])
        assert s.score == 15 and "an address 1 other account uses" in s.summary

    def test_a_colleagues_home_line_in_the_same_24_is_no_shared_place(self) -> None:
        """Colleagues' home lines and phones share /24s by chance, the more often the
        larger the site: another address in the /24 of a colleague's home line (a
        residential proxy next door) counts as a network the account never used."""
        p = _settled()
        feed(p, office_history(BOB, days=3, first_day=10, host="203.0.113.20"))
        assert p.ctx.site.network_accounts("203.0.113.0/24") == [BOB]
        (s,) = feed(p, [recv(at(15, "10:00"), host="203.0.113.9")])
        assert s.score == 25 and "other account" not in s.summary

    def test_new_account_is_judged_against_the_site(self) -> None:
        """With no history, only a network nobody on the site used fires, and weakly."""
        p = pipeline("new_host")
        feed(p, office_history(BOB, days=3, host="203.0.113.20"))
        assert feed(p, [recv(at(4, "10:00"), user=ALICE, host="203.0.113.21")]) == []
        (s,) = feed(p, [recv(at(4, "10:05"), user=ALICE, host="198.51.100.9")])
        assert s.score == 15 and "new account" in s.summary

    def test_accepted_host_is_quiet(self) -> None:
        """What ack --benign accepted never fires again."""
        p = _settled()
        p.ctx.profile(ALICE).accept("hosts", ["203.0.113.9"])
        assert feed(p, [recv(at(15, "10:00"), host="203.0.113.9")]) == []


ATTACKER = "203.0.113.66"


def _bob_hijacked_from(p: Recorder, ts: int, address: str = ATTACKER) -> None:
    """Bob's open incident reaches high with an address it rests on (stand-in signals:
    a new address, and harm from it)."""
    p.inject(
        [
            Signal("test.access", BOB, ts, 25, "new address", address, side="access"),
            Signal("test.use", BOB, ts, 25, "spam", address, side="use"),
        ]
    )
    assert severity(p, BOB) >= Severity.HIGH


class TestHijackAddress:
    """An address another account's open hijack was worked from (one stranger, several
    passwords)."""

    def _site(self) -> Recorder:
        p = pipeline("new_host")
        feed(p, office_history(ALICE, days=14) + office_history(BOB, days=14))
        return p

    def test_a_login_from_the_address_of_bobs_hijack(self) -> None:
        p = self._site()
        _bob_hijacked_from(p, at(15, "09:00"))
        signals = feed(p, [login(at(15, "09:30"), ALICE, ATTACKER, "SMTP")])
        (s,) = [s for s in signals if s.rule == RULE_HIJACK]
        assert s.score == 45 and s.side == "access" and s.source_ip == ATTACKER
        assert f"that {BOB}'s hijack was worked from" in s.summary
        # once a day for the account and address, though the address was learned since
        later = feed(p, [recv(at(15, "09:31"), host=ATTACKER)])
        assert RULE_HIJACK not in rules(later)
        # on its own (no harm from Alice's account yet), medium: strong access alone
        assert severity(p, ALICE) == Severity.MEDIUM

    def test_another_address_of_the_ipv6_machine_of_bobs_hijack(self) -> None:
        """An IPv6 server owns its /64: another address of it is the same stranger; an
        address of the next /64 (another customer of the hoster) is not."""
        p = self._site()
        _bob_hijacked_from(p, at(15, "09:00"), "2a01:4f8:c17:1a2b::5")
        signals = feed(p, [login(at(15, "09:30"), ALICE, "2a01:4f8:c17:1a2b:9::1", "SMTP")])
        (s,) = [s for s in signals if s.rule == RULE_HIJACK]
        assert s.source_ip == "2a01:4f8:c17:1a2b:9::1" and f"{BOB}'s hijack" in s.summary
        q = self._site()
        _bob_hijacked_from(q, at(15, "09:00"), "2a01:4f8:c17:1a2b::5")
        later = feed(q, [login(at(15, "09:30"), ALICE, "2a01:4f8:c17:1a2c::5", "SMTP")])
        assert RULE_HIJACK not in rules(later)

    def test_other_addresses_and_old_or_closed_hijacks_are_quiet(self) -> None:
        p = self._site()
        _bob_hijacked_from(p, at(15, "09:00"))
        assert RULE_HIJACK not in rules(feed(p, [login(at(15, "09:30"), ALICE, "198.51.100.9")]))
        # more than a day after the hijack's last signal from the address
        assert RULE_HIJACK not in rules(feed(p, [login(at(16, "09:30"), ALICE, ATTACKER)]))
        q = self._site()
        _bob_hijacked_from(q, at(15, "09:00"))
        inc = q.engine.open[BOB]
        q.engine.apply_ack(inc.id, "benign", inc)  # not a hijack after all
        assert RULE_HIJACK not in rules(feed(q, [login(at(15, "09:30"), ALICE, ATTACKER)]))

    def test_the_hijacked_account_itself_and_the_office_are_not_judged_by_it(self) -> None:
        p = self._site()
        _bob_hijacked_from(p, at(15, "09:00"))
        assert RULE_HIJACK not in rules(feed(p, [login(at(15, "09:30"), BOB, ATTACKER)]))
        q = self._site()
        _bob_hijacked_from(q, at(15, "09:00"), "192.168.1.10")  # Bob's desk PC
        assert RULE_HIJACK not in rules(feed(q, [recv(at(15, "09:30"))]))

    def test_the_open_hijacks_are_asked_only_about_outside_addresses(self) -> None:
        """A login or mail from the office cannot be from a hijack's address (only an
        outside one can): the open hijacks are not searched for it, an outside address
        still is (and fires)."""
        p = self._site()
        _bob_hijacked_from(p, at(15, "09:00"), "192.168.1.10")  # Bob's desk PC
        asked: list[str] = []
        hijacked_from = p.engine.hijacked_from

        def counted(address: str, account: str, ts: int) -> str | None:
            asked.append(address)
            return hijacked_from(address, account, ts)

        p.engine.hijacked_from = counted  # type: ignore[method-assign]
        assert RULE_HIJACK not in rules(feed(p, [recv(at(15, "09:30"))]))
        assert RULE_HIJACK not in rules(feed(p, [login(at(15, "09:31"), ALICE, "192.168.1.10")]))
        assert asked == []
        _bob_hijacked_from(p, at(15, "09:40"))
        signals = feed(p, [login(at(15, "09:45"), ALICE, ATTACKER, "SMTP")])
        assert RULE_HIJACK in rules(signals) and asked == [ATTACKER]

    def test_an_office_line_colleagues_work_from_is_no_strangers_address(self) -> None:
        """Bob's hijack rests on the office's public line (the trusted networks do not
        name it: never set, or the office just moved). Three colleagues without any
        suspicion work from it too (they log in and send their mail from it): it is the
        staff's place, so Alice's login there is not a stranger's. With fewer colleagues
        there, it is."""
        line = "198.51.100.7"
        for staff, expected in ((3, False), (2, True)):
            p = self._site()
            people = [f"user{i}@example.com" for i in range(staff)]
            feed(p, [login(at(15, "08:00") + 60 * i, u, line) for i, u in enumerate(people)])
            feed(
                p, [recv(at(15, "08:20") + 60 * i, user=u, host=line) for i, u in enumerate(people)]
            )
            _bob_hijacked_from(p, at(15, "09:00"), line)
            signals = feed(p, [login(at(15, "09:30"), ALICE, line, "SMTP")])
            assert (RULE_HIJACK in rules(signals)) is expected, staff

    def test_a_line_colleagues_used_since_yesterday_is_theirs(self) -> None:
        """Colleagues who only read their mail from the line, but since yesterday: it is
        their place, not a stranger's of today."""
        line = "198.51.100.7"
        p = self._site()
        people = [f"user{i}@example.com" for i in range(3)]
        feed(p, [login(at(14, "08:00") + 60 * i, u, line) for i, u in enumerate(people)])
        _bob_hijacked_from(p, at(15, "09:00"), line)
        assert RULE_HIJACK not in rules(feed(p, [login(at(15, "09:30"), ALICE, line, "SMTP")]))

    def test_accounts_a_stranger_took_quietly_are_no_witnesses(self) -> None:
        """One residential proxy logs in to several accounts within minutes with leaked
        passwords and reads: nobody is under suspicion yet. Bob's hijack from it is
        found; Alice's login there is the same stranger's, however many quiet accounts
        it took (they never sent mail from it, and used it only today)."""
        p = self._site()
        taken = [f"user{i}@example.com" for i in range(4)]
        feed(p, [login(at(15, "08:50") + 90 * i, u, ATTACKER, "IMAP") for i, u in enumerate(taken)])
        _bob_hijacked_from(p, at(15, "09:00"))
        assert all(severity(p, u) < Severity.MEDIUM for u in taken)
        assert RULE_HIJACK in rules(feed(p, [login(at(15, "09:30"), ALICE, ATTACKER, "IMAP")]))

    def test_it_survives_a_restart(self, tmp_path: Path) -> None:
        """The hijack's incident is restored, and so is what already fired."""
        store = SQLiteStore(tmp_path / "s.db")
        p = pipeline("new_host", store=store)
        feed(p, office_history(ALICE, days=14) + office_history(BOB, days=14))
        _bob_hijacked_from(p, at(15, "09:00"))
        assert RULE_HIJACK in rules(feed(p, [login(at(15, "09:30"), ALICE, ATTACKER)]))
        p.save()
        again = pipeline("new_host", store=SQLiteStore(tmp_path / "s.db"))
        assert RULE_HIJACK not in rules(feed(again, [recv(at(15, "09:40"), host=ATTACKER)]))
        third = feed(again, [login(at(15, "09:50"), "carol@example.com", ATTACKER, "IMAP")])
        assert RULE_HIJACK in rules(third)

    def test_a_suspect_colleague_does_not_make_a_network_shared(self) -> None:
        """An address a colleague used is weaker (15, a hotel at a conference; the
        colleague's own first use of it is a low incident), unless that colleague is
        under suspicion (medium or above): the stranger's address is not shared because
        the stranger used it with another password."""
        for suspect, score in ((False, 15), (True, 25)):
            p = self._site()
            feed(p, [recv(at(15, "08:00"), user=BOB, host="198.51.100.7")])
            assert p.ctx.site.network_accounts("198.51.100.0/24") == [BOB]
            assert severity(p, BOB) == Severity.LOW  # its own new network
            if suspect:
                p.inject([Signal("test.access", BOB, at(15, "08:01"), 45, "x", side="access")])
                assert severity(p, BOB) == Severity.MEDIUM
            (s,) = feed(p, [recv(at(15, "09:00"), host="198.51.100.7")])
            assert s.rule == RULE and s.score == score, suspect


class TestReadOnlyPlace:
    """A place the account has only read mail from is not yet one it sends from."""

    def _read(self, p: Recorder, days: range, ip: str = "198.18.7.9") -> None:
        feed(p, [login(at(d, f"{h:02d}:30"), ALICE, ip, "IMAP") for d in days for h in (1, 9, 20)])

    def test_first_mail_after_days_of_reading_is_news(self) -> None:
        """An intruder's address read the mailbox for three days (learned: nothing
        alerted), then writes from it: a send from a new network, saying so."""
        p = _settled()
        self._read(p, range(15, 18))
        (s,) = feed(p, [recv(at(18, "10:00"), host="198.18.7.9")])
        assert s.rule == RULE and s.score == 25
        assert "an address it has only read mail from (first 3 days before)" in s.summary
        assert feed(p, [recv(at(18, "10:05"), host="198.18.7.9")]) == []

    def test_one_day_is_said_in_the_singular(self) -> None:
        """Read from since yesterday: "first 1 day before", not "1 days"."""
        p = _settled()
        self._read(p, range(17, 18))
        (s,) = feed(p, [recv(at(18, "10:00"), host="198.18.7.9")])
        assert "an address it has only read mail from (first 1 day before)" in s.summary

    def test_a_place_read_from_for_weeks_is_its_own(self) -> None:
        """A phone that has read mail from its carrier for weeks sends its first message:
        no news."""
        p = pipeline("new_host")
        self._read(p, range(1, 4))
        feed(p, office_history(ALICE, days=20))
        self._read(p, range(4, 21))
        assert feed(p, [recv(at(21, "10:00"), host="198.18.7.9")]) == []

    def test_a_place_it_sent_from_is_its_own(self) -> None:
        """Reading from an address of a provider range the account already sends from
        (its home line's new lease) is no news when it sends."""
        p = _settled()
        feed(p, [recv(at(15, f"19:0{i}"), host="198.18.9.9") for i in range(3)])
        self._read(p, range(16, 18))
        assert feed(p, [recv(at(18, "10:00"), host="198.18.7.9")]) == []
