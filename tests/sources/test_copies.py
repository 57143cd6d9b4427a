"""A log given twice in one scan (a copy beside it, a compressed copy, an earlier backup)
is read once: :mod:`kerio_watch.sources.copies`."""

from __future__ import annotations

import datetime as dt
import gzip
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from kerio_watch.cli import main
from kerio_watch.sources.copies import own_name
from kerio_watch.sources.files import discover, merged_records
from logtools import recv_line

START = dt.datetime(2026, 3, 2, 9, 0)


def mail_lines(count: int, first: int = 0) -> list[str]:
    return [
        recv_line(START + dt.timedelta(minutes=i), 1, i, sender="a@example.com", to="b@x.test")
        for i in range(first, first + count)
    ]


def write(path: Path, lines: list[str], end: str = "\n", cut: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(x + end for x in lines).encode()
    path.write_bytes(data[: len(data) - cut] if cut else data)
    return path


def read(*paths: Path) -> tuple[list[str], dict[str, str | None]]:
    """The messages a scan of ``paths`` reads, and what each file is a copy of."""
    files = discover([str(p) for p in paths])
    messages = [r.message for r in merged_records(files)]
    return messages, {Path(f.path).name: f.copy_of for f in files}


def test_a_copy_beside_the_log_is_not_read(tmp_path: Path) -> None:
    lines = mail_lines(20)
    log = write(tmp_path / "logs" / "mail.log", lines)
    write(tmp_path / "logs" / "mail.log.bak", lines)
    messages, copies = read(tmp_path / "logs")
    assert len(messages) == 20
    assert copies == {"mail.log": None, "mail.log.bak": str(log)}
    parsed = CliRunner().invoke(main, ["parse", "-f", "jsonl", str(tmp_path / "logs")])
    assert parsed.exit_code == 0, parsed.output
    assert len(parsed.stdout.splitlines()) == 20
    assert (
        f"mail.log.bak (mail): 0 lines; events: none; unparsed: 0; a copy of {log}: not read"
        in (" ".join(parsed.stderr.split()))
    )


def test_compressed_crlf_and_earlier_copies_given_as_more_paths(tmp_path: Path) -> None:
    lines = mail_lines(30)
    log = write(tmp_path / "logs" / "mail.log", lines)
    gz = tmp_path / "gz" / "mail.log.1.gz"
    gz.parent.mkdir()
    gz.write_bytes(gzip.compress("".join(x + "\n" for x in lines).encode()))
    write(tmp_path / "crlf" / "mail.log", lines, end="\r\n")
    write(tmp_path / "backup" / "mail.log", lines[:12], cut=25)  # copied mid-write
    messages, _ = read(*(tmp_path / d for d in ("logs", "gz", "crlf", "backup")))
    assert len(messages) == 30
    files = discover([str(tmp_path / d) for d in ("gz", "logs", "crlf", "backup")])
    assert {f.path: f.copy_of for f in files} == {
        str(log): None,
        str(gz): str(log),
        str(tmp_path / "crlf" / "mail.log"): str(log),
        str(tmp_path / "backup" / "mail.log"): str(log),
    }


def test_a_file_that_goes_on_differently_is_read(tmp_path: Path) -> None:
    """Only a file whose every line the other starts with is a copy: one that shares its
    first lines and then differs (or is longer than its shorter twin) is read."""
    lines = mail_lines(10)
    write(tmp_path / "a" / "mail.log", lines)
    write(tmp_path / "b" / "mail.log", lines[:5] + mail_lines(3, first=50))
    write(tmp_path / "c" / "mail.log", lines[:1] + lines[2:])  # a line missing
    messages, copies = read(tmp_path / "a", tmp_path / "b", tmp_path / "c")
    assert len(messages) == 10 + 8 + 9
    assert set(copies.values()) == {None}


def test_rotated_files_of_a_log_are_not_copies(tmp_path: Path) -> None:
    write(tmp_path / "mail.log.1", mail_lines(10))
    write(tmp_path / "mail.log", mail_lines(10, first=10))
    messages, copies = read(tmp_path)
    assert len(messages) == 20
    assert set(copies.values()) == {None}


def test_a_copy_kept_up_across_its_log_s_rotation_is_checked_line_by_line(
    tmp_path: Path,
) -> None:
    """A CRLF copy (``mail.log.win``) kept up while its log was rotated: ``mail.log.1``
    is its start and ``mail.log`` its end. The files of the log's own name are the
    originals: the copy's lines they hold are not read again, and the ones they lack
    are read from it, once. (``mail.log.1`` was taken for a copy of the longer
    ``mail.log.win``, and ``mail.log`` read as well: its lines twice.)"""
    lines = mail_lines(30)
    rotated = write(tmp_path / "mail.log.1", lines[:20])
    live = write(tmp_path / "mail.log", lines[20:])
    write(tmp_path / "mail.log.win", lines, end="\r\n")
    messages, copies = read(tmp_path)
    assert sorted(messages) == sorted(x[23:] for x in lines)
    assert copies == {"mail.log": None, "mail.log.1": None,
                      "mail.log.win": f"{rotated}, {live}"}  # fmt: skip
    extra = mail_lines(2, first=40)
    write(tmp_path / "mail.log.win", lines[:25] + extra + lines[25:], end="\r\n")
    messages, copies = read(tmp_path)
    assert sorted(messages) == sorted(x[23:] for x in lines + extra)
    assert set(copies.values()) == {None}
    win = next(f for f in discover([str(tmp_path)]) if f.path.endswith(".win"))
    assert win.only_lines == frozenset({26, 27})


def rfc5424(lines: list[str], shift: dt.timedelta = dt.timedelta(0)) -> list[str]:
    """The lines as a relay receives them (the site's clock is UTC+1)."""
    out = []
    for line in lines:
        local = dt.datetime.strptime(line[1:21], "%d/%b/%Y %H:%M:%S") + shift
        when = local.replace(tzinfo=dt.timezone(dt.timedelta(hours=1))).isoformat()
        out.append(f"<22>1 {when} mail.example.com mail - - - {line[23:]}")
    return out


def test_the_same_log_forwarded_to_syslog_is_a_copy(tmp_path: Path) -> None:
    """The same messages at the same moments in a syslog envelope (UTC with an offset
    against the server's clock): one is read, the on-disk file."""
    lines = mail_lines(15)
    log = write(tmp_path / "logs" / "mail.log", lines)
    write(tmp_path / "relay" / "kerio", rfc5424(lines))
    messages, copies = read(tmp_path / "relay", tmp_path / "logs")
    assert len(messages) == 15
    assert copies == {"kerio": str(log), "mail.log": None}
    write(tmp_path / "relay" / "kerio", rfc5424(mail_lines(20)))
    messages, copies = read(tmp_path / "relay", tmp_path / "logs")
    # the relay got more: the file of the log's own name is still the original, and
    # the relay's lines it lacks are read from the relay, once
    assert sorted(messages) == sorted(r[23:] for r in mail_lines(20))
    assert copies == {"kerio": None, "mail.log": None}
    files = discover([str(tmp_path / "relay"), str(tmp_path / "logs")])
    assert {Path(f.path).name: f.only_lines for f in files} == {
        "kerio": frozenset(range(16, 21)),
        "mail.log": None,
    }


def test_the_same_messages_at_other_times_are_no_copy(tmp_path: Path) -> None:
    """A message repeated a day later (a re-sent log, a replay) is not the same line."""
    lines = mail_lines(15)
    write(tmp_path / "logs" / "mail.log", lines)
    write(tmp_path / "relay" / "kerio", rfc5424(lines, shift=dt.timedelta(days=1)))
    messages, copies = read(tmp_path / "relay", tmp_path / "logs")
    assert len(messages) == 30
    assert set(copies.values()) == {None}


def audit_lines(count: int) -> list[str]:
    return [
        f"[02/Mar/2026 09:{i:02d}:30] IMAP: User a@example.com authenticated  from IP "
        "address 192.168.1.10"
        for i in range(count)
    ]


def test_a_relay_file_of_every_log_is_a_copy_of_the_logs_it_merges(tmp_path: Path) -> None:
    """The syslog server's one file of the mail and audit logs (app-name ``kerio``),
    interleaved: not read; without a record (lost on the way), or without its first
    records (started after the server), still not read: its lines are all in the
    folder (they were read again: every line counted twice). With one the folder
    lacks, that line is read from it, and only that one (the whole file was read, and
    its other lines counted twice)."""
    mail, audit = mail_lines(10), audit_lines(10)
    mail_log = write(tmp_path / "logs" / "mail.log", mail)
    audit_log = write(tmp_path / "logs" / "audit.log", audit)
    merged = sorted(mail + audit, key=lambda x: x[:22])
    relayed = [r.replace(" mail - - - ", " kerio - - - ") for r in rfc5424(merged)]
    write(tmp_path / "relay" / "kerio", relayed)
    messages, copies = read(tmp_path / "logs", tmp_path / "relay")
    assert len(messages) == 20
    assert copies["kerio"] == f"{audit_log}, {mail_log}"
    for changed in (relayed[:7] + relayed[8:], relayed[5:]):
        write(tmp_path / "relay" / "kerio", changed)
        messages, copies = read(tmp_path / "logs", tmp_path / "relay")
        assert len(messages) == 20
        assert copies["kerio"] == f"{audit_log}, {mail_log}"
    extra = rfc5424(mail_lines(1, first=60))[0]
    folder, _ = read(tmp_path / "logs")
    for changed in ([*relayed, extra], [*relayed[:7], extra, *relayed[7:]]):
        write(tmp_path / "relay" / "kerio", changed)
        messages, copies = read(tmp_path / "logs", tmp_path / "relay")
        assert len(messages) == 21  # the folder's lines once, and the relay's own
        assert not Counter(folder) - Counter(messages)
        assert set(copies.values()) == {None}


def test_the_originals_are_the_files_of_the_log_s_own_name(tmp_path: Path) -> None:
    """A log's own name and its rotated generations (also of a log known by its lines,
    Kerio Control's ``filter.log``); a backup, a Windows copy, a syslog server's file
    are otherwise named."""
    hints = {"mail": "mail", "warn": "warning"}
    for name in ("mail.log", "mail.log.1", "MAIL.LOG.2.gz", "mail.log-20260302", "warn.log"):
        assert own_name(name, "warning" if name == "warn.log" else "mail", hints), name
    assert own_name("filter.log.1", "control", hints)
    for name in ("mail.log.bak", "mail.log.win", "kerio", "mail.log.1.bak", "mail-1.log"):
        assert not own_name(name, "mail", hints), name
    assert not own_name("mail.log", "audit", hints)
    assert not own_name("mail.log", None, hints)
