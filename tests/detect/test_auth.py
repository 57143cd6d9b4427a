"""auth: guessing per IP and account, and the login that follows it."""

from __future__ import annotations

from pathlib import Path

from factories import (
    ALICE,
    BOB,
    at,
    blocked,
    failed,
    feed,
    login,
    office_history,
    pipeline,
    recv,
    rules,
    severity,
)
from kerio_watch.detect.auth_rules import (
    RULE_ACCOUNT,
    RULE_BLOCKED,
    RULE_BRUTE,
    RULE_GUESSED,
    RULE_MANY_IPS,
    RULE_SENT,
    RULE_SPRAY,
)
from kerio_watch.detect.base import Signal
from kerio_watch.events import Event, LoginFailed
from kerio_watch.severity import Severity
from kerio_watch.store.sqlite import SQLiteStore

BOT = "203.0.113.66"


def _guessing(day: int = 22, n: int = 12, user: str = ALICE) -> list[LoginFailed]:
    return [failed(at(day, "10:00") + 20 * i, BOT, user) for i in range(n)]


class TestInternetNoise:
    """Rules about an address alone stay low."""

    def test_bruteforce_spray_and_block_stay_low(self) -> None:
        """All three IP rules together are still a low incident keyed by the IP."""
        p = pipeline("auth")
        victims = [f"user{i}@example.com" for i in range(6)]
        events: list[Event] = [
            failed(at(1, "03:00") + 5 * i, BOT, victims[i % 6]) for i in range(30)
        ]
        events.append(blocked(at(1, "03:03"), BOT))
        signals = feed(p, events)
        assert rules(signals) >= {RULE_BRUTE, RULE_SPRAY, RULE_BLOCKED}
        assert {s.key for s in signals if s.rule != RULE_ACCOUNT} == {f"ip:{BOT}"}
        assert severity(p, f"ip:{BOT}") == Severity.LOW
        spray = next(s for s in signals if s.rule == RULE_SPRAY)
        assert "tried the passwords of 5 accounts" in spray.summary

    def test_office_typos_are_ignored(self) -> None:
        """Failures from the trusted networks never count."""
        p = pipeline("auth")
        events = [failed(at(1, "09:00") + i, "192.168.1.10") for i in range(20)]
        assert feed(p, events) == []

    def test_many_failures_for_one_account_are_weak(self) -> None:
        """Guessing one account's password adds context to it, not an alert."""
        p = pipeline("auth")
        signals = feed(p, _guessing())
        (acct,) = [s for s in signals if s.rule == RULE_ACCOUNT]
        assert acct.key == ALICE and acct.score < 20
        assert severity(p, ALICE) == Severity.INFO


