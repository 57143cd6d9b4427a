"""``kerio-watch user``: one account's timeline beside what is normal for it."""

from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner

from kerio_watch.app.config import load_config
from kerio_watch.cli import main
from kerio_watch.report.servertime import ServerTime
from kerio_watch.report.timeline import AccountView, account_view
from kerio_watch.store import open_store
from sitelogs import Site


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner(env={"COLUMNS": "250"}).invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def _view(site: Site, account: str) -> tuple[AccountView, ServerTime]:
    config = load_config(site.config)
    store = open_store(site.db, readonly=True)
    try:
        st = ServerTime.for_store(config, store)
        return account_view(store, config, st, account), st
    finally:
        store.close()


class TestAccountView:
    def test_hijack_hour_is_flagged_against_the_norm(self, scanned_site: Site) -> None:
        """The attacker's hour: outside the LAN, new address, new From, off hours."""
        view, _st = _view(scanned_site, "Alice@Example.com ")
        assert view.account == "alice@example.com"
        sends = [
            e for e in view.entries if e.kind == "send" and e.details["host"] == "203.0.113.66"
        ]
        assert len(sends) == 1
        flags = set(sends[0].flags)
        assert {"outside LAN", "new address", "new From", "off hours"} <= flags
        assert sends[0].count == 12
        assert sends[0].details["from"] == "x<script>alert(3)</script>@evil.test"
        office = [
            e for e in view.entries if e.kind == "send" and e.details["host"] == "192.168.1.10"
        ]
        assert office and all("outside LAN" not in e.flags for e in office)
        assert all("new address" not in e.flags for e in office[1:])

    def test_login_failures_bounces_and_incidents(self, scanned_site: Site) -> None:
        """carol: failed logins flagged as guessing; her bounce; alice: her incident."""
        carol, _ = _view(scanned_site, "carol@example.com")
        fails = [e for e in carol.entries if e.kind == "fail"]
        assert sum(e.count for e in fails) == 30
        assert all("password guessing" in e.flags for e in fails)
        alice, _ = _view(scanned_site, "alice@example.com")
        assert any(e.kind == "incident" for e in alice.entries)
        assert alice.incidents

    def test_normal_profile(self, scanned_site: Site) -> None:
        """The usual hosts, services, From addresses and hours."""
        view, _ = _view(scanned_site, "alice@example.com")
        n = view.normal
        assert n is not None
        assert n.hosts[0].value == "192.168.1.10" and n.hosts[0].trusted is True
        assert n.froms[0].value == "alice@example.com"
        assert n.active_hours == "Mon-Fri 09:00-12:00, 14:00-17:00"
        assert {k.value for k in n.services} >= {"SMTP", "IMAP"}

    def test_hourly_volume_against_norm(self, scanned_site: Site) -> None:
        """Each hour with mail carries the profile's median for that hour of the week."""
        view, st = _view(scanned_site, "alice@example.com")
        night = next(h for h in view.hourly if h.messages == 12)
        assert night.norm == 0
        assert view.period_how[st.how(night.ts)] == 12


class TestUserCommand:
    def test_text(self, scanned_site: Site) -> None:
        """Norm panel, incidents and the timeline, hostile values as text."""
        code, out, err = _run(
            "user",
            "alice@example.com",
            "--db",
            str(scanned_site.db),
            "--config",
            str(scanned_site.config),
        )
        assert code == 0, err
        assert "What is normal for this account" in out
        assert "Mon-Fri 09:00-12:00, 14:00-17:00" in out
        assert "Timeline (hourly)" in out
        assert (
            "12 messages sent via SMTP from 203.0.113.66 as x<script>alert(3)</script>@evil.test"
            in out
        )
        assert "new From" in out and "outside LAN" in out
        assert "\x1b" not in out

    def test_json_and_since(self, scanned_site: Site) -> None:
        """JSON for tools; --since narrows the timeline."""
        code, out, _ = _run(
            "user",
            "alice@example.com",
            "--db",
            str(scanned_site.db),
            "--config",
            str(scanned_site.config),
            "--since",
            "2026-03-22",
            "--format",
            "json",
        )
        assert code == 0
        data = json.loads(out)
        assert data["account"] == "alice@example.com"
        assert data["period"]["since"] == "2026-03-22T00:00:00+01:00"
        kinds = {e["kind"] for e in data["entries"]}
        assert {"login", "send", "recipients", "incident"} <= kinds
        assert data["normal"]["froms"][0]["value"] == "alice@example.com"

    def test_piped_lines_are_not_padded(self, scanned_site: Site) -> None:
        """Off a terminal the incidents and the timeline are one line per entry, each as
        long as its text: a table there padded every line to the longest explanation
        (over 1,000 characters on the demo) and cut the explanation at 300."""
        code, out, err = _run("user", "alice@example.com", "--db", str(scanned_site.db))
        assert code == 0, err
        lines = out.splitlines()
        assert not [line for line in lines if line != line.rstrip()]
        incident = next(line for line in lines if line.startswith("#"))
        view, _ = _view(scanned_site, "alice@example.com")
        assert view.incidents[0].summary in incident
        sent = next(line for line in lines if "12 messages sent via SMTP from 203.0.113.66" in line)
        assert sent.endswith("]") and "outside LAN" in sent and "│" not in sent

    def test_limit(self, scanned_site: Site) -> None:
        """--limit keeps the newest lines and says so."""
        code, out, _ = _run("user", "bob@example.com", "--db", str(scanned_site.db), "--limit", "3")
        assert code == 0
        assert "the last 3 of" in out

    def test_unknown_account(self, scanned_site: Site) -> None:
        """An address the database never saw is a usage error, not an empty page."""
        code, _, err = _run("user", "nobody@example.com", "--db", str(scanned_site.db))
        assert code == 2
        assert "no such account" in err


def test_until_help_says_what_the_default_period_ends_after(scanned_site: Site) -> None:
    """``user --until`` said its default came after the newest activity in the database;
    the period ends after the account's own newest activity (an account quiet for the
    last days got a week before its silence). The help now says so; ``report`` keeps
    the database's newest."""
    code, out, _ = _run("user", "--help")
    assert code == 0
    assert "Default: after the account's newest activity" in " ".join(out.split())
    code, out, _ = _run("report", "--help")
    assert "Default: after the newest activity in the database" in " ".join(out.split())
    db = str(scanned_site.db)
    code, out, _ = _run("report", "--db", db, "--format", "json")
    newest = dt.datetime.fromisoformat(json.loads(out)["period"]["until"])
    ends = set()
    for account in ("alice@example.com", "bob@example.com", "carol@example.com"):
        code, out, err = _run("user", account, "--db", db, "--format", "json")
        assert code == 0, err
        ends.add(dt.datetime.fromisoformat(json.loads(out)["period"]["until"]))
    assert any(end < newest for end in ends), (ends, newest)
