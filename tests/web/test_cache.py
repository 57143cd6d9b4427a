"""The dashboard reuses a built report until the state database changes."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from kerio_watch.store.sqlite import SQLiteStore
from kerio_watch.web.cache import ReportCache


def test_any_commit_changes_the_version(tmp_path: Path) -> None:
    """A commit through another connection (a follower, a scan) changes the key."""
    db = tmp_path / "state.db"
    writer = SQLiteStore(db)
    cache = ReportCache(db)
    built: list[int] = []

    def build() -> int:
        built.append(1)
        return len(built)

    assert cache.get(("week",), build) == 1
    assert cache.get(("week",), build) == 1  # reused
    assert cache.get(("month",), build) == 2  # another question
    for n in range(3):
        with writer.transaction():
            writer.set_meta("heartbeat", str(n))
        assert cache.get(("week",), build) == 3 + n
    assert cache.builds == 5
    writer.close()


def test_size_is_bounded(tmp_path: Path) -> None:
    cache = ReportCache(tmp_path / "state.db", size=3)
    for i in range(10):
        cache.get((i,), lambda i=i: i)  # type: ignore[misc]
    assert len(cache.items) == 3
    assert [k[-1] for k in cache.items] == [7, 8, 9]


def test_home_page_reuses_the_report_until_an_acknowledgement(
    app: Flask, client: FlaskClient, csrf: str, hijack_id: int
) -> None:
    reports: ReportCache = app.extensions["kerio_watch.reports"]
    first = client.get("/").data
    assert reports.builds == 1
    assert client.get("/").data == first
    client.get("/report")  # the same default period
    assert reports.builds == 1
    response = client.post(
        f"/incidents/{hijack_id}/ack",
        data={"decision": "resolved", "csrf": csrf},
        headers={"Origin": "http://localhost"},
    )
    assert response.status_code == 302
    after = client.get("/").data
    assert reports.builds == 2
    assert after != first
