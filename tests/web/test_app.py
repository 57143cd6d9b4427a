"""The dashboard through Flask's test client: login, CSRF, headers, escaping, pages."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kerio_watch.app.config import load_config
from kerio_watch.store import open_store
from kerio_watch.web.app import create_app
from kerio_watch.web.security import hash_password
from kerio_watch.web.settings import WebSettings
from sitelogs import Site

from .conftest import MAIL_SERVER

TOKEN = "test-token-" + "x" * 24
PAGES = (
    "/",
    "/incidents",
    "/incidents?status=all",
    "/incidents/1",
    "/accounts",
    "/accounts/alice@example.com",
    "/search?q=203.0.113.66",
    "/report",
    "/report.json",
    "/report.html",
)


class TestLogin:
    @pytest.mark.parametrize("path", PAGES)
    def test_every_page_needs_a_login(self, app: Flask, path: str) -> None:
        """Without a session each page redirects to the login page."""
        response = app.test_client().get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")

    @pytest.mark.parametrize("path", PAGES)
    def test_every_page_works_logged_in(self, client: FlaskClient, path: str) -> None:
        """Logged in, each page renders."""
        assert client.get(path).status_code == 200

    def test_start_token_login_sets_a_strict_session_cookie(self, app: Flask) -> None:
        """The printed login URL logs in; the cookie is HttpOnly and SameSite=Strict."""
        response = app.test_client().get(f"/login?token={TOKEN}&next=/incidents")
        assert response.status_code == 302
        assert response.headers["Location"] == "/incidents"
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie

    def test_wrong_token(self, app: Flask) -> None:
        """A wrong token is refused and no session is made."""
        c = app.test_client()
        assert c.get("/login?token=wrong").status_code == 403
        assert c.get("/").status_code == 302

    def test_next_never_leaves_the_site(self, app: Flask) -> None:
        """An open redirect through ?next= is not possible."""
        response = app.test_client().get(f"/login?token={TOKEN}&next=//evil.test/x")
        assert response.headers["Location"] == "/"

    def test_password_login_with_csrf_and_throttle(self, make_app: Callable[..., Flask]) -> None:
        """The password form needs its CSRF token; after five wrong passwords the address
        gets 429 with Retry-After for each further wrong one, yet the right password is
        still accepted from that same address."""
        app = make_app(WebSettings(password_hash=hash_password("correct horse")), None)
        c = app.test_client()
        page = c.get("/login")
        assert b'type="password" name="password"' in page.data
        assert b'name="token"' not in page.data  # no token configured or generated
        with c.session_transaction() as session:
            csrf = session["csrf"]
        assert c.post("/login", data={"password": "correct horse"}).status_code == 400
        for _ in range(5):
            assert c.post("/login", data={"password": "nope", "csrf": csrf}).status_code == 403
        throttled = c.post("/login", data={"password": "nope", "csrf": csrf})
        assert throttled.status_code == 429
        assert int(throttled.headers["Retry-After"]) > 0
        ok = c.post("/login", data={"password": "correct horse", "csrf": csrf, "next": "/accounts"})
        assert ok.status_code == 302 and ok.headers["Location"] == "/accounts"
        assert c.get("/accounts").status_code == 200

    def test_failures_never_lock_out_the_right_token(self, app: Flask) -> None:
        """Twenty wrong tokens posted from the admin's address: the right one still works,
        by the form and by the login link."""
        attacker = app.test_client()
        attacker.get("/login")
        with attacker.session_transaction() as session:
            csrf = session["csrf"]
        codes = {
            attacker.post("/login", data={"token": f"wrong-{n}", "csrf": csrf}).status_code
            for n in range(20)
        }
        assert codes == {403, 429}
        admin = app.test_client()
        assert admin.get(f"/login?token={TOKEN}").status_code == 302
        assert admin.get("/").status_code == 200
        attacker.get("/login")
        right = attacker.post("/login", data={"token": TOKEN, "csrf": csrf})
        assert right.status_code == 302

    def test_a_get_is_never_counted_as_a_failure(self, app: Flask) -> None:
        """GET /login?token=wrong (any page can make a browser fetch it) is refused but not
        counted: four real wrong posts afterwards are still plain 403s, not 429."""
        c = app.test_client()
        for _ in range(10):
            assert c.get("/login?token=wrong").status_code == 403
        with c.session_transaction() as session:
            csrf = session["csrf"]
        for _ in range(4):
            assert c.post("/login", data={"token": "wrong", "csrf": csrf}).status_code == 403
        assert c.post("/login", data={"token": TOKEN, "csrf": csrf}).status_code == 302

    def test_logout(self, client: FlaskClient, csrf: str) -> None:
        """Logging out ends the session (a POST with the CSRF token)."""
        assert client.post("/logout").status_code == 400
        assert client.post("/logout", data={"csrf": csrf}).status_code == 302
        assert client.get("/").status_code == 302

    def test_logout_revokes_the_session_on_the_server(
        self, make_app: Callable[..., Flask], site: Site, hijack_id: int
    ) -> None:
        """A copy of the cookie taken before logout can no longer see a page or ack an
        incident, also after the dashboard restarts with the same secret key."""
        settings = WebSettings(secret_key=b"k" * 32)
        app = make_app(settings)
        c = app.test_client()
        assert c.get(f"/login?token={TOKEN}").status_code == 302
        cookie = c.get_cookie("kerio_watch_session")
        assert cookie is not None
        with c.session_transaction() as session:
            csrf = session["csrf"]
        assert c.post("/logout", data={"csrf": csrf}).status_code == 302
        for dashboard in (app, make_app(settings)):  # the same process, then a restart
            thief = dashboard.test_client()
            thief.set_cookie("kerio_watch_session", cookie.value)
            assert thief.get("/").status_code == 302
            acked = thief.post(
                f"/incidents/{hijack_id}/ack", data={"decision": "benign", "csrf": csrf}
            )
            assert acked.status_code == 302 and acked.headers["Location"].startswith("/login")
        store = open_store(site.db, readonly=True)
        try:
            inc = store.incident(hijack_id)
        finally:
            store.close()
        assert inc is not None and inc.status == "open"

    def test_secure_cookie_behind_a_tls_proxy(self, make_app: Callable[..., Flask]) -> None:
        """[web] secure_cookie: the cookie is Secure, and a form posted from the https
        page the proxy serves passes the same-site check."""
        app = make_app(WebSettings(secure_cookie=True))
        c = app.test_client()
        response = c.get(f"/login?token={TOKEN}")
        assert "Secure" in response.headers["Set-Cookie"]
        with c.session_transaction() as session:
            csrf = session["csrf"]
        https = c.post("/logout", data={"csrf": csrf}, headers={"Origin": "https://localhost"})
        assert https.status_code == 302
        plain = make_app().test_client().get(f"/login?token={TOKEN}")
        assert "Secure" not in plain.headers["Set-Cookie"]


class TestHeaders:
    def test_security_headers(self, client: FlaskClient) -> None:
        """CSP without any script source, no framing, no referrer, no caching."""
        response = client.get("/incidents/1")
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp
        assert "script-src" not in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"

    def test_stylesheets_are_public_and_local(self, app: Flask) -> None:
        """The login page needs its CSS before login; nothing comes from a CDN."""
        c = app.test_client()
        assert c.get("/assets/report.css").status_code == 200
        assert c.get("/static/dashboard.css").status_code == 200
        page = c.get("/login").data.decode()
        assert "http://" not in page and "https://" not in page


class TestAcknowledge:
    def test_ack_without_csrf_is_refused(
        self, client: FlaskClient, site: Site, hijack_id: int
    ) -> None:
        """No token, a wrong token, or another site's Origin: nothing changes."""
        assert (
            client.post(f"/incidents/{hijack_id}/ack", data={"decision": "benign"}).status_code
            == 400
        )
        bad = client.post(
            f"/incidents/{hijack_id}/ack", data={"decision": "benign", "csrf": "x" * 43}
        )
        assert bad.status_code == 400
        with client.session_transaction() as session:
            csrf = session["csrf"]
        cross = client.post(
            f"/incidents/{hijack_id}/ack",
            data={"decision": "benign", "csrf": csrf},
            headers={"Origin": "https://evil.test"},
        )
        assert cross.status_code == 403
        store = open_store(site.db, readonly=True)
        try:
            inc = store.incident(hijack_id)
        finally:
            store.close()
        assert inc is not None and inc.status == "open"

    def test_benign_teaches_the_baseline(
        self, client: FlaskClient, csrf: str, site: Site, hijack_id: int
    ) -> None:
        """Benign marks the incident and accepts its facts into the account's profile."""
        response = client.post(
            f"/incidents/{hijack_id}/ack",
            data={"decision": "benign", "csrf": csrf, "confirm": "yes", "override": "yes"},
            headers={"Origin": "http://localhost"},
        )
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).data.decode()
        assert f"Incident #{hijack_id} marked benign." in page
        assert "Learned as normal: " in page
        assert "From addresses: x&lt;script&gt;alert(3)&lt;/script&gt;@evil.test" in page
        store = open_store(site.db, readonly=True)
        try:
            inc = store.incident(hijack_id)
            profile = store.load_profile("alice@example.com")
        finally:
            store.close()
        assert inc is not None and inc.status == "benign"
        assert profile is not None
        assert profile.is_accepted("froms", "x<script>alert(3)</script>@evil.test")

    def test_resolve_and_bad_requests(
        self, client: FlaskClient, csrf: str, site: Site, hijack_id: int
    ) -> None:
        """Resolve closes without teaching; unknown decisions and incidents are refused."""
        assert (
            client.post(
                f"/incidents/{hijack_id}/ack", data={"decision": "maybe", "csrf": csrf}
            ).status_code
            == 400
        )
        assert (
            client.post(
                "/incidents/999/ack", data={"decision": "resolved", "csrf": csrf}
            ).status_code
            == 404
        )
        assert (
            client.post(
                f"/incidents/{hijack_id}/ack", data={"decision": "resolved", "csrf": csrf}
            ).status_code
            == 302
        )
        store = open_store(site.db, readonly=True)
        try:
            inc = store.incident(hijack_id)
            profile = store.load_profile("alice@example.com")
        finally:
            store.close()
        assert inc is not None and inc.status == "resolved"
        assert profile is not None and not profile.accepted


