"""The dashboard: the queue and the API's state, the journal on the incident page, and
the release button behind its confirmation (CSRF-checked), through the emulator."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from kerio_watch.cli import main
from kerio_watch.respond.contain import Containment
from kerio_watch.severity import Severity
from kerio_watch.store import open_store
from kerio_watch.store.sqlite.responses import ResponseStore
from kerio_watch.values.incident import Incident
from kerio_watch.values.profile import Profile
from kerio_watch.web.app import create_app
from kerio_watch.web.settings import WebSettings

from .conftest import Kerio

TOKEN = "t" * 40
ALICE = "alice@example.com"


@pytest.fixture
def contained(kerio: Kerio, tmp_path: Path) -> Path:
    """A state database with incident #5 contained for real (and a poll's queue)."""
    db = tmp_path / "state.db"
    store = open_store(db)
    now = int(time.time())
    inc = Incident(5, ALICE, now - 60, now, severity=Severity.CRITICAL, first_signal=now - 60)
    inc.source_ips = ["185.1.2.3"]
    with store.transaction():
        store.save_incidents([inc])
        store.save_profiles([Profile(ALICE)])
        store.add_activity({(now // 3600, ALICE, "send", "SMTP|185.1.2.3|x@evil.test"): 40})
        store.set_meta(
            "kerio_api.status", json.dumps({"state": "ok", "url": "https://k", "polls": 3})
        )
        store.set_meta("kerio_api.queue", json.dumps({"polled": now, "total": 41, "read": 41,
                                                      "deferred": 30}))  # fmt: skip
        ResponseStore(store).replace_queue([{"account": ALICE, "queued": 40, "deferred": 30,
                                             "domains": 12, "oldest_age": 300,
                                             "ips": ["185.1.2.3"]}], now)  # fmt: skip
    config = kerio.config(contain={"actions": {"critical": ["stop_sending", "block_ip"]},
                                   "dry_run": False})  # fmt: skip
    client = kerio.client()
    Containment(config, ResponseStore(store), lambda: client, lambda t: t).consider(inc)
    store.close()
    return db


@pytest.fixture
def web(kerio: Kerio, contained: Path) -> FlaskClient:
    config = kerio.config()
    app = create_app(WebSettings(), contained, config, None, TOKEN)
    app.testing = True
    c = app.test_client()
    assert c.get(f"/login?token={TOKEN}").status_code == 302
    return c


def csrf_of(c: FlaskClient) -> str:
    with c.session_transaction() as session:
        token = session["csrf"]
    assert isinstance(token, str)
    return token


def test_pages_show_the_queue_and_the_containment(web: FlaskClient) -> None:
    home = web.get("/").get_data(as_text=True)
    assert "Kerio API" in home and "41 messages, 30 deferred" in home
    account = web.get(f"/accounts/{ALICE}").get_data(as_text=True)
    page = web.get("/incidents/5").get_data(as_text=True)
    assert "Containment" in page and "stop sending alice@example.com: done" in page
    assert "block address 185.1.2.3: done" in page
    assert "Users.set" in page and "I confirm the release" in page
    assert "Kerio queue (API): 40 queued (30 deferred) to 12 domains" in account


def test_release_needs_the_token_and_the_confirmation(web: FlaskClient, kerio: Kerio) -> None:
    assert web.post("/incidents/5/release", data={"confirm": "yes"}).status_code == 400
    token = csrf_of(web)
    assert web.post("/incidents/5/release", data={"csrf": token}).status_code == 400
    assert not kerio.state.may_send(ALICE, "x@spam.test", None)
    done = web.post("/incidents/5/release", data={"csrf": token, "confirm": "yes",
                                                   "reason": "<b>false alarm</b>"})  # fmt: skip
    assert done.status_code == 302
    assert kerio.state.may_send(ALICE, "x@spam.test", "185.1.2.3")
    page = web.get("/incidents/5").get_data(as_text=True)
    assert "released by dashboard" in page and "&lt;b&gt;false alarm&lt;/b&gt;" in page
    assert "I confirm the release" not in page


@pytest.mark.parametrize("fmt", ["text", "html", "json"])
def test_the_report_has_a_kerio_api_section(contained: Path, fmt: str) -> None:
    result = CliRunner().invoke(main, ["report", "--db", str(contained), "--format", fmt])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "41 messages" in out or '"queue_total": 41' in out
    assert "stop sending" in out and "block address" in out
    assert "Kerio API" in out or '"response": {' in out
    if fmt == "json":  # times in ISO 8601 with the server's offset, like every JSON time
        section = json.loads(out)["response"]
        times = [section["polled"], section["senders"][0]["polled"]]
        times += [a["when"] for a in section["actions"]]
        assert all(dt.datetime.fromisoformat(x).utcoffset() is not None for x in times)
    else:
        assert "(UTC)" not in out  # the report's own clock, as for every time in it


def test_contain_from_the_dashboard(kerio: Kerio, tmp_path: Path) -> None:
    """A medium incident is contained from its page, behind the token and the ticked
    confirmation; the page then shows the journal and the release button."""
    db = tmp_path / "state.db"
    store = open_store(db)
    now = int(time.time())
    inc = Incident(6, ALICE, now - 60, now, severity=Severity.MEDIUM, first_signal=now - 60)
    inc.source_ips = ["185.1.2.9"]
    with store.transaction():
        store.save_incidents([inc])
    store.close()
    config = kerio.config(contain={"dry_run": False})
    app = create_app(WebSettings(), db, config, None, TOKEN)
    app.testing = True
    web = app.test_client()
    assert web.get(f"/login?token={TOKEN}").status_code == 302
    page = web.get("/incidents/6").get_data(as_text=True)
    assert "I confirm the containment" in page and "a dry run" not in page
    assert web.post("/incidents/6/contain", data={"confirm": "yes"}).status_code == 400
    token = csrf_of(web)
    assert web.post("/incidents/6/contain", data={"csrf": token}).status_code == 400
    assert kerio.state.may_send(ALICE, "x@spam.test", "185.1.2.9")
    done = web.post("/incidents/6/contain", data={"csrf": token, "confirm": "yes",
                                                  "reason": "<i>owner phoned</i>"})  # fmt: skip
    assert done.status_code == 302
    assert not kerio.state.may_send(ALICE, "x@spam.test", "185.1.2.9")
    page = web.get("/incidents/6").get_data(as_text=True)
    assert "stop sending alice@example.com: done" in page and "I confirm the release" in page
    again = web.post("/incidents/6/contain", data={"csrf": token, "confirm": "yes"},
                     follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "already contained" in again
    assert (
        web.post("/incidents/99/contain", data={"csrf": token, "confirm": "yes"}).status_code == 404
    )
