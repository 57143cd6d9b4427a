"""Fixtures for dashboard tests: the report tests' scanned site, an app, a logged-in client."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

import sitelogs
from kerio_watch.app.config import load_config
from kerio_watch.store import open_store
from kerio_watch.web.app import create_app
from kerio_watch.web.settings import WebSettings
from sitelogs import Site

TOKEN = "test-token-" + "x" * 24
MAIL_SERVER = "192.168.1.5"


@pytest.fixture
def make_app(site: Site) -> Callable[..., Flask]:
    """Build the dashboard over the site copy with chosen settings."""

    def make(settings: WebSettings | None = None, start_token: str | None = TOKEN) -> Flask:
        config = load_config(site.config)
        app = create_app(settings or WebSettings(), site.db, config, MAIL_SERVER, start_token)
        app.testing = True
        return app

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """The dashboard with a start token."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A client that has logged in with the token."""
    c = app.test_client()
    response = c.get(f"/login?token={TOKEN}")
    assert response.status_code == 302
    return c


@pytest.fixture
def csrf(client: FlaskClient) -> str:
    """The logged-in client's CSRF token."""
    with client.session_transaction() as session:
        token = session["csrf"]
    assert isinstance(token, str)
    return token


@pytest.fixture(scope="session")
def hijack_id(scanned_site: Site) -> int:
    """The id of alice's hijack incident (ids depend on which detectors fired first)."""
    store = open_store(scanned_site.db, readonly=True)
    try:
        found = store.incidents(key="alice@example.com")
    finally:
        store.close()
    assert found, "the hijack raised no incident"
    return max(found, key=lambda i: i.updated).id


@pytest.fixture(scope="session")
def hijack_qid() -> str:
    """The Queue-ID of the first hijack message."""
    qid: str = sitelogs.hijack_queue_id()
    return qid
