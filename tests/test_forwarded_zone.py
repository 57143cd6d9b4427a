"""Without ``[site] timezone``, a mail log forwarded to syslog still tells the server's
offset: its RFC 5424 stamps carry it, and its Queue-IDs are checked against them.

The logs still on disk (audit, security) are on the server's clock with no offset; they
were taken as UTC beside a forwarded mail log ("no Queue-IDs in the logs"): an hour
apart from the mail of the same moment in Berlin, which changed a simulated site's
findings (a webmail takeover high on disk, medium with its mail forwarded).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

import transports as t
from kerio_watch.formats.envelope import wall_clock
from kerio_watch.sources.files import discover
from kerio_watch.sources.queue_ids import infer_initial_delta
from logtools import recv_line

BERLIN = "Europe/Berlin"


@pytest.mark.parametrize(
    ("text", "wall"),
    [
        ("<22>1 2026-03-02T08:05:19+01:00 host mail - - - Recv: x", "2026-03-02 08:05:19"),
        ("<22>1 2026-03-02T08:05:19.25-04:00 host mail - - - Recv: x", "2026-03-02 08:05:19"),
        ("2026-03-02T07:05:19.000000+00:00 host mail: Recv: x", "2026-03-02 07:05:19"),
        ("2026-03-02T07:05:19Z host mail: Recv: x", "2026-03-02 07:05:19"),
        ("<22>Mar  2 08:05:19 host mail: Recv: x", None),
        ("[02/Mar/2026 08:05:19] Recv: x", None),
        ("2026-03-02 08:05:19 ALLOW TCP", None),
    ],
)
def test_the_wall_clock_of_a_stamp_with_its_offset(text: str, wall: str | None) -> None:
    got = wall_clock(text)
    shown = None if got is None else dt.datetime.fromtimestamp(got, dt.UTC).strftime("%F %T")
    assert shown == wall


def mail(day: int, count: int) -> list[str]:
    """On-disk Recv lines of Berlin (UTC+1 in March until the 29th, then UTC+2)."""
    out = []
    for i in range(count):
        local = dt.datetime(2026, 3, day, 9, 0) + dt.timedelta(minutes=3 * i)
        offset = 2 if local >= dt.datetime(2026, 3, 29, 3, 0) else 1
        out.append(recv_line(local, offset, i, sender="a@example.com", to="b@x.test"))
    return out


@pytest.mark.parametrize(
    "envelope",
    [
        lambda lines: t.rfc5424(lines, "mail", BERLIN),
        lambda lines: t.rfc5424(lines, "mail", BERLIN, app="kerio"),  # names no log
        lambda lines: t.rsyslog_precise(lines, "mail", BERLIN),
        lambda lines: t.rfc3164(lines, "mail"),  # the server's clock, no offset
    ],
    ids=["rfc5424", "rfc5424-kerio", "precise", "rfc3164"],
)
def test_the_first_offset_from_a_forwarded_mail_log(
    tmp_path: Path, envelope: Callable[[list[str]], list[str]]
) -> None:
    t.write_text(tmp_path / "relay" / "maillog", envelope(mail(2, 5)))
    assert infer_initial_delta(discover([str(tmp_path / "relay")])) == -3600


def test_the_offset_follows_daylight_saving_in_a_forwarded_mail_log(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """The mail log forwarded (RFC 5424), the audit log on disk, across the change to
    summer time: both offsets are learnt, as from the same log on disk."""
    lines = mail(28, 10) + mail(30, 10)
    audit = [
        f"{line[:22]} IMAP: User a@example.com authenticated  from IP address 192.168.1.10"
        for line in lines
    ]
    t.write_text(tmp_path / "disk" / "mail.log", lines)
    t.write_text(tmp_path / "disk" / "audit.log", audit)
    t.write_text(tmp_path / "mixed" / "audit.log", audit)
    t.write_text(tmp_path / "mixed" / "relay" / "mail", t.rfc5424(lines, "mail", BERLIN))
    said = {}
    for name in ("disk", "mixed"):
        paths = [str(p) for p in (tmp_path / name, tmp_path / name / "relay") if p.exists()]
        out = cli("scan", "--no-progress", "--db", str(tmp_path / f"{name}.db"), *paths)
        assert out.exit_code == 0, out.output
        said[name] = [x for x in out.stderr.splitlines() if "UTC offset" in x]
    assert said["disk"] == ["UTC offset +01:00, +02:00 inferred from 20 Queue-IDs"]
    assert said["mixed"] == said["disk"]
