"""End to end: a site's findings do not depend on how its logs reach kerio-watch.

A small simulated site is scanned as plain on-disk files, then in each transport that
``shared/docs/kerio-log-formats.md`` says Kerio or a syslog relay produces (and that the
readers accept): CRLF line ends and a byte order mark, rotated and gzip-compressed files
(numbered and dated names, half of the history archived and half live), RFC 5424 and
RFC 3164 syslog (one file per log, or every log in one file under the app-name
``kerio``), rsyslog's file layouts, the field orders of older Kerio versions, another
encoding, lines cut at 1024 characters, and the mixtures an administrator produces: one
log forwarded to syslog beside the others on disk, a log given twice. Each scan must
find the same incidents (account, severity, rules) from the same events, with the same
number of unparsed lines.

Transports that lose information say what they lose where they are defined below, and
what the scan then still must find.
"""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

import transports as t
from kerio_watch.cli import main
from kerio_watch.cli.scan import run_scan
from kerio_watch.simulate import SimConfig, simulate
from kerio_watch.store import open_store

ZONE = "Europe/Berlin"
CAP = 100  # messages per sender: a scan of the site takes well under a second

Logs = dict[str, list[str]]


@dataclass(frozen=True)
class Outcome:
    """What a scan found: incidents as (key, severity, rules), event kinds, unparsed lines
    per log, lines not UTF-8, and the files read (path, log)."""

    incidents: Counter[tuple[str, str, tuple[str, ...]]]
    events: Counter[str]
    unparsed: Counter[str]
    decode_errors: int
    files: list[tuple[str, str | None]]


@dataclass(frozen=True)
class Site:
    """The simulated site's logs (name -> on-disk lines), its configuration and its
    plain scan."""

    logs: Logs
    config: Path
    plain: Outcome


def scan(config: Path, db: Path, *paths: Path) -> Outcome:
    """Scan ``paths`` into a new database with the site's configuration."""
    _, files, _ = run_scan(tuple(str(p) for p in paths), config, db, None, False)
    store = open_store(db)
    try:
        found = store.incidents(limit=100_000)
    finally:
        store.close()
    events: Counter[str] = Counter()
    unparsed: Counter[str] = Counter()
    for f in files:
        events.update(f.events)
        unparsed[f.log or "mixed"] += f.unparsed_total
    return Outcome(
        Counter((i.key, i.severity.label, tuple(sorted(i.best))) for i in found),
        events,
        +unparsed,
        sum(f.decode_errors for f in files),
        [(f.path, f.log) for f in files],
    )


def write_plain(folder: Path, logs: Logs) -> Path:
    """The logs as Kerio writes them on disk."""
    for name, lines in logs.items():
        t.write_text(folder / f"{name}.log", lines)
    return folder


def make_site(root: Path, start: dt.date) -> Site:
    result = simulate(SimConfig(seed=1, start=start, days=4, users=6, firewall=None), root / "sim")
    logs = {
        name: path.read_text(encoding="utf-8").splitlines() for name, path in result.files.items()
    }
    logs["mail"] = t.long_subjects(t.thinned(logs["mail"], CAP), every=7)
    config = root / "kerio-watch.toml"
    config.write_text(result.config_toml, encoding="utf-8")
    plain = scan(config, root / "plain.db", write_plain(root / "plain", logs))
    return Site(logs, config, plain)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    made = make_site(tmp_path_factory.mktemp("site"), dt.date(2026, 3, 2))
    severities = {sev for _, sev, _ in made.plain.incidents}
    assert {"critical", "high", "low", "info"} <= severities  # something to lose
    assert sum(made.plain.events.values()) > 5000
    assert not made.plain.unparsed
    assert sum(len(x) > 23 + 1024 for x in made.logs["mail"]) > 100  # cut_at_1024 cuts
    return made


def assert_same(found: Outcome, plain: Outcome) -> None:
    assert found.incidents == plain.incidents, (
        f"only plain: {sorted(plain.incidents - found.incidents)}; "
        f"only here: {sorted(found.incidents - plain.incidents)}"
    )
    assert found.events == plain.events
    assert found.unparsed == plain.unparsed


