"""The state database does not grow without end: ``[state] activity_days`` and the
pruning of per-IP state, by log time, on a real SQLite file."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from factories import ALICE, at, failed, feed, pipeline, recv
from kerio_watch.app.config import config_from_dict
from kerio_watch.errors import ConfigError
from kerio_watch.events import MessageReceived
from kerio_watch.pipeline import IP_STATE_DAYS
from kerio_watch.store.sqlite import SQLiteStore
from logtools import recv_line


def hours_kept(path: Path) -> list[int]:
    with sqlite3.connect(path) as db:
        return [h for (h,) in db.execute("SELECT DISTINCT hour FROM activity ORDER BY hour")]


def days_sent(days: int) -> list[MessageReceived]:
    """One message from Alice at 09:00 on each of ``days`` days."""
    return [recv(at(day, "09:00")) for day in range(1, days + 1)]


def test_activity_older_than_the_setting_is_deleted(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    p = pipeline("from_mismatch", store=store, state={"activity_days": 3})
    feed(p, days_sent(10))
    p.save()
    kept = hours_kept(tmp_path / "state.db")
    assert kept, "the newest days are kept"
    newest = at(10, "09:00")
    assert min(kept) * 3600 >= newest - 3 * 86400 - 3600
    assert max(kept) * 3600 == newest // 3600 * 3600


def test_zero_keeps_everything(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    p = pipeline("from_mismatch", store=store, state={"activity_days": 0})
    feed(p, days_sent(10))
    p.save()
    assert len({h // 24 for h in hours_kept(tmp_path / "state.db")}) == 10


def test_default_keeps_more_than_a_year() -> None:
    assert config_from_dict({}).state.activity_days >= 366


def test_pruning_runs_once_a_log_day_by_log_time(tmp_path: Path) -> None:
    """A checkpoint later the same log day deletes nothing more; the wall clock is not
    involved (the log is from 2026-03)."""
    store = SQLiteStore(tmp_path / "state.db")
    p = pipeline("from_mismatch", store=store, state={"activity_days": 2})
    feed(p, days_sent(5))
    p.save(final=False)
    first = hours_kept(tmp_path / "state.db")
    with store.transaction():
        store.add_activity({(at(1, "08:00") // 3600, ALICE, "send", "x"): 1})
    p.save(final=False)  # same log day: not pruned again
    assert len(hours_kept(tmp_path / "state.db")) == len(first) + 1
    feed(p, [recv(at(6, "09:00"))])
    p.save(final=False)  # a new log day: pruned
    assert min(hours_kept(tmp_path / "state.db")) * 3600 >= at(6, "09:00") - 2 * 86400 - 3600


def test_quiet_addresses_are_forgotten(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    p = pipeline("auth", store=store)
    feed(p, [failed(at(1, "03:00") + i, "198.51.100.7", ALICE) for i in range(5)])
    p.save(final=False)
    with store.transaction():
        assert "198.51.100.7" in store.load_ip_state(0)
    later = at(1 + IP_STATE_DAYS + 1, "03:00")
    feed(p, [failed(later, "203.0.113.9", ALICE)])
    p.save(final=False)
    saved = store.load_ip_state(0)
    assert "203.0.113.9" in saved
    assert "198.51.100.7" not in saved


def test_store_prune_methods(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    with store.transaction():
        store.add_activity({(h, ALICE, "send", "k"): 1 for h in range(100, 110)})
        store.save_ip_state({"a": {"updated": 10}, "b": {"updated": 20}})
    with store.transaction():
        assert store.prune_activity(105 * 3600) == 5
        assert store.prune_ip_state(15) == 1
    assert [r[0] // 3600 for r in store.activity()] == list(range(105, 110))
    assert set(store.load_ip_state(0)) == {"b"}


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (
            {"activity_days": -1},
            "state.activity_days: expected 0 (keep forever) or a positive whole number of "
            "days, at most 36500, got -1",
        ),
        ({"activity_days": "1y"}, "state.activity_days: expected 0 (keep forever) or a"),
        ({"days": 3}, "state.days: unknown key"),
        (  # a number SQLite cannot hold made every scan and follow crash at its first prune
            {"activity_days": 10**20},
            "state.activity_days: expected 0 (keep forever) or a positive whole number of "
            "days, at most 36500, got 100000000000000000000",
        ),
        ({"past_days": 10**20}, "state.past_days: expected 0 (activity_days) or a positive"),
    ],
)
def test_bad_settings_name_the_key(state: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_from_dict({"state": state}, "site.toml")
    assert f"site.toml: {message}" in str(err.value)


def test_scan_applies_the_setting(
    tmp_path: Path, write_log: Callable[..., Path], cli: Callable[..., Result]
) -> None:
    """End to end: a scan of 20 days with activity_days = 5 keeps the last 5 days."""
    start = dt.datetime(2026, 3, 2, 10, 0)
    lines = [
        recv_line(
            start + dt.timedelta(days=d),
            1,
            d + 1,
            sender=ALICE,
            to="partner@outside.test",
            user=ALICE,
        )
        for d in range(20)
    ]
    log = write_log("mail.log", lines)
    config = tmp_path / "kw.toml"
    config.write_text(
        '[site]\nlocal_domains = ["example.com"]\ntimezone = "Europe/Berlin"\n'
        "[state]\nactivity_days = 5\n",
        encoding="utf-8",
    )
    db = tmp_path / "state.db"
    result = cli("scan", "--no-progress", "--db", str(db), "--config", str(config), str(log))
    assert result.exit_code == 0, result.output
    days = sorted({h // 24 for h in hours_kept(db)})
    assert len(days) in (5, 6)  # the cut falls inside the day five days back
    assert max(days) == int((start + dt.timedelta(days=19)).timestamp()) // 86400