class TestCompromise:
    """A guess that worked."""

    def test_login_after_guessing_is_at_least_medium(self) -> None:
        """The successful login from the guessing address is the compromise itself."""
        p = pipeline("auth")
        feed(p, office_history(ALICE, days=21))
        feed(p, _guessing())
        (s,) = feed(p, [login(at(22, "10:30"), ALICE, BOT, "IMAP")])
        assert s.rule == RULE_GUESSED and s.min_severity == Severity.MEDIUM
        assert "after 12 failed logins from it within a day, 12 of them for" in s.summary
        assert severity(p) >= Severity.MEDIUM

    def test_mail_after_it_is_high(self) -> None:
        """Sending after that login makes the incident high."""
        p = pipeline("auth")
        feed(p, office_history(ALICE, days=21))
        feed(p, [*_guessing(), login(at(22, "10:30"), ALICE, BOT, "SMTP")])
        signals = feed(p, [recv(at(22, "10:31"), host=BOT)])
        assert rules(signals) == {RULE_SENT}
        assert severity(p) >= Severity.HIGH

    def test_typo_then_login_is_quiet(self) -> None:
        """Two wrong passwords from a hotel, then the right one: not guessing."""
        p = pipeline("auth")
        events: list[Event] = [failed(at(22, "10:00") + i, BOT) for i in range(2)]
        events.append(login(at(22, "10:01"), ALICE, BOT))
        assert [s for s in feed(p, events) if s.rule == RULE_GUESSED] == []

    def test_the_owners_carrier_address_shared_with_a_sprayer(self) -> None:
        """A sprayer on the phone carrier's CGNAT address never tried this account; the
        owner's phone gets the same address from the pool it has used for weeks: its
        login and mail are the owner's, not the guess that worked."""
        p = pipeline("auth")
        pool = [f"198.51.{i}.{i + 7}" for i in range(1, 6)]  # the carrier's /16, five /24s
        feed(p, [login(at(d, "19:00"), ALICE, pool[d % 5]) for d in range(21)])
        cgnat = "198.51.9.44"
        others = [f"user{i}@example.com" for i in range(12)]
        feed(p, [failed(at(22, "09:00") + 60 * i, cgnat, u) for i, u in enumerate(others)])
        signals = feed(p, [login(at(22, "10:30"), ALICE, cgnat), recv(at(22, "10:40"), host=cgnat)])
        assert rules(signals) & {RULE_GUESSED, RULE_SENT} == set()

    def test_a_sprayer_that_tried_the_account_from_its_pool_still_counts(self) -> None:
        """The same address, but it failed for this very account: the guess worked."""
        p = pipeline("auth")
        pool = [f"198.51.{i}.{i + 7}" for i in range(1, 6)]
        feed(p, [login(at(d, "19:00"), ALICE, pool[d % 5]) for d in range(21)])
        cgnat = "198.51.9.44"
        tried = [ALICE, *(f"user{i}@example.com" for i in range(11))]
        feed(p, [failed(at(22, "09:00") + 60 * i, cgnat, u) for i, u in enumerate(tried)])
        signals = feed(p, [login(at(22, "10:30"), ALICE, cgnat)])
        assert RULE_GUESSED in rules(signals)

    def test_typos_at_an_office_line_the_site_does_not_trust(self) -> None:
        """The office sits behind a public address the trusted networks do not name (or
        it just moved to another provider): colleagues log in from it all morning, some
        mistype. Their typos are the staff's, not a guesser's: a login and mail from
        there are not a guess that worked."""
        p = pipeline("auth")
        line = "198.51.100.7"
        staff = [f"user{i}@example.com" for i in range(4)]
        feed(p, [login(at(22, "07:30") + 60 * i, u, line) for i, u in enumerate(staff)])
        typos = [failed(at(22, "08:00") + 30 * i, line, staff[i % 3]) for i in range(6)]
        signals = feed(
            p, [*typos, login(at(22, "08:30"), ALICE, line), recv(at(22, "08:40"), host=line)]
        )
        assert rules(signals) & {RULE_GUESSED, RULE_SENT} == set()

    def test_a_sprayers_address_its_victims_logged_in_from_is_no_office(self) -> None:
        """The accounts a sprayer broke into logged in from its address too, but each is
        under suspicion: the next account it breaks into is still a guess that worked."""
        p = pipeline("auth")
        victims = [f"user{i}@example.com" for i in range(3)]
        tried = [*victims, ALICE, *(f"other{i}@example.com" for i in range(8))]
        feed(p, [failed(at(22, "09:00") + 30 * i, BOT, u) for i, u in enumerate(tried)])
        feed(p, [login(at(22, "09:30") + 60 * i, u, BOT) for i, u in enumerate(victims)])
        assert all(severity(p, u) >= Severity.MEDIUM for u in victims)
        signals = feed(p, [login(at(22, "10:30"), ALICE, BOT)])
        assert RULE_GUESSED in rules(signals)

    def test_a_leak_worked_through_from_one_address_is_no_office(self) -> None:
        """A residential proxy works through a leaked list: three entries work at once
        (quiet logins, nobody under suspicion), the stale ones fail in between, for
        accounts that never worked from there and names that left. Three colleagues
        used the address, but its failures are not their typos: the next account it
        takes is a guess that worked, and its mail the guesser's."""
        p = pipeline("auth")
        proxy = "198.51.100.77"
        taken = [f"user{i}@example.com" for i in range(3)]
        feed(p, [login(at(22, "09:00") + 90 * i, u, proxy, "IMAP") for i, u in enumerate(taken)])
        stale = [f"stale{i}@example.com" for i in range(5)] + ["left.long.ago@example.com"]
        feed(p, [failed(at(22, "09:10") + 60 * i, proxy, u) for i, u in enumerate(stale)])
        assert all(severity(p, u) < Severity.MEDIUM for u in taken)
        signals = feed(p, [login(at(22, "09:20"), ALICE, proxy, "IMAP")])
        assert RULE_GUESSED in rules(signals)
        assert RULE_SENT in rules(feed(p, [recv(at(22, "10:30"), host=proxy)]))

    def test_an_office_lines_typos_of_other_days_and_of_a_suspect_are_still_typos(
        self,
    ) -> None:
        """At the office's untrusted line, mistyped user names of two days ago are no
        guessing today, and a colleague under suspicion who mistypes its own password
        and logs in there explains its failures like anyone: the others' logins stay
        quiet."""
        p = pipeline("auth")
        line = "198.51.100.7"
        staff = [f"user{i}@example.com" for i in range(4)]
        feed(p, [login(at(20, "07:30") + 60 * i, u, line) for i, u in enumerate(staff)])
        feed(p, [failed(at(20, "08:00") + 60 * i, line, f"usr{i}@example.com") for i in range(4)])
        feed(p, [failed(at(21, "08:00"), line, staff[0]), login(at(21, "08:01"), staff[0], line)])
        suspect = staff[3]
        p.inject([Signal("test.access", suspect, at(22, "07:00"), 50, "odd", side="access")])
        assert severity(p, suspect) >= Severity.MEDIUM
        typos = [failed(at(22, "08:00") + 20 * i, line, suspect) for i in range(6)]
        feed(p, [*typos, login(at(22, "08:03"), suspect, line)])
        signals = feed(p, [login(at(22, "08:30"), ALICE, line), recv(at(22, "08:40"), host=line)])
        assert rules(signals) & {RULE_GUESSED, RULE_SENT} == set()

    def test_an_old_password_at_home_after_a_change(self) -> None:
        """The home PC keeps trying the old password from the owner's own home line, for
        this account only; then the new one works and it sends: the owner, not a guess."""
        p = pipeline("auth")
        home = "198.51.100.23"
        feed(p, [login(at(d, "19:00"), ALICE, home) for d in range(21)])
        feed(p, [failed(at(22, "18:00") + 300 * i, home, ALICE) for i in range(30)])
        signals = feed(p, [login(at(22, "21:00"), ALICE, home), recv(at(22, "21:05"), host=home)])
        assert rules(signals) & {RULE_GUESSED, RULE_SENT} == set()

    def test_an_old_password_at_a_home_line_it_used_once(self) -> None:
        """A person who works from home now and then: its line's address of the week was
        used once, the evening before its home PC started trying the old password once
        an hour, for days and for this account only; then the new one works and the PC
        sends what waited: the owner's own place, not a guess that worked."""
        p = pipeline("auth")
        feed(p, office_history(ALICE, days=21))
        home = "198.51.100.23"
        feed(p, [login(at(21, "20:00"), ALICE, home), recv(at(21, "20:02"), host=home)])
        hourly = [at(d, "18:00") + 3600 * h for d in (22, 23, 24) for h in range(6)]
        feed(p, [failed(t, home, ALICE) for t in [*hourly, at(25, "18:00")]])
        signals = feed(p, [login(at(25, "19:00"), ALICE, home), recv(at(25, "19:02"), host=home)])
        assert rules(signals) & {RULE_GUESSED, RULE_SENT} == set()

    def test_a_slow_guesser_is_no_place_of_the_account(self) -> None:
        """The same hourly failures from an address the account never used before them:
        the login that works there is the guess, and its mail is high."""
        p = pipeline("auth")
        feed(p, office_history(ALICE, days=21))
        hourly = [at(22, "00:30") + 3600 * h for h in range(3 * 24 + 18)]
        feed(p, [failed(t, BOT, ALICE) for t in hourly])
        signals = feed(p, [login(at(25, "19:00"), ALICE, BOT), recv(at(25, "19:02"), host=BOT)])
        assert {RULE_GUESSED, RULE_SENT} <= rules(signals)
        assert severity(p) >= Severity.HIGH

    def test_mail_from_the_office_after_a_guessed_login_is_not_the_guessers(self) -> None:
        """After the login from the guessing address, the owner sends from the desk: the
        login stays the compromise (medium), but the desk's mail is not its use."""
        p = pipeline("auth")
        feed(p, office_history(ALICE, days=21))
        feed(p, [*_guessing(), login(at(22, "10:30"), ALICE, BOT, "IMAP")])
        assert feed(p, [recv(at(22, "11:00"), host="192.168.1.10")]) == []
        assert Severity.MEDIUM <= severity(p) < Severity.HIGH
        assert rules(feed(p, [recv(at(22, "11:05"), host=BOT)])) == {RULE_SENT}

    def test_a_sprayer_elsewhere_still_counts(self) -> None:
        """A guessing address outside the account's places: the login is the compromise,
        even when it never tried this account (credential stuffing)."""
        p = pipeline("auth")
        pool = [f"198.51.{i}.{i + 7}" for i in range(1, 6)]
        feed(p, [login(at(d, "19:00"), ALICE, pool[d % 5]) for d in range(21)])
        others = [f"user{i}@example.com" for i in range(12)]
        feed(p, [failed(at(22, "09:00") + 60 * i, BOT, u) for i, u in enumerate(others)])
        signals = feed(p, [login(at(22, "10:30"), ALICE, BOT), recv(at(22, "10:40"), host=BOT)])
        assert {RULE_GUESSED, RULE_SENT} <= rules(signals)

    def test_guessing_state_survives_a_restart(self, tmp_path: Path) -> None:
        """Failures seen by one scan count for a login seen by the next."""
        store = SQLiteStore(tmp_path / "state.db")
        first = pipeline("auth", store=store)
        feed(first, _guessing())
        first.save()
        second = pipeline("auth", store=SQLiteStore(tmp_path / "state.db"))
        signals = feed(second, [login(at(22, "11:00"), ALICE, BOT)])
        assert RULE_GUESSED in rules(signals)


