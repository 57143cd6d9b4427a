"""The admin's workflow in the dashboard (issue 12), through Flask's test client.

Benign asks and can be undone; high and critical incidents show what to do now; the
incident lists filter, sort and page; the home page has a time range and reloads
itself without script; an address page shows what one outside address did.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from kerio_watch.app.config import load_config
from kerio_watch.store import open_store
from kerio_watch.web.app import create_app
from kerio_watch.web.settings import WebSettings
from sitelogs import ATTACKER_IP, GUESSER_IP, Site

TOKEN = "test-token-" + "x" * 24
ORIGIN = {"Origin": "http://localhost"}


def login(app: Flask) -> tuple[FlaskClient, str]:
    """A logged-in client and its CSRF token."""
    c = app.test_client()
    assert c.get(f"/login?token={TOKEN}").status_code == 302
    with c.session_transaction() as session:
        csrf = session["csrf"]
    return c, str(csrf)


@pytest.fixture
def demo_client(demo_site: Path, demo_copy: Path) -> Iterator[tuple[FlaskClient, str, Path]]:
    """The dashboard over a private copy of the demo's database."""
    config = load_config(demo_site / "kerio-watch.toml")
    app = create_app(WebSettings(), demo_copy, config, start_token=TOKEN)
    app.testing = True
    c, csrf = login(app)
    yield c, csrf, demo_copy


def profile_json(db: Path, account: str) -> str:
    """The stored profile."""
    store = open_store(db, readonly=True)
    try:
        prof = store.load_profile(account)
    finally:
        store.close()
    assert prof is not None
    return json.dumps(prof.to_dict(), sort_keys=True)


def status_of(db: Path, incident_id: int) -> str:
    """The stored status."""
    store = open_store(db, readonly=True)
    try:
        inc = store.incident(incident_id)
    finally:
        store.close()
    assert inc is not None
    return inc.status


