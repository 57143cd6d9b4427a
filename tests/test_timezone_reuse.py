"""The inferred time zone is kept in the database and reused (issue 12, finding 4).

With no configuration, a directory scan infers the server's UTC offset from the
Queue-IDs of mail.log. Scanning ``security.log`` alone afterwards (it has no Queue-IDs)
said "time zone unknown ... UTC", re-read lines as new and opened a duplicate incident
seven hours off. Every later command on the database now reuses the inferred offset.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result

from kerio_watch.cli import main
from kerio_watch.store import open_store
from logtools import kerio_stamp, recv_line

OFFSET = 7  # the site's clock is UTC+07:00
START = dt.datetime(2026, 3, 2, 8, 0)
GUESSER = "198.51.100.77"


def run(*args: str) -> Result:
    """The CLI in-process."""
    return CliRunner().invoke(main, list(args))


def write_site(folder: Path) -> Path:
    """Two weeks of alice's mail, then password guessing against her that succeeds."""
    logs = folder / "logs"
    logs.mkdir()
    mail = []
    n = 0
    for day in range(14):
        for hour in (9, 11, 15):
            n += 1
            when = START + dt.timedelta(days=day, hours=hour - 8)
            mail.append(
                recv_line(when, OFFSET, n, sender="alice@example.com", to="bob@partner.test",
                          user="alice@example.com")
            )  # fmt: skip
    (logs / "mail.log").write_text("\n".join(mail) + "\n", encoding="utf-8")
    night = START + dt.timedelta(days=14, hours=-6)  # 02:00 local
    security = [
        f"{kerio_stamp(night + dt.timedelta(seconds=20 * i))} SMTP: Invalid password for user "
        f"alice@example.com. Attempt from IP address {GUESSER}."
        for i in range(26)
    ]
    (logs / "security.log").write_text("\n".join(security) + "\n", encoding="utf-8")
    return logs


def incident_times(db: Path) -> list[tuple[str, int]]:
    """(key, opened) of every incident."""
    store = open_store(db, readonly=True)
    try:
        return sorted((i.key, i.opened) for i in store.incidents())
    finally:
        store.close()


def test_rescanning_security_log_alone_keeps_the_offset(tmp_path: Path) -> None:
    """Nothing is re-read, no incident is duplicated, and the offset is named."""
    logs = write_site(tmp_path)
    db = tmp_path / "state.db"
    first = run("scan", "--db", str(db), str(logs))
    assert first.exit_code == 0, first.output
    assert "UTC offset +07:00 inferred" in first.stderr
    before = incident_times(db)
    assert any(key == f"ip:{GUESSER}" for key, _ in before)
    again = run("scan", "--db", str(db), str(logs / "security.log"))
    assert again.exit_code == 0, again.output
    assert "time zone unknown" not in again.stderr
    assert "UTC offset +07:00" in again.stderr and "stored" in again.stderr
    assert "the 26 lines it had already processed were not read again" in again.stderr
    assert incident_times(db) == before


def test_reports_and_json_use_the_stored_offset(tmp_path: Path) -> None:
    """``incidents -f jsonl`` and ``report -f json`` print times at +07:00."""
    logs = write_site(tmp_path)
    db = tmp_path / "state.db"
    assert run("scan", "--db", str(db), str(logs)).exit_code == 0
    listed = run("incidents", "--db", str(db), "-f", "jsonl")
    opened = [json.loads(line)["opened"] for line in listed.stdout.splitlines()]
    assert opened and all(t.endswith("+07:00") for t in opened)
    report = json.loads(run("report", "--db", str(db), "-f", "json").stdout)
    assert report["period"]["since"].endswith("+07:00")


def test_the_offset_history_survives_a_daylight_saving_change(
    tmp_path: Path, write_log: Callable[..., Path]
) -> None:
    """Offsets that changed during the logs (a DST switch) are kept with their times, so
    a later scan of another log puts lines from before and after the switch right."""
    lines = []
    for day in range(6):
        offset = 1 if day < 3 else 2  # the clocks went forward after the third day
        when = dt.datetime(2026, 3, 26, 10, 0) + dt.timedelta(days=day)
        lines.append(
            recv_line(when, offset, day + 1, sender="a@example.com", to="b@partner.test",
                      user="a@example.com")
        )  # fmt: skip
    mail = write_log("mail.log", lines)
    db = tmp_path / "s.db"
    assert run("scan", "--db", str(db), str(mail)).exit_code == 0
    store = open_store(db, readonly=True)
    try:
        changes = json.loads(store.get_meta("utc_offset_changes") or "[]")
    finally:
        store.close()
    assert [offset for _, offset in changes] == [3600, 7200]
    early = dt.datetime(2026, 3, 26, 10, 30)
    late = dt.datetime(2026, 3, 31, 10, 30)
    lan = "192.168.1.9"
    audit = write_log(
        "audit.log",
        [
            f"{kerio_stamp(when)} IMAP: User a@example.com authenticated from IP address {lan}"
            for when in (early, late)
        ],
        directory="more",
    )
    assert run("scan", "--db", str(db), str(audit)).exit_code == 0
    store = open_store(db, readonly=True)
    try:
        hours = sorted({h for h, _a, kind, _k, _n in store.activity() if kind == "login"})
    finally:
        store.close()
    assert hours == [
        int(dt.datetime(2026, 3, 26, 9, 0, tzinfo=dt.UTC).timestamp()),
        int(dt.datetime(2026, 3, 31, 8, 0, tzinfo=dt.UTC).timestamp()),
    ]
    report = json.loads(
        run(
            "report", "--db", str(db), "-f", "json", "--since", "2026-03-26T00:00", "--days", "6"
        ).stdout
    )
    offsets = {b["ts"][-6:] for b in report["traffic"]}
    assert offsets == {"+01:00", "+02:00"}, "times before the change keep the old offset"