class TestEscaping:
    def test_incident_page_shows_hostile_text_as_text(
        self, client: FlaskClient, hijack_id: int
    ) -> None:
        """Subject, From and user agent from the logs never become markup."""
        page = client.get(f"/incidents/{hijack_id}").data.decode()
        assert "Subject: &lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "x&lt;script&gt;alert(3)&lt;/script&gt;@evil.test" in page
        assert "<script" not in page
        assert "<img" not in page

    def test_account_page_shows_hostile_agent_as_text(self, client: FlaskClient) -> None:
        """The timeline shows the attacker's user agent escaped."""
        page = client.get("/accounts/alice@example.com?days=28").data.decode()
        assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;Mozilla/5.0" in page
        assert "<img" not in page and "<script" not in page
        assert page.count("<svg") == 3

    def test_search_query_is_escaped(self, client: FlaskClient) -> None:
        """A hostile search term comes back as text."""
        page = client.get("/search?q=<script>alert(9)</script>").data.decode()
        assert "&lt;script&gt;alert(9)&lt;/script&gt;" in page
        assert "<script" not in page


class TestSearchAndReport:
    def test_search_by_queue_id(self, client: FlaskClient, hijack_id: int, hijack_qid: str) -> None:
        """A Queue-ID finds the incident whose evidence names it, with the line."""
        qid = hijack_qid
        page = client.get(f"/search?q={qid}").data.decode()
        assert f'href="/incidents/{hijack_id}"' in page
        assert f"Queue-ID: {qid}" in page

    def test_search_by_ip_and_account(self, client: FlaskClient) -> None:
        """An IP finds the activity it appears in; part of an address finds the account."""
        page = client.get("/search?q=198.51.100.77").data.decode()
        assert "carol@example.com" in page and "invalid_password" in page
        page = client.get("/search?q=bob@").data.decode()
        assert 'href="/accounts/bob@example.com"' in page

    def test_report_downloads(self, client: FlaskClient) -> None:
        """The report as an offline file and as JSON, with the mail server in the rule."""
        html = client.get("/report.html")
        assert "attachment" in html.headers["Content-Disposition"]
        assert b"ip saddr 192.168.1.5" in html.data
        data = json.loads(client.get("/report.json").data)
        assert data["hardening"]["egress"]["mail_server"] == "192.168.1.5"
        assert (
            client.get("/report?since=2026-03-20T00:00&until=2026-03-19T00:00").status_code == 400
        )
        assert client.get("/report?since=soon").status_code == 400

    def test_unknown_things_are_404(self, client: FlaskClient) -> None:
        """Missing incidents and accounts give a 404 page."""
        assert client.get("/incidents/999").status_code == 404
        assert client.get("/accounts/nobody@example.com").status_code == 404
        assert client.get("/accounts/alice@example.com?days=x").status_code == 400


class TestAcrossDaylightSaving:
    def test_an_account_page_covers_whole_local_days(
        self, demo_site: Path, demo_copy: Path
    ) -> None:
        """The demo's last week spans the change to summer time: an account page over N
        days starts at the same time of day as it ends (it started an hour earlier)."""
        config = load_config(demo_site / "kerio-watch.toml")
        app = create_app(WebSettings(), demo_copy, config, MAIL_SERVER, TOKEN)
        app.testing = True
        c = app.test_client()
        assert c.get(f"/login?token={TOKEN}").status_code == 302
        account = "agnieszka.schulte@example.com"  # active on the last day, in summer time
        for days in (7, 14):
            page = c.get(f"/accounts/{account}?days={days}").data.decode()
            found = re.search(
                r"(\d{4}-\d\d-\d\d) (\d\d:\d\d) – (\d{4}-\d\d-\d\d) (\d\d:\d\d)", page
            )
            assert found is not None, page[:2000]
            start, end = found.groups()[1], found.groups()[3]
            assert start == end, found.group(0)