class TestManyAddresses:
    """One account, many addresses."""

    def test_many_outside_networks_in_a_day(self) -> None:
        """Logins from six outside networks in a day, for an account that uses one."""
        p = pipeline("auth")
        assert feed(p, [login(at(1, "09:00"), BOB)]) == []  # a day at the office first
        ips = [f"198.51.{i}.7" for i in range(1, 7)]
        signals = feed(p, [login(at(2, "09:00") + 600 * i, BOB, ip) for i, ip in enumerate(ips)])
        (s,) = signals  # fires at the fifth, once
        assert s.rule == RULE_MANY_IPS and "5 outside networks (5 addresses)" in s.summary
        assert s.facts["hosts"] == ips[:5]
        assert s.summary.endswith("; none on any day before")  # was "at most 0 a day before"

    def test_an_account_without_a_day_of_history_has_no_usual(self) -> None:
        """A new shared mailbox read from five home lines on its first day: there is no
        day before to compare with, so "none on any day before" would say nothing."""
        p = pipeline("auth")
        ips = [f"198.51.{i}.7" for i in range(1, 7)]
        assert feed(p, [login(at(2, "09:00") + 600 * i, BOB, ip) for i, ip in enumerate(ips)]) == []

    def test_a_hotel_handing_out_addresses_is_one_place(self) -> None:
        """Six addresses of one /24 (a hotel's DHCP pool) are one network, not six."""
        p = pipeline("auth")
        ips = [f"198.51.100.{i}" for i in range(1, 7)]
        assert feed(p, [login(at(2, "09:00") + 600 * i, BOB, ip) for i, ip in enumerate(ips)]) == []

    def test_places_are_asked_only_with_enough_addresses(self) -> None:
        """An account that uses three places a day needs nine (``ips_factor`` 3) to stand
        out: six addresses cannot be nine places, so none of them is looked up; with
        nine the places are counted (and here are nine networks: the signal)."""
        p = pipeline("auth")
        assert feed(p, [login(at(1, "09:00"), BOB)]) == []  # a day at the office first
        p.ctx.profile(BOB).ip_days = [3]
        asked: list[str] = []
        place_of = p.ctx.place_of

        def counted(host: str) -> str:
            asked.append(host)
            return place_of(host)

        p.ctx.place_of = counted  # type: ignore[method-assign]
        ips = [f"198.51.{i}.7" for i in range(1, 10)]
        logins = [login(at(2, "09:00") + 300 * i, BOB, ip) for i, ip in enumerate(ips)]
        assert feed(p, logins[:6]) == []
        assert not set(asked) & set(ips)
        (s,) = feed(p, logins[6:])
        assert s.rule == RULE_MANY_IPS and "9 outside networks (9 addresses)" in s.summary
        assert set(ips) <= set(asked)

    def test_a_phone_moving_around_is_quiet(self) -> None:
        """Three addresses in a day (phone, home, hotel) is life."""
        p = pipeline("auth")
        ips = ["198.51.100.1", "198.51.100.2", "203.0.113.7"]
        assert feed(p, [login(at(2, "09:00") + 600 * i, BOB, ip) for i, ip in enumerate(ips)]) == []


