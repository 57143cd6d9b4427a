"""``kerio-watch release`` and ``actions`` from the command line; hostile queue data."""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import example, given
from hypothesis import strategies as st

from kerio_watch.app.config import config_from_dict
from kerio_watch.cli import main
from kerio_watch.errors import KerioWatchError, StoreError
from kerio_watch.exitcodes import ExitStatus
from kerio_watch.respond import worker as worker_module
from kerio_watch.respond.contain import Containment
from kerio_watch.respond.queue import parse_item, parse_time
from kerio_watch.respond.views import QUEUE_KEY, STATUS_KEY
from kerio_watch.respond.worker import Responder, manual_containment
from kerio_watch.severity import Severity
from kerio_watch.store import open_store
from kerio_watch.store.sqlite import SQLiteStore
from kerio_watch.store.sqlite.responses import ResponseStore
from kerio_watch.values.alert import Alert
from kerio_watch.values.incident import Incident

from .conftest import PASSWORD, Kerio, wait_for


def contained_db(kerio: Kerio, tmp_path: Path, dry_run: bool) -> Path:
    db = tmp_path / "state.db"
    store = open_store(db)
    now = int(time.time())
    inc = Incident(9, "bob@example.com", now, now, severity=Severity.CRITICAL, first_signal=now)
    inc.source_ips = ["185.9.9.9"]
    with store.transaction():
        store.save_incidents([inc])
    config = kerio.config(contain={"actions": {"critical": ["stop_sending", "block_ip"]},
                                   "dry_run": dry_run})  # fmt: skip
    client = kerio.client()
    Containment(config, ResponseStore(store), lambda: client, lambda t: t).consider(inc)
    store.close()
    return db


def test_release_from_the_command_line(kerio: Kerio, tmp_path: Path) -> None:
    db = contained_db(kerio, tmp_path, dry_run=False)
    config = tmp_path / "kw.toml"
    config.write_text(kerio.toml())
    listed = CliRunner().invoke(main, ["actions", "9", "--db", str(db), "--format", "jsonl"])
    rows = [json.loads(x) for x in listed.output.splitlines()]
    table = CliRunner().invoke(main, ["incidents", "--db", str(db)]).output
    assert "contained" in table
    assert [(r["action"], r["status"]) for r in rows] == [("stop_sending", "done"),
                                                          ("block_ip", "done")]  # fmt: skip
    assert rows[0]["calls"][-1]["answer"] == {"errors": []}
    done = CliRunner().invoke(main, ["release", "9", "--db", str(db), "-c", str(config)])
    assert done.exit_code == 0, done.output
    assert done.output.count("released by") == 2
    again = CliRunner().invoke(main, ["release", "9", "--db", str(db), "-c", str(config)])
    assert "nothing in effect to release" in again.output
    listed = CliRunner().invoke(main, ["incidents", "--db", str(db), "--format", "jsonl"])
    assert json.loads(listed.output)["containment"] == "released"
    assert kerio.state.may_send("bob@example.com", "x@spam.test", "185.9.9.9")


def test_release_refuses_without_the_api_or_anything_to_release(
    kerio: Kerio, tmp_path: Path
) -> None:
    db = contained_db(kerio, tmp_path, dry_run=True)
    bare = CliRunner().invoke(main, ["release", "9", "--db", str(db)])
    assert bare.exit_code == 3 and "release needs the API" in bare.output
    config = tmp_path / "kw.toml"
    config.write_text(kerio.toml())
    none = CliRunner().invoke(main, ["release", "7", "--db", str(db), "-c", str(config)])
    assert none.exit_code == 2 and "no incident 7" in none.output  # as everywhere
    dry = CliRunner().invoke(main, ["release", "9", "--db", str(db), "-c", str(config)])
    assert dry.exit_code == 0 and "dry run" in dry.output
    assert kerio.state.writes == []


def _recent_iso(text: str) -> bool:
    """ISO 8601 with an offset, within a few minutes of now."""
    when = dt.datetime.fromisoformat(text)
    return when.tzinfo is not None and abs(when.timestamp() - time.time()) < 600