def last_line_utc(lines: list[str]) -> dt.datetime:
    """When the server wrote the last of these on-disk lines."""
    return t.local_time(lines[-1]).replace(tzinfo=ZoneInfo(ZONE)).astimezone(dt.UTC)


# Each transport writes the site's logs into a folder (and may add more folders).
Transport = Callable[[Path, Logs], None]


def crlf_bom(folder: Path, logs: Logs) -> None:
    """Saved on Windows: CRLF line ends and a UTF-8 byte order mark."""
    for name, lines in logs.items():
        t.write_text(folder / f"{name}.log", lines, newline="\r\n", bom=True)


def rotated_half_archived(folder: Path, logs: Logs) -> None:
    """Rotated daily and compressed by logrotate: ``mail.log.2.gz``, ``mail.log.1.gz`` and
    the live ``mail.log`` (each file dated by its last line)."""
    for name, lines in logs.items():
        for path in t.write_rotated(folder, f"{name}.log", lines, 3, gz=True):
            t.touch_like(path, last_line_utc(lines))


def archived_dated(folder: Path, logs: Logs) -> None:
    """Only archives, named by date (``mail_*.log`` is what one source greps): the first
    half compressed (``mail_20260303.log.gz``), the second plain; no live file."""
    folder.mkdir(parents=True)
    for name, lines in logs.items():
        half = len(lines) // 2
        data = "".join(x + "\n" for x in lines[:half]).encode()
        (folder / f"{name}_20260303.log.gz").write_bytes(gzip.compress(data))
        t.write_text(folder / f"{name}_20260305.log", lines[half:])


def rfc5424_per_log(folder: Path, logs: Logs) -> None:
    """RFC 5424 as the lab receives it, one file per log (app-name = log, ``warn``)."""
    for name, lines in logs.items():
        t.write_text(folder / f"{name}.log", t.rfc5424(lines, name, ZONE))


def rfc5424_one_file(folder: Path, logs: Logs) -> None:
    """Every log in one relay file, all with the app-name ``kerio`` (each line sniffed)."""
    records = []
    for name, lines in logs.items():
        framed = t.rfc5424(lines, name, ZONE, app="kerio")
        records += [(t.local_time(x), r) for x, r in zip(lines, framed, strict=True)]
    records.sort(key=lambda item: item[0])
    t.write_text(folder / "kerio", [r for _, r in records])


def rfc3164_per_log(folder: Path, logs: Logs) -> None:
    """RFC 3164 with a process id in the tag: local time without a year or a zone. The
    year is the file's, from its modification time (here: when its last line was written,
    as on the relay); the zone is the site's (configured)."""
    for name, lines in logs.items():
        path = t.write_text(folder / f"{name}.log", t.with_pid(t.rfc3164(lines, name), name))
        t.touch_like(path, last_line_utc(lines))


def rsyslog_files(folder: Path, logs: Logs) -> None:
    """rsyslog's file formats: traditional (RFC 3164 without ``<PRI>``) for the security
    and audit logs, high precision written in the relay's zone (UTC) for the others."""
    for name, lines in logs.items():
        if name in ("security", "audit"):
            written = t.rfc3164(lines, name, pri=False)
        else:
            written = t.rsyslog_precise(lines, name, ZONE, relay_zone="UTC")
        t.touch_like(t.write_text(folder / f"{name}.log", written), last_line_utc(lines))


def field_orders(folder: Path, logs: Logs) -> None:
    """Fields in the orders other Kerio versions and relays write: ``User`` before
    ``Sender-Host``, ``Msg-Id`` before ``Subject``, one space in ``authenticated from``."""
    edits = {
        "mail": lambda x: t.msgid_before_subject(t.user_before_host(x)),
        "audit": t.single_space_audit,
    }
    for name, lines in logs.items():
        t.write_text(folder / f"{name}.log", t.mapped(lines, edits.get(name, str)))


