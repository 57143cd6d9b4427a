"""The period report: sections built from a scanned site, and its three renderings."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kerio_watch.app.config import load_config
from kerio_watch.cli import main
from kerio_watch.report.build import build_report, default_period, resolve_period
from kerio_watch.report.model import Report
from kerio_watch.report.servertime import ServerTime
from kerio_watch.store import open_store
from sitelogs import Site


def _build(site: Site, mail_server: str | None = "192.168.1.5") -> tuple[Report, ServerTime]:
    config = load_config(site.config)
    store = open_store(site.db, readonly=True)
    try:
        st = ServerTime.for_store(config, store)
        return build_report(store, config, default_period(store), st, mail_server), st
    finally:
        store.close()


def _report_of(db: Path, config_file: Path | None = None) -> Report:
    """The default period's report of a database written by a test."""
    config = load_config(config_file)
    store = open_store(db, readonly=True)
    try:
        return build_report(
            store, config, default_period(store), ServerTime.for_store(config, store)
        )
    finally:
        store.close()


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner(env={"COLUMNS": "250"}).invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


class TestPeriod:
    def test_default_is_the_last_seven_days_of_log_time(self, scanned_site: Site) -> None:
        """The period ends after the newest activity (log time, not the wall clock)."""
        store = open_store(scanned_site.db, readonly=True)
        try:
            span = store.activity_span()
            period = default_period(store)
        finally:
            store.close()
        assert span is not None
        assert period.until == span[1] + 3600
        assert period.seconds == 7 * 86400

    def test_since_alone_runs_to_the_newest_activity(self, scanned_site: Site) -> None:
        """--since without --until ends after the newest hour."""
        store = open_store(scanned_site.db, readonly=True)
        try:
            span = store.activity_span()
            assert span is not None
            period = resolve_period(store, span[1] - 86400, None)
        finally:
            store.close()
        assert period.until == span[1] + 3600

    def test_times_use_the_inferred_offset(self, scanned_site: Site) -> None:
        """Without [site] timezone the offset comes from the scan's Queue-IDs."""
        store = open_store(scanned_site.db, readonly=True)
        try:
            st = ServerTime.for_store(load_config(scanned_site.config), store)
        finally:
            store.close()
        assert st.offset == 3600
        assert "UTC+01:00" in st.note