class TestBenignConfirmAndUndo:
    def test_the_benign_button_only_opens_the_confirmation(
        self, client: FlaskClient, csrf: str, site: Site, hijack_id: int
    ) -> None:
        """A POST without the confirmation teaches nothing; the page lists every value."""
        before = profile_json(site.db, "alice@example.com")
        response = client.post(
            f"/incidents/{hijack_id}/ack", data={"decision": "benign", "csrf": csrf}, headers=ORIGIN
        )
        assert response.status_code == 302
        assert response.headers["Location"] == f"/incidents/{hijack_id}/benign"
        assert profile_json(site.db, "alice@example.com") == before
        assert status_of(site.db, hijack_id) == "open"
        page = client.get(f"/incidents/{hijack_id}/benign?override=yes").data.decode()
        assert "What it will teach" in page
        from kerio_watch.incidents.ack import preview  # noqa: PLC0415 (new in issue 12)

        store = open_store(site.db, readonly=True)
        try:
            inc = store.incident(hijack_id)
            assert inc is not None
            lesson = preview(store, inc)
        finally:
            store.close()
        values = [str(v) for vs in lesson.values() for v in vs]
        assert len(values) > 20 and ATTACKER_IP in values
        for value in values:  # every value, none hidden behind "+N more"
            assert str(escape(value)) in page
        assert "you said you asked the account's owner" in page  # critical: the box ticked
        assert 'name="override" value="yes"' in page
        assert "<script" not in page

    def test_a_critical_incident_is_refused_before_the_lesson(
        self, client: FlaskClient, site: Site, hijack_id: int
    ) -> None:
        """As ``kerio-watch ack --benign``: the page for a critical incident refuses first
        (it listed the whole lesson, and the box to tick came after it); the lesson is
        shown once the box says the owner was asked."""
        page = client.get(f"/incidents/{hijack_id}/benign").data.decode()
        assert "Refused: this incident is critical" in page
        assert "I asked the account's owner" in page
        assert "What it will teach" not in page and 'class="panel lesson"' not in page
        assert 'method="get"' in page and 'name="override"' in page
        page = client.get(f"/incidents/{hijack_id}/benign?override=yes").data.decode()
        assert "Refused" not in page and 'class="panel lesson"' in page

    def test_critical_needs_the_box_ticked(
        self, client: FlaskClient, csrf: str, site: Site, hijack_id: int
    ) -> None:
        """Confirmed but not overridden: refused, back to the confirmation."""
        response = client.post(
            f"/incidents/{hijack_id}/ack",
            data={"decision": "benign", "csrf": csrf, "confirm": "yes"},
            headers=ORIGIN,
        )
        assert response.headers["Location"] == f"/incidents/{hijack_id}/benign"
        assert status_of(site.db, hijack_id) == "open"
        page = client.get(response.headers["Location"]).data.decode()
        assert "tick the box" in page and "Refused: this incident is critical" in page

    def test_confirm_then_undo_restores_the_profile_exactly(
        self, client: FlaskClient, csrf: str, site: Site, hijack_id: int
    ) -> None:
        """Benign with reason and notes, shown in the history; undo removes exactly it."""
        before = profile_json(site.db, "alice@example.com")
        response = client.post(
            f"/incidents/{hijack_id}/ack",
            data={
                "decision": "benign", "csrf": csrf, "confirm": "yes", "override": "yes",
                "why": "she was at a conference", "notes": "asked by phone", "by": "Eva",
            },
            headers=ORIGIN,
        )  # fmt: skip
        assert response.headers["Location"] == f"/incidents/{hijack_id}"
        assert status_of(site.db, hijack_id) == "benign"
        page = client.get(f"/incidents/{hijack_id}").data.decode()
        assert "she was at a conference" in page and "asked by phone" in page and "Eva" in page
        assert "Undo this decision" in page
        undone = client.post(
            f"/incidents/{hijack_id}/undo",
            data={"csrf": csrf, "why": "it was a hijack after all"},
            headers=ORIGIN,
        )
        assert undone.status_code == 302
        assert status_of(site.db, hijack_id) == "open"
        assert profile_json(site.db, "alice@example.com") == before
        page = client.get(f"/incidents/{hijack_id}").data.decode()
        assert "it was a hijack after all" in page and "undone" in page
        assert "No longer normal" in page

    def test_undo_needs_a_decision_and_the_csrf_token(
        self, client: FlaskClient, csrf: str, hijack_id: int
    ) -> None:
        """Nothing to undo is a 409; without the token a 400."""
        assert client.post(f"/incidents/{hijack_id}/undo", headers=ORIGIN).status_code == 400
        assert (
            client.post(
                f"/incidents/{hijack_id}/undo", data={"csrf": csrf}, headers=ORIGIN
            ).status_code
            == 409
        )
        assert client.post("/incidents/999/undo", data={"csrf": csrf}).status_code == 404

    def test_hours_read_as_hours_of_the_day(
        self, client: FlaskClient, csrf: str, site: Site, hijack_id: int
    ) -> None:
        """The confirmation page and the decision history name what the hours are."""
        store = open_store(site.db)
        try:
            inc = store.incident(hijack_id)
            assert inc is not None
            inc.facts["hours"] = [3, 4]
            store.save_incidents([inc])
        finally:
            store.close()
        page = client.get(f"/incidents/{hijack_id}/benign?override=yes").data.decode()
        assert "hours of the day, on any day" in page and "03:00-04:00, 04:00-05:00" in page
        client.post(
            f"/incidents/{hijack_id}/ack",
            data={"decision": "benign", "csrf": csrf, "confirm": "yes", "override": "yes"},
            headers=ORIGIN,
        )
        page = client.get(f"/incidents/{hijack_id}").data.decode()
        assert "<dt>hours of the day, on any day</dt>" in page and "03:00-04:00" in page

    def test_a_decided_incident_is_not_decided_again(
        self, client: FlaskClient, csrf: str, site: Site, hijack_id: int
    ) -> None:
        """A Resolved form sent twice (or from a stale page) made a second decision in
        force under the first; one undo then reopened the incident with the first still
        shown in force. Now the second is a 409 naming the first, like ``ack``."""
        url = f"/incidents/{hijack_id}"
        form = {"decision": "resolved", "csrf": csrf, "why": "password changed"}
        assert client.post(f"{url}/ack", data=form, headers=ORIGIN).status_code == 302
        again = client.post(f"{url}/ack", data=form | {"why": "again"}, headers=ORIGIN)
        assert again.status_code == 409
        said = again.data.decode()
        assert f"incident {hijack_id} is already resolved (decision " in said
        assert "undo it first" in said
        benign = client.post(
            f"{url}/ack",
            data={"decision": "benign", "csrf": csrf, "confirm": "yes", "override": "yes"},
            headers=ORIGIN,
        )
        assert benign.status_code == 409
        assert client.get(f"{url}/benign").status_code == 409
        assert status_of(site.db, hijack_id) == "resolved"
        assert client.post(f"{url}/undo", data={"csrf": csrf}, headers=ORIGIN).status_code == 302
        assert status_of(site.db, hijack_id) == "open"
        store = open_store(site.db, readonly=True)
        try:
            history = store.decisions(hijack_id)
        finally:
            store.close()
        assert [(d.decision, d.active) for d in history] == [("resolved", False), ("undo", False)]
        nothing = client.post(f"{url}/undo", data={"csrf": csrf}, headers=ORIGIN)
        assert nothing.status_code == 409