def test_the_journal_reads_like_every_other_output(kerio: Kerio, tmp_path: Path) -> None:
    """``actions`` writes to -o with ISO times; ``incidents show`` lists the incident's
    containment (text and json) and says how to release it."""
    db = contained_db(kerio, tmp_path, dry_run=True)
    out = tmp_path / "journal.jsonl"
    done = CliRunner().invoke(main, ["actions", "--db", str(db), "-f", "jsonl", "-o", str(out)])
    assert done.exit_code == 0 and done.output == ""
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["status"] for r in rows] == ["dry_run", "dry_run"]
    assert all(_recent_iso(r["created"]) and _recent_iso(r["updated"]) for r in rows)
    assert all(_recent_iso(c["at"]) for r in rows for c in r["calls"] if "at" in c)
    text = CliRunner().invoke(main, ["incidents", "show", "9", "--db", str(db)])
    assert text.exit_code == 0, text.output
    assert "Containment" in text.output and "stop sending bob@example.com (dry run)" in text.output
    assert "release 9" in text.output
    shown = CliRunner().invoke(main, ["incidents", "show", "9", "--db", str(db), "-f", "json"])
    detail = json.loads(shown.output)
    assert [(c["action"], c["status"]) for c in detail["containment"]] == [
        ("stop_sending", "dry_run"),
        ("block_ip", "dry_run"),
    ]
    assert _recent_iso(detail["containment"][0]["created"])


def test_status_json_gives_the_api_times_on_the_server_clock(tmp_path: Path) -> None:
    """The API's part of ``status -f json`` has ISO times on the server's clock, like the
    rest; the text still says how long ago the queue was polled."""
    db = tmp_path / "state.db"
    store = open_store(db)
    now = int(time.time())
    status = {"state": "ok", "last_ok": "2026-03-30T10:00:00+00:00", "polls": 3}
    status["at"] = status["last_ok"]
    sender = {"account": "bob@example.com", "queued": 4, "deferred": 1, "domains": 3}
    with store.transaction():
        store.set_meta(STATUS_KEY, json.dumps(status))
        store.set_meta(QUEUE_KEY, json.dumps({"polled": now, "total": 4, "deferred": 1}))
        ResponseStore(store).replace_queue([{**sender, "oldest_age": 60, "ips": []}], now)
    store.close()
    config = tmp_path / "kw.toml"
    config.write_text('[site]\ntimezone = "Europe/Prague"\n')
    shown = CliRunner().invoke(main, ["status", "--db", str(db), "-c", str(config), "-f", "json"])
    api = json.loads(shown.output)["kerio_api"]
    assert api["last_ok"] == api["at"] == "2026-03-30T12:00:00+02:00"
    assert _recent_iso(api["queue"]["polled"]) and _recent_iso(api["senders"][0]["polled"])
    text = CliRunner().invoke(main, ["status", "--db", str(db)]).output
    assert "bob@example.com: 4 queued (1 deferred) to 3 domains" in text


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = ("id", "from", "to", "authSender", "senderIp", "status", "created", "nextTry", "size")


@given(st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=9))
def test_any_queue_item_is_taken_or_left_never_a_crash(item: dict[str, Any]) -> None:
    api = config_from_dict({}).kerio_api
    msg = parse_item(item, api, lambda t: t)
    if msg is not None:
        assert msg.account and "@" in msg.account
        assert all("@" in r for r in msg.recipients)


@given(JSON)
@example(float("inf"))
@example(float("nan"))
@example({"date": {"year": float("inf"), "month": 1, "day": 1}})
@example(10**40)
def test_any_time_value_is_a_time_or_nothing(value: Any) -> None:
    ts = parse_time(value, lambda t: t)
    assert ts is None or isinstance(ts, int)


def test_a_refused_login_is_reported_clearly(kerio: Kerio, tmp_path: Path) -> None:
    """The worker thread records the refusal; status says so, never the password."""
    kerio.password_file.write_text("not-the-password")
    db = tmp_path / "state.db"
    open_store(db).close()
    responder = Responder(kerio.config(poll_seconds=1), db, lambda t: t)
    responder.start()
    try:
        wait_for(
            lambda: "LOGIN REFUSED" in CliRunner().invoke(main, ["status", "--db", str(db)]).output
        )
    finally:
        responder.stop()
    out = CliRunner().invoke(main, ["status", "--db", str(db)]).output
    assert "login as admin refused" in out and "detection goes on" in out
    assert "not-the-password" not in out