class TestSections:
    def test_the_hijack_is_an_incident(self, scanned_site: Site) -> None:
        """The From/User mismatch of the hijack is listed with its source IP."""
        r, _ = _build(scanned_site)
        alice = [i for i in r.incidents if i.user == "alice@example.com"]
        assert alice
        assert "203.0.113.66" in alice[0].source_ips

    def test_top_sender_against_its_norm(self, scanned_site: Site) -> None:
        """alice sent more than her usual week and her busiest hour is far above its norm."""
        r, st = _build(scanned_site)
        top = r.top_by_messages[0]
        assert top.account == "alice@example.com"
        assert top.messages == 42
        assert top.usual_messages == 30
        assert top.peak_messages == 12
        assert top.peak_norm == 0
        assert top.above_norm
        assert st.how(top.peak_hour or 0) == 6 * 24 + 2  # Sunday 02:00 local
        bob = next(s for s in r.top_by_messages if s.account == "bob@example.com")
        assert not bob.above_norm

    def test_outside_hosts_are_new_for_the_account(self, scanned_site: Site) -> None:
        """The attacker's address shows for sending and login, with its user agent."""
        r, _ = _build(scanned_site)
        rows = {(h.account, h.address, h.kind): h for h in r.external_hosts}
        send = rows[("alice@example.com", "203.0.113.66", "send")]
        login = rows[("alice@example.com", "203.0.113.66", "login")]
        assert send.new and send.count == 12
        assert login.agents == ['<img src=x onerror="alert(2)">Mozilla/5.0']
        assert all(h.address != "192.168.1.10" for h in r.external_hosts)

    def test_a_phone_rotating_through_its_carriers_range_is_no_new_place(self) -> None:
        """Each new address of a phone's carrier range is the same place (the report
        tagged 1,601 of 1,605 rows "new" on the demo); a new range is new; at most
        MAX_ROWS rows are listed, new places first, and the rest are counted."""
        from kerio_watch.report.outside import MAX_ROWS, outside_hosts  # noqa: PLC0415
        from kerio_watch.values.profile import Profile  # noqa: PLC0415

        since = 1_000 * 3600
        prof = Profile("al@example.com")
        for i in range(5):
            prof.learn_login(f"80.187.{i}.9", f"80.187.{i}.0/24", "IMAP", None, since - 7200)
        rows = [(since // 3600 + 1, "al@example.com", "login", f"IMAP|80.187.{50 + i}.1|", 1)
                for i in range(MAX_ROWS + 20)]  # fmt: skip
        rows.append((since // 3600 + 2, "al@example.com", "login", "IMAP|185.1.2.3|", 1))
        listed, more = outside_hosts(
            {"send": [], "login": rows}, lambda _h: True, lambda _a: prof, since, lambda _h: ""
        )
        assert listed[0].address == "185.1.2.3" and listed[0].new
        assert not any(h.new for h in listed[1:])
        assert len(listed) == MAX_ROWS and more == 21

    def test_off_hours_against_office_hours(self, scanned_site: Site) -> None:
        """Office hours are configured: the Sunday-night burst is off hours."""
        r, _ = _build(scanned_site)
        assert r.off_hours_basis.startswith("outside office hours")
        assert [(o.account, o.messages) for o in r.off_hours] == [("alice@example.com", 12)]

    def test_bounces(self, scanned_site: Site) -> None:
        """carol's failed delivery to a dead address is a bounce."""
        r, _ = _build(scanned_site)
        carol = next(b for b in r.bounces if b.account == "carol@example.com")
        assert carol.failed >= 1

    def test_password_guessing(self, scanned_site: Site) -> None:
        """The guessing source and the account it tried."""
        r, _ = _build(scanned_site)
        source = next(g for g in r.guess_sources if g.source == "198.51.100.77")
        assert source.failures == 30
        assert source.accounts == [("carol@example.com", 30)]
        assert source.logged_in == []
        assert r.targets[0].account == "carol@example.com"

    def test_traffic_adds_up(self, scanned_site: Site) -> None:
        """Hourly bins cover the period and sum to the totals."""
        r, _ = _build(scanned_site)
        assert len(r.traffic) == 7 * 24
        assert sum(b.sent for b in r.traffic) == r.totals.sent
        assert sum(b.failed_logins for b in r.traffic) == r.totals.failed_logins == 35

    def test_heatmap_of_the_account_with_an_incident(self, scanned_site: Site) -> None:
        """alice's period heatmap has the 12 messages on Sunday 02:00; her usual one none."""
        r, _ = _build(scanned_site)
        heat = next(h for h in r.heatmaps if h.account == "alice@example.com")
        assert heat.period[6 * 24 + 2] == 12
        assert heat.usual[6 * 24 + 2] == 0
        assert "Mon-Fri" in heat.active_hours

    def test_hardening(self, scanned_site: Site) -> None:
        """Services per account, grouped into policies; the egress rule names the server."""
        r, _ = _build(scanned_site)
        groups = {tuple(g.accounts): g for g in r.hardening.groups}
        assert groups[("carol@example.com",)].used == ["KOFF"]
        assert "POP3" in groups[("carol@example.com",)].disallow
        uses = {u.account: u for u in r.hardening.services}
        assert {"SMTP", "IMAP"} <= set(uses["alice@example.com"].used)
        assert "192.168.1.5" in r.hardening.egress.nftables
        assert [e.account for e in r.hardening.external] == ["alice@example.com"]

    def test_guesser_that_got_in_is_flagged(self, tmp_path: Path) -> None:
        """A source that failed and then logged in to the same account comes first."""
        db = tmp_path / "state.db"
        store = open_store(db)
        hour = 1_774_000_000 - 1_774_000_000 % 3600
        with store.transaction():
            store.add_activity(
                {
                    (
                        hour // 3600,
                        "dave@example.com",
                        "fail",
                        "IMAP|203.0.113.9|invalid_password",
                    ): 40,
                    (hour // 3600, "dave@example.com", "login", "IMAP|203.0.113.9|"): 1,
                    (
                        hour // 3600,
                        "erin@example.com",
                        "fail",
                        "SMTP|198.51.100.1|invalid_password",
                    ): 90,
                }
            )
        store.close()
        r = _report_of(db)
        assert r.guess_sources[0].source == "203.0.113.9"
        assert r.guess_sources[0].logged_in == ["dave@example.com"]
        assert r.targets[0].compromised_from == ["203.0.113.9"]
        assert "UTC" in r.time_note

    def test_a_typo_at_the_office_is_no_guess_that_worked(self, tmp_path: Path) -> None:
        """Two failures and then a login from the owner's own PC (a trusted network):
        listed, but not as a guess that may have worked."""
        db = tmp_path / "state.db"
        store = open_store(db)
        h = (1_774_000_000 - 1_774_000_000 % 3600) // 3600
        with store.transaction():
            store.add_activity(
                {
                    (h, "fay@example.com", "fail", "IMAP|192.168.10.45|invalid_password"): 2,
                    (h, "fay@example.com", "login", "IMAP|192.168.10.45|"): 1,
                }
            )
        store.close()
        config_file = tmp_path / "kw.toml"
        config_file.write_text('[site]\ntrusted_networks = ["192.168.10.0/24"]\n')
        r = _report_of(db, config_file)
        (source,) = r.guess_sources
        assert source.source == "192.168.10.45" and source.logged_in == []
        assert r.targets[0].compromised_from == []

    def test_every_incident_of_the_period_and_every_serious_account(self, tmp_path: Path) -> None:
        """250 incidents in the period, the critical ones the oldest: all are listed
        (the report kept the 200 newest, then sorted), and each account with a high or
        critical incident has its heatmap (eight were shown at most)."""
        from kerio_watch.severity import Severity  # noqa: PLC0415
        from kerio_watch.values.incident import Incident  # noqa: PLC0415

        db = tmp_path / "state.db"
        store = open_store(db)
        start = 1_774_000_000 - 1_774_000_000 % 3600
        incidents = [
            Incident(n, f"u{n}@example.com", start + n * 60, start + n * 60 + 30,
                     severity=Severity.CRITICAL if n < 11 else Severity.INFO, score=5)
            for n in range(1, 251)
        ]  # fmt: skip
        with store.transaction():
            store.save_incidents(incidents)
            store.add_activity({(start // 3600 + 5, "u1@example.com", "send", ""): 1})
        store.close()
        r = _report_of(db)
        assert len(r.incidents) == 250
        assert [i.severity for i in r.incidents[:10]] == ["critical"] * 10
        assert len(r.heatmaps) == 10

    def test_an_undecided_critical_from_before_the_period_is_listed(self, tmp_path: Path) -> None:
        """A critical incident quiet for ten days waits for a decision: the week's report
        lists it (it listed only incidents with a signal in the period, so the weekly
        report dropped a hijack nobody had handled); a decided or weaker old one stays out."""
        from kerio_watch.severity import Severity  # noqa: PLC0415
        from kerio_watch.values.incident import Incident  # noqa: PLC0415

        db = tmp_path / "state.db"
        store = open_store(db)
        start = 1_774_000_000 - 1_774_000_000 % 3600
        old, now = start, start + 10 * 86400
        incidents = [
            Incident(1, "victim@example.com", old, old + 600, "open", Severity.CRITICAL, 200),
            Incident(2, "handled@example.com", old, old + 600, "resolved", Severity.CRITICAL, 200),
            Incident(3, "odd@example.com", old, old + 600, "open", Severity.MEDIUM, 50),
            Incident(4, "ip:198.51.100.7", now, now + 60, "open", Severity.LOW, 40),
        ]
        with store.transaction():
            store.save_incidents(incidents)
            store.add_activity({(now // 3600, "u1@example.com", "send", ""): 1})
        store.close()
        r = _report_of(db)
        assert [i.id for i in r.incidents] == [1, 4]
        assert r.incidents[0].status == "open"


class TestRendering:
    def test_text_in_a_file_is_readable(self, scanned_site: Site, tmp_path: Path) -> None:
        """A text report written to a file (or a cron mail) wraps its tables at 160
        characters; its lines were padded to the longest cell (2,247 characters)."""
        out = tmp_path / "week.txt"
        code, _, err = _run(
            "report", "--db", str(scanned_site.db), "--config", str(scanned_site.config),
            "-o", str(out),
        )  # fmt: skip
        assert code == 0, err
        lines = out.read_text(encoding="utf-8").splitlines()
        assert "Incidents" in "\n".join(lines)
        assert max(len(line) for line in lines) <= 160

    def test_json(self, scanned_site: Site) -> None:
        """JSON for tools: ISO times with the server offset."""
        code, out, _ = _run(
            "report",
            "--db",
            str(scanned_site.db),
            "--config",
            str(scanned_site.config),
            "--format",
            "json",
        )
        assert code == 0
        data = json.loads(out)
        assert data["period"]["until"].endswith("+01:00")
        assert data["top_by_messages"][0]["account"] == "alice@example.com"
        assert data["hardening"]["egress"]["mail_server"] is None
        assert "MAIL_SERVER_IP" in data["hardening"]["egress"]["nftables"]

    def test_html_is_self_contained_and_inert(self, scanned_site: Site, tmp_path: Path) -> None:
        """One file: inline CSS and SVG, no script, hostile log text escaped."""
        out = tmp_path / "report.html"
        code, _, err = _run(
            "report",
            "--db",
            str(scanned_site.db),
            "--config",
            str(scanned_site.config),
            "-o",
            str(out),
            "--mail-server",
            "192.168.1.5",
        )
        assert code == 0, err
        html = out.read_text(encoding="utf-8")
        assert html.startswith("<!DOCTYPE html>")
        assert "<style>" in html and "<svg" in html
        assert "<script" not in html
        assert "<img" not in html
        assert "&lt;script&gt;alert(3)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
        assert "script-src" not in html  # default-src 'none' covers scripts
        assert "default-src 'none'" in html
        for attr in ('src="http', "src='http", 'href="http', "@import", "url("):
            assert attr not in html
        assert "ip saddr 192.168.1.5 tcp dport { 25, 465, 587, 2525 } accept" in html
        assert "iptables -A MAIL_EGRESS -s 192.168.1.5 -j RETURN" in html
        assert "font-family: -apple-system" in html  # the stylesheet is not escaped

    def test_text(self, scanned_site: Site) -> None:
        """Rich tables for the terminal."""
        code, out, _ = _run(
            "report", "--db", str(scanned_site.db), "--config", str(scanned_site.config)
        )
        assert code == 0
        for title in (
            "Incidents",
            "Top senders by messages",
            "Password guessing: sources",
            "nftables",
            "iptables",
        ):
            assert title in out
        assert "\x1b" not in out

    def test_text_escapes_control_characters_and_markup(self, tmp_path: Path) -> None:
        """An ESC sequence or rich markup in a user agent is shown, not obeyed."""
        db = tmp_path / "state.db"
        store = open_store(db)
        with store.transaction():
            store.add_activity(
                {
                    (
                        500_000,
                        "mallory@example.com",
                        "login",
                        "IMAP|203.0.113.5|evil\x1b[2J[bold red]agent[/]",
                    ): 1
                }
            )
        store.close()
        code, out, _ = _run("report", "--db", str(db))
        assert code == 0
        assert "\x1b" not in out
        assert "\\x1b[2J[bold red]agent[/]" in out

    def test_empty_database(self, tmp_path: Path) -> None:
        """A database with no activity gives an empty report, not an error."""
        db = tmp_path / "state.db"
        open_store(db).close()
        code, out, _ = _run("report", "--db", str(db), "-f", "json")
        assert code == 0
        assert json.loads(out)["empty"] is True

    def test_bad_options(self, scanned_site: Site) -> None:
        """A bad time and a bad address are usage errors (2)."""
        code, _, err = _run("report", "--db", str(scanned_site.db), "--since", "yesterday")
        assert code == 2 and "--since" in err
        code, _, err = _run("report", "--db", str(scanned_site.db), "--mail-server", "mail")
        assert code == 2 and "--mail-server" in err
        code, _, err = _run(
            "report", "--db", str(scanned_site.db), "--since", "2026-03-20", "--until", "2026-03-19"
        )
        assert code == 2

    def test_the_output_file_name_chooses_a_format_or_is_refused(
        self, scanned_site: Site, tmp_path: Path
    ) -> None:
        """``-o`` without ``--format``: .html, .json, .txt and no extension choose one; any
        other extension is wrong usage (2), naming the formats, and nothing is written
        (``-o report.pdf`` wrote plain text into it); ``--format`` writes what it says."""
        db = str(scanned_site.db)
        pdf = tmp_path / "report.pdf"
        code, _, err = _run("report", "--db", db, "-o", str(pdf))
        assert code == 2, err
        assert "report.pdf: no report format for '.pdf' files" in err
        assert ".html, .json or .txt, or give --format html, text or json" in err
        assert not pdf.exists()
        for name, start in [("r.JSON", "{"), ("r.htm", "<!DOCTYPE html>"), ("r.txt", "─")]:
            code, _, err = _run("report", "--db", db, "-o", str(tmp_path / name))
            assert code == 0, err
            assert (tmp_path / name).read_text(encoding="utf-8").startswith(start)
        code, _, err = _run("report", "--db", db, "-o", str(tmp_path / "plain"))
        assert code == 0, err
        assert (tmp_path / "plain").read_text() == (tmp_path / "r.txt").read_text()
        code, _, err = _run("report", "--db", db, "-o", str(pdf), "--format", "json")
        assert code == 0, err
        assert json.loads(pdf.read_text(encoding="utf-8"))["period"]

    def test_missing_database(self, tmp_path: Path) -> None:
        """No database: one clear error."""
        code, _, err = _run("report", "--db", str(tmp_path / "none.db"))
        assert code == 5
        assert "no such database" in err