def test_a_configured_zone_the_logs_contradict_is_told(tmp_path: Path) -> None:
    """A UTC+07:00 server configured as Europe/Berlin: the scan says the zone and the
    Queue-IDs disagree, and what they say (was: nothing; times seven hours off)."""
    logs = write_site(tmp_path)
    config = tmp_path / "kw.toml"
    config.write_text('[site]\ntimezone = "Europe/Berlin"\n', encoding="utf-8")
    wrong = run("scan", "--db", str(tmp_path / "a.db"), "--config", str(config), str(logs))
    assert wrong.exit_code == 0, wrong.output
    assert "[site] timezone Europe/Berlin disagrees with the logs: 42 of 42 Queue-IDs put " in (
        " ".join(wrong.stderr.split())
    )
    assert "the server at UTC+07:00" in " ".join(wrong.stderr.split())
    config.write_text('[site]\ntimezone = "Asia/Bangkok"\n', encoding="utf-8")
    right = run("scan", "--db", str(tmp_path / "b.db"), "--config", str(config), str(logs))
    assert right.exit_code == 0 and "disagrees" not in right.stderr


def meta(db: Path, key: str) -> str | None:
    store = open_store(db, readonly=True)
    try:
        return store.get_meta(key)
    finally:
        store.close()


def test_a_scan_without_configuration_keeps_the_recorded_zone(tmp_path: Path) -> None:
    """A scan without ``-c`` replaced the zone name an earlier configured scan recorded
    with inferred offsets ("times at UTC+07:00 (inferred from Queue-IDs)" after it): a
    run that knows less no longer erases what the database knows; a configuration that
    names another zone still wins."""
    logs = write_site(tmp_path)
    db = tmp_path / "state.db"
    config = tmp_path / "kw.toml"
    config.write_text('[site]\ntimezone = "Asia/Bangkok"\n', encoding="utf-8")
    assert run("scan", "--db", str(db), "-c", str(config), str(logs)).exit_code == 0
    again = run("scan", "--db", str(db), str(logs))
    assert again.exit_code == 0, again.output
    assert "time zone Asia/Bangkok (recorded in the state database" in again.stderr
    assert "inferred" not in again.stderr
    assert meta(db, "timezone") == "Asia/Bangkok"
    listed = run("incidents", "--db", str(db))
    assert "Asia/Bangkok" in listed.output and "inferred" not in listed.output
    config.write_text('[site]\ntimezone = "Asia/Jakarta"\n', encoding="utf-8")
    other = run("scan", "--db", str(db), "-c", str(config), str(logs))
    assert other.exit_code == 0, other.output
    assert "time zone Asia/Jakarta (from the configuration)" in other.stderr
    assert meta(db, "timezone") == "Asia/Jakarta"


def test_a_recorded_zone_the_logs_contradict_is_told(tmp_path: Path) -> None:
    """Reused without a configuration, a recorded zone is checked as a configured one
    is (on the lines a later scan reads: those the log gained), and the message says
    where it came from."""
    logs = write_site(tmp_path)
    db = tmp_path / "state.db"
    config = tmp_path / "kw.toml"
    config.write_text('[site]\ntimezone = "Europe/Berlin"\n', encoding="utf-8")
    assert run("scan", "--db", str(db), "-c", str(config), str(logs)).exit_code == 0
    later = START + dt.timedelta(days=15)  # the log grew: its new lines are checked
    more = [
        recv_line(later + dt.timedelta(hours=h), OFFSET, 100 + h, sender="alice@example.com",
                  to="bob@partner.test", user="alice@example.com")
        for h in range(4)
    ]  # fmt: skip
    with (logs / "mail.log").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(more) + "\n")
    again = run("scan", "--db", str(db), str(logs))
    said = " ".join(again.stderr.split())
    assert "the time zone Europe/Berlin the state database recorded from an earlier scan " in said
    assert "disagrees with the logs" in said and "set the server's zone in [site] timezone" in said
