"""The dashboard's incident page for an administrator session from outside: the step that
names what to undo, and each rule's signal count said in words."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from kerio_watch.store import open_store
from sitelogs import Site
from test_admin_advice import takeover

from .conftest import TOKEN


def test_the_incident_page(site: Site, make_app: Callable[..., Flask]) -> None:
    """ "3 signals" beside the rule (it said "× 3"); the changes to undo, escaped."""
    inc, _ = takeover()
    inc.id = 9999
    store = open_store(site.db)
    try:
        store.save_incidents([inc])
    finally:
        store.close()
    client = make_app().test_client()
    assert client.get(f"/login?token={TOKEN}").status_code == 302
    page = client.get("/incidents/9999").data.decode()
    assert "3 signals</span>" in page and "× 3" not in page
    assert "Undo what the administrator session changed" in page
    assert "user backup-svc created at" in page
    assert "forwarding on niklas.meyer\\x1b[2J set at" in page