class TestWhatToDoNow:
    def test_the_steps_name_the_account_and_the_address(
        self, client: FlaskClient, hijack_id: int
    ) -> None:
        """A critical incident says what to do in Kerio Connect, for this account."""
        page = client.get(f"/incidents/{hijack_id}").data.decode()
        todo = page[page.index("What to do now") : page.index("<h2>Why")]
        assert "Accounts &gt; Users, edit alice@example.com and set a new password" in todo
        assert "Status &gt; Active Connections" in todo
        assert "forwarding" in todo and "filter rules" in todo
        assert "Status &gt; Message Queue" in todo
        assert f"block {ATTACKER_IP}" in todo
        assert "owner&#39;s own devices" in todo

    def test_not_for_low_incidents(self, client: FlaskClient, site: Site) -> None:
        """The guessing source's low incident has no steps."""
        store = open_store(site.db, readonly=True)
        try:
            low = store.incidents(key=f"ip:{GUESSER_IP}")[0]
        finally:
            store.close()
        assert "What to do now" not in client.get(f"/incidents/{low.id}").data.decode()


class TestLists:
    def test_after_the_demo_the_home_page_counts_the_hijacks(
        self, demo_client: tuple[FlaskClient, str, Path]
    ) -> None:
        """It showed 0 critical and 0 high right after five hijacks."""
        c, _, _ = demo_client
        page = c.get("/").data.decode()
        found = re.findall(r'<div class="value">(\d+)</div><div class="label">(\w+)', page)
        by_label = {label: int(n) for n, label in found}  # two labels may share a count
        assert by_label["critical"] >= 4 and by_label["critical"] + by_label["high"] >= 5

    def test_filter_sort_and_page(self, demo_client: tuple[FlaskClient, str, Path]) -> None:
        """Status and severity filters, sorting by a column, fifty rows a page."""
        c, _, _ = demo_client
        page = c.get("/incidents?status=all&sort=id&order=asc").data.decode()
        ids = [int(x) for x in re.findall(r'<td class="num"><a href="/incidents/(\d+)"', page)]
        assert len(ids) == 50 and ids == sorted(ids) and ids[0] == 1
        total = int(re.search(r"1–50 of (\d+)", page).group(1))  # type: ignore[union-attr]
        assert total > 100
        second = c.get("/incidents?status=all&sort=id&order=asc&page=2").data.decode()
        ids2 = [int(x) for x in re.findall(r'<td class="num"><a href="/incidents/(\d+)"', second)]
        assert ids2[0] == ids[-1] + 1 and "page 2 of" in second
        high = c.get("/incidents?status=open&severity=high").data.decode()
        assert "critical" in high and 'class="sev sev-low"' not in high
        closed = c.get("/incidents?status=closed").data.decode()
        assert "<h1>Incidents</h1>" in closed and "page 1 of" in closed
        assert len(re.findall(r"<tr>", closed)) <= 51
        assert c.get("/incidents?status=all&page=999").status_code == 404
        huge = c.get("/incidents?status=all&page=999999")
        assert huge.status_code == 400 and "from 1 to 100,000" in huge.data.decode()
        assert c.get("/incidents?sort=password").status_code == 400
        assert c.get("/incidents?severity=urgent").status_code == 400

    def test_sort_by_score_both_ways(self, demo_client: tuple[FlaskClient, str, Path]) -> None:
        """Clicking a header again reverses the order."""
        c, _, _ = demo_client
        page = c.get("/incidents?status=all&sort=score&order=desc").data.decode()
        scores = [int(x) for x in re.findall(r'<td class="num">(\d+)</td>', page)]
        assert scores == sorted(scores, reverse=True)
        assert "sort=score&amp;order=asc" in page
        page = c.get("/incidents?status=all&sort=score&order=asc").data.decode()
        scores = [int(x) for x in re.findall(r'<td class="num">(\d+)</td>', page)]
        assert scores == sorted(scores)

    def test_accounts_page_shows_the_open_hijack(
        self, demo_client: tuple[FlaskClient, str, Path], demo_site: Path
    ) -> None:
        """The account that sent to thousands has an open incident on the Accounts page."""
        c, _, _ = demo_client
        truth = json.loads((demo_site / "truth.json").read_text(encoding="utf-8"))
        account = next(s["account"] for s in truth["scenarios"] if s["kind"] == "night_burst")
        page = c.get("/accounts").data.decode()
        row = page[page.index(f'href="/accounts/{account}"') :].split("</tr>")[0]
        assert 'class="sev sev-critical"' in row