class TestIpv6:
    """An IPv6 client owns a whole /64 (a rented server, a home network, a phone's
    attach) and may use any address of it: guessing is counted per /64."""

    NET = "2a01:4f8:c17:1a2b"

    def _rotating(self, n: int = 12, user: str = ALICE) -> list[LoginFailed]:
        return [
            failed(at(22, "10:00") + 20 * i, f"{self.NET}::{i + 100:x}", user) for i in range(n)
        ]

    def test_a_guesser_rotating_in_its_64_is_one_address(self) -> None:
        """Every attempt from another address of one /64 is still one address guessing:
        brute force, spray and the block name it (before, each address failed once)."""
        p = pipeline("auth")
        victims = [f"user{i}@example.com" for i in range(6)]
        events: list[Event] = [
            failed(at(1, "03:00") + 5 * i, f"{self.NET}::{i + 1:x}", victims[i % 6])
            for i in range(30)
        ]
        events.append(blocked(at(1, "03:03"), f"{self.NET}::99"))
        signals = feed(p, events)
        assert rules(signals) >= {RULE_BRUTE, RULE_SPRAY, RULE_BLOCKED}
        assert {s.key for s in signals if s.rule != RULE_ACCOUNT} == {f"ip:{self.NET}::/64"}
        assert all(s.source_ip and s.source_ip.startswith(self.NET) for s in signals)

    def test_the_login_from_another_address_of_the_guessing_64(self) -> None:
        """The guessing tool's server logs in from its own address: the guess worked."""
        p = pipeline("auth")
        feed(p, office_history(ALICE, days=21))
        feed(p, self._rotating())
        (s,) = feed(p, [login(at(22, "10:30"), ALICE, f"{self.NET}::2", "IMAP")])
        assert s.rule == RULE_GUESSED and s.min_severity == Severity.MEDIUM
        assert f"12 failed logins from its network {self.NET}::/64 within a day" in s.summary
        signals = feed(p, [recv(at(22, "10:31"), host=f"{self.NET}::2")])
        assert rules(signals) == {RULE_SENT}
        assert severity(p) >= Severity.HIGH

    def test_a_neighbour_64_is_another_machine(self) -> None:
        """Another /64 of the same /48 (another customer of the hoster) is not the
        guesser."""
        p = pipeline("auth")
        feed(p, office_history(ALICE, days=21))
        feed(p, self._rotating())
        signals = feed(p, [login(at(22, "10:30"), ALICE, "2a01:4f8:c17:1a2c::2", "IMAP")])
        assert RULE_GUESSED not in rules(signals)