def test_a_failed_write_does_not_end_the_api_thread(
    kerio: Kerio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The thread died on the first write to the state database that failed (SQLite's
    lock held past its 10 s wait by another program, a full disk): no queue poll and no
    containment until a restart, and nothing in status said so. Now the failed
    poll is logged and the next one comes; the incident is contained on a retry."""
    db = _open_incident(tmp_path, severity=Severity.CRITICAL)
    locked = StoreError(f"{db}: cannot write: database is locked")
    failed: list[str] = []

    def once(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            if name not in failed:
                failed.append(name)
                raise locked
            return real(*args)

        return call

    monkeypatch.setattr(worker_module, "RETRY_SECONDS", 0.2)
    for cls, name in ((ResponseStore, "replace_queue"), (SQLiteStore, "incident")):
        monkeypatch.setattr(cls, name, once(name, getattr(cls, name)))
    config = kerio.config(contain={"actions": {"critical": ["stop_sending"]}}, poll_seconds=1)
    responder = Responder(config, db, lambda t: t)
    responder.start()
    try:
        now = int(time.time())
        responder.submit([Alert("11-1", 11, now, "", "bob@example.com", "r", Severity.CRITICAL,
                                90, "", None, (), (), (), "open")])  # fmt: skip
        wait_for(lambda: responder.polls >= 2)
        actions = ["actions", "11", "--db", str(db)]
        wait_for(lambda: "stop sending" in CliRunner().invoke(main, actions).output)
    finally:
        responder.stop()
    assert sorted(failed) == ["incident", "replace_queue"]  # each failed once


def _open_incident(
    tmp_path: Path, user: str = "bob@example.com", severity: Severity = Severity.MEDIUM
) -> Path:
    """A medium incident (below any containment severity) in a fresh database, or one of
    ``severity``."""
    db = tmp_path / "state.db"
    store = open_store(db)
    now = int(time.time())
    inc = Incident(11, user, now, now, severity=severity, first_signal=now)
    inc.source_ips = ["185.9.9.9"]
    with store.transaction():
        store.save_incidents([inc])
    store.close()
    return db


def test_contain_from_the_command_line(kerio: Kerio, tmp_path: Path) -> None:
    """An administrator contains a medium incident: a dry run as configured, then for
    real with --no-dry-run (what the dry run recorded is taken now), once; release undoes it."""
    db = _open_incident(tmp_path)
    config = tmp_path / "kw.toml"
    config.write_text(kerio.toml())
    args = ["contain", "11", "--db", str(db), "-c", str(config), "--reason", "phoned the owner"]
    dry = CliRunner().invoke(main, [*args, "--action", "stop_sending"])
    assert dry.exit_code == 0, dry.output
    assert "(dry run): dry_run" in dry.output and kerio.state.writes == []
    real = CliRunner().invoke(main, [*args, "--no-dry-run", "--action", "block_ip", "--action",
                                     "stop_sending"])  # fmt: skip
    assert real.exit_code == 0, real.output
    assert real.output.count(": done") == 2, real.output
    assert not kerio.state.may_send("bob@example.com", "x@spam.test", "185.9.9.9")
    again = CliRunner().invoke(main, [*args, "--no-dry-run", "--action", "stop_sending"])
    assert "already contained" in again.output
    listed = CliRunner().invoke(main, ["actions", "11", "--db", str(db), "--format", "jsonl"])
    rows = [json.loads(x) for x in listed.output.splitlines()]
    assert all("phoned the owner" in r["reason"] for r in rows)
    done = CliRunner().invoke(main, ["release", "11", "--db", str(db), "-c", str(config)])
    assert done.exit_code == 0 and done.output.count("released by") == 3, done.output
    assert done.output.count("(dry run)") == 1  # the dry run is closed too
    assert kerio.state.may_send("bob@example.com", "x@spam.test", "185.9.9.9")


def test_contain_and_release_log_their_events_readably(kerio: Kerio, tmp_path: Path) -> None:
    """Run as an administrator runs them (a process, stderr to the terminal or cron's
    mail): what they log says what and on what, as follow's log does; it used to be the
    bare event names (``containment_dry_run``) of a logger nobody had set up."""
    db = _open_incident(tmp_path)
    config = tmp_path / "kw.toml"
    config.write_text(kerio.toml())
    base = [sys.executable, "-m", "kerio_watch"]
    common = ["11", "--db", str(db), "-c", str(config)]
    dry = subprocess.run([*base, "contain", *common, "--action", "stop_sending"],
                         capture_output=True, text=True, check=False, timeout=60)  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    assert "(dry run): dry_run" in dry.stdout
    lines = dry.stderr.splitlines()
    assert "containment_dry_run" not in lines
    assert any("event=containment_dry_run" in x and "would_call=Users.set" in x for x in lines)
    done = subprocess.run([*base, "release", *common],
                          capture_output=True, text=True, check=False, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert all(x.startswith("ts=") for x in done.stderr.splitlines()), done.stderr


def test_contain_refuses_what_it_must_not_touch(kerio: Kerio, tmp_path: Path) -> None:
    """No API, no incident, an allowlisted account: a clear message and nothing written."""
    db = _open_incident(tmp_path, "ceo@example.com")
    bare = CliRunner().invoke(main, ["contain", "11", "--db", str(db)])
    assert bare.exit_code == 3 and "contain needs the API" in bare.output
    config = tmp_path / "kw.toml"
    config.write_text(kerio.toml(contain='allow_accounts = ["ceo@*"]'))
    none = CliRunner().invoke(main, ["contain", "7", "--db", str(db), "-c", str(config)])
    assert none.exit_code == 2 and "no incident 7" in none.output
    allowed = CliRunner().invoke(
        main, ["contain", "11", "--db", str(db), "-c", str(config), "--no-dry-run"]
    )
    assert "allow_accounts" in allowed.output and kerio.state.writes == []


def _unreachable_api(tmp_path: Path, **api: str) -> Path:
    """A configuration whose API is on a loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    password = tmp_path / "kerio-password"
    password.write_text(PASSWORD + "\n", encoding="utf-8")
    password.chmod(0o600)
    section = {
        "server": f"127.0.0.1:{port}",
        "username": "admin",
        "password_file": str(password),
        "fingerprint": "ab" * 32,
        **api,
    }
    config = tmp_path / "kw.toml"
    config.write_text("[kerio_api]\n" + "".join(f'{k} = "{v}"\n' for k, v in section.items()))
    return config


@pytest.mark.parametrize("dry_run", ["--dry-run", "--no-dry-run"])
def test_contain_says_when_the_api_cannot_be_reached(tmp_path: Path, dry_run: str) -> None:
    """An unreachable API is a service that cannot be used (exit 5), not an unexpected
    error (it exited 1); a dry run says that it needs the API too. Nothing is recorded."""
    db = _open_incident(tmp_path)
    config = _unreachable_api(tmp_path)
    result = CliRunner().invoke(
        main, ["contain", "11", "--db", str(db), "-c", str(config), dry_run]
    )
    assert result.exit_code == ExitStatus.INPUT_ERROR, result.output
    assert "Kerio's API cannot be used: 127.0.0.1:" in result.stderr
    assert "connection refused" in result.stderr
    assert "internal error" not in result.stderr
    if dry_run == "--dry-run":
        assert "nothing was recorded (a dry run needs the API too" in result.stderr
    else:
        assert "nothing was contained" in result.stderr
    listed = CliRunner().invoke(main, ["actions", "11", "--db", str(db), "--format", "jsonl"])
    assert listed.exit_code == 0 and listed.output == ""


def test_contain_without_its_password_is_a_configuration_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """password_env names a variable that is not set: invalid configuration (exit 3; it
    exited 1, which is kept for unexpected errors)."""
    monkeypatch.delenv("KERIO_WATCH_TEST_NO_PASSWORD", raising=False)
    db = _open_incident(tmp_path)
    config = _unreachable_api(tmp_path)
    text = config.read_text().replace("password_file", "# password_file")
    config.write_text(text + 'password_env = "KERIO_WATCH_TEST_NO_PASSWORD"\n')
    result = CliRunner().invoke(main, ["contain", "11", "--db", str(db), "-c", str(config)])
    assert result.exit_code == ExitStatus.CONFIG_ERROR, result.output
    assert "KERIO_WATCH_TEST_NO_PASSWORD is not set" in result.stderr


def test_contain_without_a_configuration_file_says_how_to_give_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No -c and no $KERIO_WATCH_CONFIG: not ``<defaults>: kerio_api.server: ...``."""
    monkeypatch.delenv("KERIO_WATCH_CONFIG", raising=False)
    db = _open_incident(tmp_path)
    result = CliRunner().invoke(main, ["contain", "11", "--db", str(db)])
    assert result.exit_code == ExitStatus.CONFIG_ERROR
    assert result.stderr == (
        "kerio-watch: error: kerio_api.server: contain needs the API (no configuration "
        "file given: use -c FILE or $KERIO_WATCH_CONFIG)\n"
    )


def test_a_dry_run_is_taken_for_real_once_dry_runs_are_off(kerio: Kerio, tmp_path: Path) -> None:
    """The follower's containment: an incident contained in a dry run is contained for
    real at its next change after ``dry_run = false``, and only once."""
    db = contained_db(kerio, tmp_path, dry_run=True)
    assert kerio.state.writes == []
    store = open_store(db)
    try:
        inc = store.incident(9)
        assert inc is not None
        config = kerio.config(contain={"actions": {"critical": ["stop_sending", "block_ip"]},
                                       "dry_run": False})  # fmt: skip
        client = kerio.client()
        containment = Containment(config, ResponseStore(store), lambda: client, lambda t: t)
        assert [r.status for r in containment.consider(inc)] == ["done", "done"]
        assert containment.consider(inc) == []
    finally:
        store.close()
    assert not kerio.state.may_send("bob@example.com", "x@spam.test", "185.9.9.9")


def test_an_administrators_session_logs_out_even_when_the_request_fails(
    kerio: Kerio, tmp_path: Path
) -> None:
    """``contain``, ``release`` and the dashboard's buttons: the API session they opened
    is closed whatever happens in between."""
    store = open_store(tmp_path / "state.db")
    with pytest.raises(KerioWatchError), manual_containment(kerio.config(), store) as containment:
        containment.client.call("Domains.get", {"query": {}})  # logs in
        assert len(kerio.emulator.sessions) == 1
        raise KerioWatchError("the API refused the request")
    store.close()
    assert kerio.emulator.sessions == {}


def test_what_contain_and_release_cannot_do_is_not_an_unexpected_error(
    kerio: Kerio, tmp_path: Path
) -> None:
    """An action Kerio's API refuses exits 5 (a service that cannot be used); an incident
    about no account, or without containment to release, is wrong usage (exit 2). Exit 1
    is kept for unexpected errors, as the README says."""
    db = _open_incident(tmp_path)
    config = tmp_path / "kw.toml"
    config.write_text(kerio.toml())
    kerio.emulator.faults.add("Users.set", "rpc", 1000, "Operation failed.", times=5)
    refused = CliRunner().invoke(
        main, ["contain", "11", "--db", str(db), "-c", str(config), "--no-dry-run",
               "--action", "stop_sending"],
    )  # fmt: skip
    assert refused.exit_code == ExitStatus.INPUT_ERROR, refused.output
    assert "stop sending bob@example.com: failed" in refused.output
    kept = CliRunner().invoke(main, ["release", "11", "--db", str(db), "-c", str(config)])
    assert kept.exit_code == 0 and "nothing in effect to release" in kept.output, kept.output
    store = open_store(db)
    now = int(time.time())
    with store.transaction():
        store.save_incidents([Incident(12, "ip:203.0.113.9", now, now, first_signal=now)])
    store.close()
    machine = CliRunner().invoke(main, ["contain", "12", "--db", str(db), "-c", str(config)])
    assert machine.exit_code == ExitStatus.USAGE and "not about an account" in machine.output
    fresh = tmp_path / "other.db"
    store = open_store(fresh)
    with store.transaction():
        store.save_incidents([Incident(13, "carol@example.com", now, now, first_signal=now)])
    store.close()
    nothing = CliRunner().invoke(main, ["release", "13", "--db", str(fresh), "-c", str(config)])
    assert nothing.exit_code == ExitStatus.USAGE and "no containment to release" in nothing.output