def windows_1252(folder: Path, logs: Logs) -> None:
    """Saved in Windows-1252: every non-ASCII subject, name and folder is invalid UTF-8
    (replaced and counted; the lines still parse, and the tests below count them)."""
    for name, lines in logs.items():
        t.write_text(folder / f"{name}.log", lines, encoding="cp1252")


def cut_at_1024(folder: Path, logs: Logs) -> None:
    """Lines cut at 1024 characters after the prefix (the API's limit). LOSSY: a long
    subject loses its end and the line its ``Msg-Id`` (the mail program it names); on
    this site no finding rests on them."""
    for name, lines in logs.items():
        t.write_text(folder / f"{name}.log", t.cut(lines))


def kerio_6(folder: Path, logs: Logs) -> None:
    """mail.log in Kerio MailServer 6.7's layout. LOSSY: no subject (the same-subject
    rules), no Msg-Id (the mail program), no remote host of a delivery; on this site no
    finding rests on them alone."""
    write_plain(folder, logs)
    t.write_text(folder / "mail.log", t.mapped(logs["mail"], t.kms67))


def mail_forwarded(folder: Path, logs: Logs) -> None:
    """mail.log forwarded to a syslog server (RFC 5424, its own folder); the other logs on
    disk, the security log rotated and compressed, the audit log with CRLF."""
    for name, lines in logs.items():
        if name == "mail":
            t.write_text(folder / "relay" / "mail.log", t.rfc5424(lines, name, ZONE))
        elif name == "security":
            t.write_rotated(folder, "security.log", lines, 2, gz=True)
        else:
            t.write_text(folder / f"{name}.log", lines, newline="\r\n" if name == "audit" else "\n")


TRANSPORTS: list[Transport] = [
    crlf_bom,
    rotated_half_archived,
    archived_dated,
    rfc5424_per_log,
    rfc5424_one_file,
    rfc3164_per_log,
    rsyslog_files,
    field_orders,
    windows_1252,
    cut_at_1024,
    kerio_6,
    mail_forwarded,
]


@pytest.mark.parametrize("transport", TRANSPORTS, ids=lambda f: f.__name__)
def test_the_same_incidents_whatever_the_transport(
    site: Site, tmp_path: Path, transport: Transport
) -> None:
    folder = tmp_path / "logs"
    transport(folder, site.logs)
    paths = [folder, *(d for d in folder.iterdir() if d.is_dir())]
    found = scan(site.config, tmp_path / "state.db", *paths)
    assert_same(found, site.plain)
    if transport is windows_1252:
        invalid = sum(not _utf8(x.encode("cp1252", "replace")) for x in _all(site.logs))
        assert found.decode_errors == invalid > 100