class TestHomePage:
    def test_time_range(self, demo_client: tuple[FlaskClient, str, Path]) -> None:
        """1, 7 or 28 days, or a from/to; a daylight-saving week still starts at midnight."""
        c, _, _ = demo_client
        week = c.get("/").data.decode()
        assert "Traffic Mon 2026-03-23 00:00 – Mon 2026-03-30 00:00" in week
        day = c.get("/?days=1").data.decode()
        assert "Traffic Sun 2026-03-29 00:00 – Mon 2026-03-30 00:00" in day
        custom = c.get("/?since=2026-03-10T00:00&until=2026-03-12T00:00").data.decode()
        assert "Traffic Tue 2026-03-10 00:00 – Thu 2026-03-12 00:00" in custom
        assert c.get("/?days=5").status_code == 400
        assert c.get("/?since=later").status_code == 400

    def test_reloads_itself_without_script(self, client: FlaskClient, hijack_id: int) -> None:
        """A meta refresh on the home page and the lists, none on forms; the CSP stays."""
        home = client.get("/")
        assert '<meta http-equiv="refresh" content="60">' in home.data.decode()
        assert "script-src" not in home.headers["Content-Security-Policy"]
        assert '<meta http-equiv="refresh"' in client.get("/incidents").data.decode()
        assert '<meta http-equiv="refresh"' not in client.get("/?refresh=off").data.decode()
        for page in (f"/incidents/{hijack_id}", f"/incidents/{hijack_id}/benign"):
            assert '<meta http-equiv="refresh"' not in client.get(page).data.decode()


class TestAddressPage:
    def test_everything_the_attacker_did(self, client: FlaskClient, hijack_id: int) -> None:
        """Logins and mail from the address, the account it used, the incident."""
        page = client.get(f"/addresses/{ATTACKER_IP}").data.decode()
        assert "outside the trusted networks" in page
        assert 'href="/accounts/alice@example.com"' in page
        assert "logged in" in page and "sent mail" in page and "HTTP/WebMail" in page
        assert f'href="/incidents/{hijack_id}"' in page
        assert "x&lt;script&gt;alert(3)&lt;/script&gt;@evil.test" in page  # the From used
        assert "<script" not in page and "<img" not in page

    def test_a_guessing_source_across_accounts(self, client: FlaskClient) -> None:
        """Failed logins, which accounts were tried and why they failed."""
        page = client.get(f"/addresses/{GUESSER_IP}").data.decode()
        assert "failed to log in" in page and "carol@example.com" in page
        assert "invalid password" in page

    def test_exact_addresses_only(self, client: FlaskClient) -> None:
        """203.0.113.6 is not 203.0.113.66; a non-address is refused."""
        page = client.get("/addresses/203.0.113.6").data.decode()
        assert "alice@example.com" not in page
        assert client.get("/addresses/not-an-ip").status_code == 400
        assert client.get("/addresses/<script>").status_code in (400, 404)

    def test_linked_from_the_incident_and_search(self, client: FlaskClient, hijack_id: int) -> None:
        """The incident's addresses and an IP search lead to it."""
        assert (
            f'href="/addresses/{ATTACKER_IP}"'
            in client.get(f"/incidents/{hijack_id}").data.decode()
        )
        assert (
            f'href="/addresses/{ATTACKER_IP}"'
            in client.get(f"/search?q={ATTACKER_IP}").data.decode()
        )


def test_the_incident_page_says_since_when_the_verdict_runs(
    client: FlaskClient, site: Site
) -> None:
    """Opened by the owner's phone days before the hijack: the page says since when its
    severity's evidence runs, and what to do names the intruder's address only."""
    from kerio_watch.incidents.engine import IncidentEngine  # noqa: PLC0415
    from kerio_watch.values.signal import Signal  # noqa: PLC0415

    engine = IncidentEngine(lambda: 9001, str)
    carol, day, start = "carol@example.com", 86400, 1_773_900_000  # 2026-03-19
    for half_day in range(6):  # the phone, twice a day: one low incident stays open
        at = start + half_day * day // 2
        engine.ingest(Signal("kerio.net.new_host", carol, at, 15, "p", "109.43.0.1", side="access"))
    hijack = start + 3 * day
    engine.ingest(Signal("kerio.net.new_host", carol, hijack, 25, "x", "185.1.2.3", side="access"))
    engine.ingest(Signal("kerio.mail.volume", carol, hijack + 60, 60, "v", "185.1.2.3", side="use"))
    engine.ingest(
        Signal("kerio.net.new_host", carol, hijack + day, 10, "p", "109.43.0.9", side="access")
    )
    store = open_store(site.db)
    with store.transaction():
        store.save_incidents(engine.take_changed())
    store.close()
    page = client.get("/incidents/9001").data.decode()
    assert re.search(r"high since 2026-03-2[12]", page), page[:2000]
    assert "block 185.1.2.3" in page and "block 109.43" not in page
