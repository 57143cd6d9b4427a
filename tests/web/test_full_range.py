"""The dashboard over a database holding year-9999 times (issue 9, defect 2)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from faultlib import poison
from sitelogs import Site


@pytest.fixture
def poisoned(site: Site) -> Site:
    poison(site.db)
    return site


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/incidents",
        "/accounts",
        "/accounts/alice@example.com",
        "/report",
        "/report.json",
        "/report.html",
    ],
)
def test_pages_render(poisoned: Site, client: FlaskClient, path: str) -> None:
    """Every page renders (main: 500 on the home, accounts and report pages)."""
    assert client.get(path).status_code == 200