def _all(logs: Logs) -> list[str]:
    return [line for lines in logs.values() for line in lines]


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_a_log_given_twice_is_read_once_and_the_scan_says_so(site: Site, tmp_path: Path) -> None:
    """The log folder with ``.bak`` copies beside the logs, a gzip-compressed copy of the
    mail log elsewhere, and a backup of the first half of every log (copied before the
    logs grew, the last line cut mid-write): every line is counted once. Read as separate
    files, the copies doubled every count: failed logins opened account_failures on five
    accounts, volume on five."""
    logs = write_plain(tmp_path / "logs", site.logs)
    for name in site.logs:
        shutil.copyfile(logs / f"{name}.log", logs / f"{name}.log.bak")
        data = (logs / f"{name}.log").read_bytes()
        backup = tmp_path / "backup" / f"{name}.log"
        backup.parent.mkdir(exist_ok=True)
        backup.write_bytes(data[: len(data) // 2])
    t.write_rotated(tmp_path / "gz", "mail.log", site.logs["mail"], 1, gz=True, live=False)
    paths = [logs, tmp_path / "backup", tmp_path / "gz"]
    assert_same(scan(site.config, tmp_path / "state.db", *paths), site.plain)
    out = CliRunner().invoke(
        main,
        ["scan", "--no-progress", "--db", str(tmp_path / "cli.db"), *map(str, paths)],
        catch_exceptions=False,
    )
    assert out.exit_code == 0, out.output
    said = " ".join(out.stderr.split())
    assert f"{logs / 'mail.log.bak'} (mail): a copy of {logs / 'mail.log'}" in said
    assert f"{tmp_path / 'gz' / 'mail.log.1.gz'} (mail): a copy of {logs / 'mail.log'}" in said
    assert said.count("not read, so not counted twice") == 2 * len(site.logs) + 1


def test_a_log_both_on_disk_and_forwarded_is_read_once(site: Site, tmp_path: Path) -> None:
    """The log folder, and the relay's files of the mail log (RFC 5424 under the app-name
    ``kerio``) and of the security log (RFC 3164): the same messages at the same moments,
    in another envelope. Read as separate files, the mail counted double (volume on five
    accounts)."""
    logs = write_plain(tmp_path / "logs", site.logs)
    relay = tmp_path / "relay"
    t.write_text(relay / "kerio", t.rfc5424(site.logs["mail"], "mail", ZONE, app="kerio"))
    security = site.logs["security"]
    written = t.write_text(relay / "security", t.rfc3164(security, "security"))
    t.touch_like(written, last_line_utc(security))
    found = scan(site.config, tmp_path / "state.db", logs, relay)
    assert_same(found, site.plain)


def test_every_log_forwarded_to_one_file_beside_the_folder(site: Site, tmp_path: Path) -> None:
    """The relay's one file of every log (RFC 5424 under the app-name ``kerio``, the logs
    interleaved) beside the log folder: its lines are those of the folder's files merged,
    so it is not read. Read, every line counted twice. A relay file missing records is
    not read either (``tests/test_follow_transports.py``); one holding a line the folder
    does not is read (and its other lines count twice: the limit of a scan)."""
    logs = write_plain(tmp_path / "logs", site.logs)
    rfc5424_one_file(tmp_path / "relay", site.logs)
    assert_same(scan(site.config, tmp_path / "state.db", logs, tmp_path / "relay"), site.plain)
    out = CliRunner().invoke(
        main,
        [
            "scan",
            "--no-progress",
            "--db",
            str(tmp_path / "cli.db"),
            str(logs),
            str(tmp_path / "relay"),
        ],
        catch_exceptions=False,
    )
    said = " ".join(out.stderr.split())
    assert f"{tmp_path / 'relay' / 'kerio'} (mixed): a copy of {logs / 'audit.log'}, " in said


def test_new_year_in_syslog_without_a_year(tmp_path: Path) -> None:
    """RFC 3164 carries no year: a site's days around New Year (29 December to 1 January)
    read from files dated by their last line, in January, get their December lines put in
    the year before, as the on-disk lines say."""
    new_year = make_site(tmp_path / "site", dt.date(2025, 12, 29))
    assert {sev for _, sev, _ in new_year.plain.incidents} >= {"critical", "high"}
    folder = tmp_path / "logs"
    rfc3164_per_log(folder, new_year.logs)
    assert_same(scan(new_year.config, tmp_path / "state.db", folder), new_year.plain)


@pytest.fixture(scope="module")
def zoneless(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The site without ``[site] timezone``: the offset is inferred from Queue-IDs."""
    root = tmp_path_factory.mktemp("zoneless")
    config = root / "kerio-watch.toml"
    text = site.config.read_text(encoding="utf-8").splitlines()
    config.write_text("\n".join(x for x in text if not x.startswith("timezone")), "utf-8")
    plain = scan(config, root / "plain.db", write_plain(root / "plain", site.logs))
    return Site(site.logs, config, plain)


@pytest.mark.parametrize("transport", [mail_forwarded, rfc5424_per_log, rfc3164_per_log])
def test_the_same_incidents_without_a_configured_zone(
    zoneless: Site, tmp_path: Path, transport: Transport
) -> None:
    """The offset comes from the mail log's Queue-IDs wherever it is: beside a forwarded
    mail log, the logs on disk were taken as UTC (a webmail takeover went from high to
    medium)."""
    folder = tmp_path / "logs"
    transport(folder, zoneless.logs)
    paths = [folder, *(d for d in folder.iterdir() if d.is_dir())]
    assert_same(scan(zoneless.config, tmp_path / "state.db", *paths), zoneless.plain)
