"""admin_changes: the server's configuration changed in a session from outside."""

from __future__ import annotations

from factories import at, feed, login, pipeline, rules, severity
from kerio_watch.detect.admin_changes import RULE
from kerio_watch.events import ConfigChange, LoginSucceeded
from kerio_watch.formats.config_log import ConfigLogParser
from kerio_watch.severity import Severity
from kerio_watch.store.memory import MemoryStore

ADMIN = "admin@example.com"
AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"


def change(ts: int, text: str) -> ConfigChange:
    """A config.log line, parsed as the pipeline does."""
    event = ConfigLogParser().parse(text, ts, f"[..] {text}")
    assert isinstance(event, ConfigChange)
    return event


def admin_login(ts: int, source: str, agent: str = AGENT) -> LoginSucceeded:
    """An administration console login."""
    return login(ts, ADMIN, source, "HTTP/WebAdmin", agent)


RELAY = f'{ADMIN} - Update SmtpServer {{relayControl="allowAll"}}'
NEW_USER = f'{ADMIN} - Insert User {{loginName="backup-svc", fullName="Backup"}}'
ROUTINE = f'{ADMIN} - Insert TimeRange {{description="Wartung", type="TimeRangeDaily"}}'
OUT_ALIAS = f'{ADMIN} - Insert Alias {{alias="rechnung@example.com", deliverTo="x7@gmail.com"}}'
IN_ALIAS = f'{ADMIN} - Insert Alias {{alias="anna@example.com", deliverTo="anna.b@example.com"}}'
SITE = {"local_domains": ["example.com"]}


class TestAdminChanges:
    """Sessions, places and what changed."""

    def test_changes_from_the_lan_are_administration(self) -> None:
        """The office's administrator changes what it likes: nothing is said."""
        p = pipeline("admin_changes")
        events = [admin_login(at(1), "192.168.1.5"), change(at(1, "09:05"), RELAY)]
        assert feed(p, events) == []

    def test_a_change_from_outside_is_use_and_lists_what_changed(self) -> None:
        """From outside: a use signal naming the address and every change so far."""
        p = pipeline("admin_changes")
        feed(p, [admin_login(at(1), "203.0.113.7")])
        (s1,) = feed(p, [change(at(1, "09:02"), ROUTINE)])
        (s2,) = feed(p, [change(at(1, "09:03"), NEW_USER)])
        (s3,) = feed(p, [change(at(1, "09:04"), RELAY)])
        assert s1.rule == RULE and s1.side == "use" and s1.key == ADMIN
        assert s1.score == 10 and s2.score == 15 and s3.score == 34
        assert s2.source_ip == "203.0.113.7" and "203.0.113.7" in s3.summary
        assert "Insert TimeRange, Insert User, Update SmtpServer" in s3.summary

    def test_a_change_long_after_the_login_is_not_its_session(self) -> None:
        """Past the session's span, a change is not attributed to an outside login."""
        p = pipeline("admin_changes")
        feed(p, [admin_login(at(1), "203.0.113.7")])
        assert feed(p, [change(at(1, "14:00"), RELAY)]) == []

    def test_config_logs_own_session_line_and_a_bare_admin_name(self) -> None:
        """``Admin - session opened for host <ip>``, and ``admin`` for admin@domain."""
        p = pipeline("admin_changes")
        opened = change(at(2), "Admin - session opened for host 198.51.100.4")
        (s,) = feed(p, [opened, change(at(2, "09:01"), "Admin - insert User set Name='x'")])
        assert s.key == "admin" and "198.51.100.4" in s.summary
        q = pipeline("admin_changes")
        feed(q, [admin_login(at(2), "203.0.113.9")])
        (s,) = feed(q, [change(at(2, "09:01"), 'admin - Update Alias {alias="a@example.com"}')])
        assert s.key == ADMIN

    def test_a_strangers_session_that_changes_the_server_is_high(self) -> None:
        """A new place with a new browser, then the relay opened: both sides."""
        p = pipeline(enrich={"geo": "off"})
        feed(p, [admin_login(at(d), "192.168.1.5") for d in range(10)])
        feed(p, [admin_login(at(11, "03:10"), "203.0.113.66", "curl/8.0")])
        assert severity(p, ADMIN) < Severity.HIGH
        signals = feed(p, [change(at(11, "03:12"), RELAY)])
        assert RULE in rules(signals) and severity(p, ADMIN) >= Severity.HIGH

    def test_a_new_place_that_sends_mail_outside_is_high_without_a_new_browser(self) -> None:
        """The administrator's own browser, from a place it never used (no network data,
        and too few logins for the new-browser rule): the login is the session the server
        is changed in, so the place weighs as a send's, and an alias delivering the site's
        mail to an outside mailbox makes it high."""
        p = pipeline(enrich={"geo": "off"}, site=SITE)
        feed(p, [admin_login(at(2 * d), "192.168.1.5") for d in range(8)])
        (s,) = feed(p, [admin_login(at(20, "02:10"), "203.0.113.66")])
        assert s.score == 25 and severity(p, ADMIN) < Severity.HIGH
        signals = feed(p, [change(at(20, "02:12"), OUT_ALIAS)])
        assert RULE in rules(signals) and severity(p, ADMIN) >= Severity.HIGH

    def test_a_new_place_that_only_changes_the_sites_own_accounts_is_not_high(self) -> None:
        """The administrator at home for the first time prepares a new colleague's start
        (an account, an alias to it, a group): the same place as above, but nothing of it
        reaches anyone outside, so it stays below high (an intruder's backdoor account
        shows itself when it is used)."""
        p = pipeline(enrich={"geo": "off"}, site=SITE)
        feed(p, [admin_login(at(2 * d), "192.168.1.5") for d in range(8)])
        feed(p, [admin_login(at(20, "19:10"), "203.0.113.66")])
        group = f'{ADMIN} - Update Group {{name="vertrieb", members="+anna.b"}}'
        steps = (("12", NEW_USER), ("14", IN_ALIAS), ("15", group), ("16", NEW_USER))
        signals = feed(p, [change(at(20, f"19:{m}"), c) for m, c in steps])
        assert RULE in rules(signals) and max(s.score for s in signals if s.rule == RULE) == 15
        assert severity(p, ADMIN) < Severity.HIGH

    def test_sessions_survive_a_restart(self) -> None:
        """A follower restarted between the login and the change judges it the same."""
        store = MemoryStore()
        p = pipeline("admin_changes", store=store)
        feed(p, [admin_login(at(1), "203.0.113.7"), change(at(1, "09:01"), ROUTINE)])
        p.save()
        q = pipeline("admin_changes", store=store)
        (s,) = feed(q, [change(at(1, "09:30"), RELAY)])
        assert "Insert TimeRange, Update SmtpServer" in s.summary


def test_the_address_from_the_log_is_escaped() -> None:
    """Log content is attacker-controlled: a session's address shows its control
    characters as escapes."""
    p = pipeline("admin_changes")
    feed(p, [admin_login(at(1), "203.0.113.7\x1b[2J")])
    (s,) = feed(p, [change(at(1, "09:05"), RELAY)])
    assert "\x1b" not in s.summary and "\\x1b[2J" in s.summary
