"""from_mismatch: sending as an address that is not the account's own."""

from __future__ import annotations

from factories import ALICE, at, feed, pipeline, recv
from kerio_watch.detect.from_mismatch import RULE_EXTERNAL, RULE_LOCAL
from kerio_watch.severity import Severity


class TestFromMismatch:
    """Addresses, aliases, habits."""

    def test_own_address_and_configured_alias_are_quiet(self) -> None:
        """The account itself and its declared aliases never fire."""
        p = pipeline("from_mismatch", users={ALICE: {"aliases": ["sales@example.com"]}})
        events = [recv(at(1, "09:00")), recv(at(1, "09:05"), sender="sales@example.com")]
        assert feed(p, events) == []

    def test_outside_from_is_at_least_medium(self) -> None:
        """A From in a domain the server does not host, with where and how."""
        p = pipeline("from_mismatch")
        (s,) = feed(p, [recv(at(1, "09:00"), sender="ceo@evil.test", host="203.0.113.9")])
        assert s.rule == RULE_EXTERNAL and s.min_severity == Severity.MEDIUM
        assert "ceo@evil.test" in s.summary and "203.0.113.9" in s.summary
        assert s.facts == {"froms": ["ceo@evil.test"]}

    def test_colleague_is_low(self) -> None:
        """A colleague's own account (CEO fraud from inside) is flagged lower."""
        p = pipeline("from_mismatch")
        feed(p, [recv(at(0, "09:00"), user="bob@example.com", sender="bob@example.com")])
        (s,) = feed(p, [recv(at(1, "09:00"), sender="bob@example.com")])
        assert s.rule == RULE_LOCAL and s.score == 30 and s.min_severity == Severity.LOW

    def test_an_address_nobody_logs_in_as_is_weak(self) -> None:
        """A role address or an alias not configured (info@, office@) is not a colleague."""
        p = pipeline("from_mismatch")
        (s,) = feed(p, [recv(at(1, "09:00"), sender="info@example.com")])
        assert s.rule == RULE_LOCAL and s.score == 15 and s.min_severity == Severity.INFO
        assert "nobody logs in as" in s.summary

    def test_own_name_in_another_local_domain_is_weak(self) -> None:
        """alice@example.org for alice@example.com: an alias domain nobody configured."""
        p = pipeline("from_mismatch", site={"local_domains": ["example.com", "example.org"]})
        (s,) = feed(p, [recv(at(1, "09:00"), sender="alice@example.org")])
        assert s.rule == RULE_LOCAL and s.score == 15 and s.min_severity == Severity.INFO
        assert "domain_aliases" in s.summary

    def test_long_used_from_becomes_the_accounts_own(self) -> None:
        """Used three times over more than a day, a From is learned."""
        p = pipeline("from_mismatch")
        uses = [recv(at(d, "09:00"), sender="info@example.com") for d in (1, 1, 2)]
        assert len(feed(p, uses)) == 3
        assert feed(p, [recv(at(3, "09:00"), sender="info@example.com")]) == []
