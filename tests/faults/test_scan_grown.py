"""A later scan of logs that grew goes on where the earlier scan left each file, by
position, so each line is processed once whatever its time says
(:mod:`kerio_watch.pipeline.grown`).

Scans skipped what an earlier scan processed by the time written in each log alone: a
clock set back by under 5 minutes is not told from lines written out of order, so the
lines after such a jump dated at or before the earlier scan's watermark were lost.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from faultlib import T0, cli, counted, shifted, site_lines
from kerio_watch.pipeline.autosave import Autosave
from kerio_watch.pipeline.grown import KNOWN
from logtools import kerio_stamp, recv_line, sent_line
from nativediff import extension
from scanresume import Read, Site, differences, make_site, readers, scan, tables

ENGINES = ["python", "native"]


def run(engine: str, db: Path, *paths: Path) -> tuple[int, int]:
    """A scan of ``paths``: (lines it read, lines of those it skipped as processed)."""
    result = cli("--engine", engine, "scan", "--db", str(db), *map(str, paths))
    assert result.returncode == 0, result.stderr
    read = sum(
        int(n.replace(",", "")) for n in re.findall(r"\(mail\): ([\d,]+) lines", result.stderr)
    )
    skipped = re.search(r"([\d,]+) lines were already processed", result.stderr)
    return read, int(skipped.group(1).replace(",", "")) if skipped else 0


def write(path: Path, lines: list[str], mode: str = "a") -> None:
    with path.open(mode, encoding="utf-8") as handle:
        handle.write("".join(x + "\n" for x in lines))


def reference(tmp_path: Path, engine: str, lines: list[str]) -> Path:
    """The database of one scan of ``lines`` as one mail.log."""
    ref = tmp_path / "ref"
    ref.mkdir()
    write(ref / "mail.log", lines, "w")
    run(engine, tmp_path / "ref.db", ref)
    return tmp_path / "ref.db"


def scanned_then_grown(tmp_path: Path, engine: str, grown: list[str]) -> Path:
    """The database of a mail.log of ``grown``'s first 400 lines scanned, then grown by
    the other 400 and scanned again (each scan processing 400)."""
    logs = tmp_path / "logs"
    logs.mkdir()
    db = tmp_path / "s.db"
    write(logs / "mail.log", grown[:400])
    assert run(engine, db, logs) == (400, 0)
    write(logs / "mail.log", grown[400:])
    assert run(engine, db, logs) == (400, 0)
    return db


@pytest.mark.parametrize("minutes", [2, 4])
@pytest.mark.parametrize("engine", ENGINES)
def test_a_clock_set_back_minutes_loses_no_line(tmp_path: Path, engine: str, minutes: int) -> None:
    """A mail.log scanned, then grown by 400 lines written after the clock was set back
    a few minutes: the second scan processes all 400 (it skipped 4 of them set back 2
    minutes, 8 set back 4), and ends as one scan of the whole file."""
    lines = site_lines(400)
    grown = lines[:400] + [shifted(x, -minutes / 60) for x in lines[400:]]
    db = scanned_then_grown(tmp_path, engine, grown)
    assert counted(db) == counted(reference(tmp_path, engine, grown))


def inbound_lines(messages: int) -> list[str]:
    """A mail.log of ``messages`` messages from outside to local mailboxes, one every 50
    seconds: no account sent them, so the pre-filter drops their ``Sent:`` lines."""
    lines = []
    for n in range(messages):
        when, to = T0 + dt.timedelta(seconds=50 * n), f"u{n % 16}@example.com"
        lines += [
            recv_line(when, 1, n, sender=f"x{n}@outside.test", to=to),
            sent_line(when + dt.timedelta(seconds=2), 1, n, to=to),
        ]
    return lines


@pytest.mark.parametrize("engine", ENGINES)
def test_dropped_lines_after_a_clock_set_back_are_new(tmp_path: Path, engine: str) -> None:
    """As above, for the ``Sent:`` lines the pre-filter drops (those of mail from
    outside, counted without being parsed): the second scan counts all of them as new,
    and the watermarks end as one scan's of the whole file."""
    lines = inbound_lines(400)
    grown = lines[:400] + [shifted(x, -2 / 60) for x in lines[400:]]
    db = scanned_then_grown(tmp_path, engine, grown)
    ref = reference(tmp_path, engine, grown)
    assert tables(db)["watermarks"] == tables(ref)["watermarks"]


def rotate_renamed(logs: Path) -> None:
    (logs / "mail.log").rename(logs / "mail.log.1")


def rotate_gzipped(logs: Path) -> None:
    with (logs / "mail.log").open("rb") as src, gzip.open(logs / "mail.log.1.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    (logs / "mail.log").unlink()


@pytest.mark.parametrize("rotate", [rotate_renamed, rotate_gzipped])
@pytest.mark.parametrize("engine", ENGINES)
def test_grown_then_rotated(tmp_path: Path, engine: str, rotate: Any) -> None:
    """Scanned; grown (after the clock was set back 2 minutes), then rotated (renamed to
    mail.log.1, or compressed to mail.log.1.gz) and a new mail.log started: the next
    scan reads the rotated file on from where the first left it and the new one whole,
    each line once."""
    lines = site_lines(400)
    grown = lines[:300] + [shifted(x, -2 / 60) for x in lines[300:]]
    logs = tmp_path / "logs"
    logs.mkdir()
    db = tmp_path / "s.db"
    write(logs / "mail.log", grown[:300])
    assert run(engine, db, logs) == (300, 0)
    write(logs / "mail.log", grown[300:600])
    rotate(logs)
    write(logs / "mail.log", grown[600:])
    assert run(engine, db, logs) == (500, 0)
    assert run(engine, db, logs) == (0, 0)
    assert counted(db) == counted(reference(tmp_path, engine, grown))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_file_replaced_is_read_from_its_start(tmp_path: Path, engine: str) -> None:
    """mail.log scanned, then replaced by another file with the same first line (a log
    rewritten, a backup of another day restored over it) that is longer: its lines are
    not taken for the first one's grown, but judged from its start by the watermarks
    (those after them are new)."""
    lines = site_lines(400)
    logs = tmp_path / "logs"
    logs.mkdir()
    db = tmp_path / "s.db"
    write(logs / "mail.log", lines[:200])
    assert run(engine, db, logs) == (200, 0)
    later = [shifted(x, 24) for x in lines[1:500]]  # a day later, 499 lines
    os.unlink(logs / "mail.log")
    write(logs / "mail.log", lines[:1] + later)
    # read from its start: its first line is the one processed, the rest new
    assert run(engine, db, logs) == (500, 1)


@pytest.mark.parametrize("engine", ENGINES)
def test_unchanged_logs_are_not_read_again(tmp_path: Path, engine: str) -> None:
    """A second scan of logs that did not change reads no line (it read every line again
    and skipped each by its time); a compressed file is not opened."""
    lines = site_lines(300)
    logs = tmp_path / "logs"
    logs.mkdir()
    with gzip.open(logs / "mail.log.1.gz", "wt", encoding="utf-8") as handle:
        handle.write("".join(x + "\n" for x in lines[:300]))
    write(logs / "mail.log", lines[300:])
    db = tmp_path / "s.db"
    assert run(engine, db, logs) == (600, 0)
    assert run(engine, db, logs) == (0, 0)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM watermarks").fetchone()[0] > 0


CUTS = {
    2: ["04/Mar/2026 09:00:00"],
    3: ["03/Mar/2026 12:00:00", "05/Mar/2026 10:00:00"],
    4: ["02/Mar/2026 15:00:00", "03/Mar/2026 12:00:00", "04/Mar/2026 09:00:00"],
}
"""Where the logs of the simulated site are cut (local time), away from the lines the
time guard holds (a glitch from 5 March 13:25 and a jump of audit.log's clock from 18:30,
both 30 hours ahead: lines held across the end of a scan are judged there)."""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return make_site(tmp_path_factory.mktemp("grown"))


def _stamp(line: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(line[1:21], "%d/%b/%Y %H:%M:%S")
    except ValueError:
        return None


def _prefix(lines: list[str], cut: dt.datetime) -> int:
    """How many of a file's lines were written before ``cut``: up to the first of three
    lines in a row dated at or after it (a line or two of a glitch are not the end)."""
    for i in range(len(lines)):
        ahead = [_stamp(x) for x in lines[i : i + 3]]
        if all(t is not None and t >= cut for t in ahead):
            return i
    return len(lines)


def _late(lines: list[str], at: int) -> None:
    """Date line ``at`` two seconds before the line before it, as a server writes a
    line a moment out of order."""
    before = _stamp(lines[at - 1])
    assert before is not None and _stamp(lines[at]) - before < dt.timedelta(minutes=5)  # type: ignore[operator]
    lines[at] = kerio_stamp(before - dt.timedelta(seconds=2)) + lines[at][22:]


def in_parts(
    site: Site,
    tmp_path: Path,
    parts: int,
    late: bool,
    engine: str | None = None,
    glitch: bool = False,
) -> list[dict[str, Read]]:
    """The site's logs grown in ``parts`` steps in ``tmp_path/logs``, scanned after each
    into ``tmp_path/parts`` (with ``engine``): the readers each scan used (:func:`readers`).
    ``late``: mail.log's first line of each part is dated a moment before the last line
    of the part before; ``glitch``: mail.log's first line of each later part is one dated
    2099 (a clock glitch)."""
    logs = tmp_path / "logs"
    logs.mkdir()
    sources = sorted(site.logs.glob("*.log"))
    text = {f: f.read_text(encoding="utf-8").splitlines() for f in sources}
    done = dict.fromkeys(sources, 0)
    cuts = [dt.datetime.strptime(c, "%d/%b/%Y %H:%M:%S") for c in CUTS[parts]]
    used = []
    for cut in [*cuts, None]:
        for source in sources:
            lines = text[source]
            upto = len(lines) if cut is None else _prefix(lines, cut)
            if late and source.name == "mail.log" and cut is not None:
                _late(lines, upto)
            if glitch and source.name == "mail.log" and cut is not None:
                lines.insert(upto, "[01/Jan/2099 00:00:00]" + lines[upto][22:])
            write(logs / source.name, lines[done[source] : upto])
            shutil.copystat(source, logs / source.name)
            done[source] = upto
        with readers() as reading:
            scan(Site(logs, site.config), tmp_path / "parts", Autosave(0), engine=engine)
        used.append(reading)
    return used


@pytest.mark.parametrize("late", [False, True], ids=["in order", "a line late"])
@pytest.mark.parametrize("parts", sorted(CUTS))
def test_a_scan_in_parts_is_one_scan(site: Site, tmp_path: Path, parts: int, late: bool) -> None:
    """The site's logs grown in ``parts`` steps, scanned after each: the database ends
    as one scan's of the whole logs (in the same place), row for row, and the sink
    received each alert once. Also when mail.log's first line of each part is dated a
    moment before the last line of the part before: scans took it for processed (dated
    before the watermark, it was lost)."""
    in_parts(site, tmp_path, parts, late)
    scan(Site(tmp_path / "logs", site.config), tmp_path / "one", Autosave(0))
    got, want = tables(tmp_path / "parts" / "s.db"), tables(tmp_path / "one" / "s.db")
    assert differences(got, want) == {}
    sent = site.sent(tmp_path / "parts")
    assert len(sent) == len(set(sent))
    assert sorted(sent) == sorted(site.sent(tmp_path / "one"))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_glitch_first_in_a_grown_log(site: Site, tmp_path: Path, engine: str) -> None:
    """The first new line of mail.log in each later part is dated 2099 (a clock glitch,
    set aside as implausible): the scans in parts still end as one scan of the whole
    logs, row for row. The merge of the logs orders a line that jumps far ahead of the
    line before it by the lines after it; a scan going on from a position did not know
    the line before, so the glitch held mail.log back behind every other log and
    detection saw its lines after theirs (alerts lost and changed)."""
    in_parts(site, tmp_path, 3, False, engine=engine, glitch=True)
    scan(Site(tmp_path / "logs", site.config), tmp_path / "one", Autosave(0), engine=engine)
    got, want = tables(tmp_path / "parts" / "s.db"), tables(tmp_path / "one" / "s.db")
    assert differences(got, want) == {}
    assert sorted(site.sent(tmp_path / "parts")) == sorted(site.sent(tmp_path / "one"))


@pytest.mark.parametrize("late", [False, True], ids=["in order", "a line late"])
def test_the_core_reads_grown_logs_on(site: Site, tmp_path: Path, late: bool) -> None:
    """The native engine's scans of the grown logs: the core reads each file on from
    where the scan before left it (by its byte position; the Python reader reads none),
    and the database ends as the pure-Python engine's one scan of the whole logs, row
    for row (they were read in Python: the core read a file from its first line only)."""
    extension()
    used = in_parts(site, tmp_path, 3, late, engine="native")
    assert all(start == 0 and not continued for _, start, _, continued in used[0]["native"])
    for later in used[1:]:
        assert later["python"] == []
        continued = {name: (start, offset) for name, start, offset, on in later["native"] if on}
        assert {"mail.log", "filter.log", "audit.log"} <= set(continued)
        assert all(start > 0 and offset > 0 for start, offset in continued.values())
    scan(Site(tmp_path / "logs", site.config), tmp_path / "one", Autosave(0), engine="python")
    got, want = tables(tmp_path / "parts" / "s.db"), tables(tmp_path / "one" / "s.db")
    assert differences(got, want) == {}
    assert sorted(site.sent(tmp_path / "parts")) == sorted(site.sent(tmp_path / "one"))


def test_a_line_cut_across_a_rotation(tmp_path: Path) -> None:
    """The last line of mail.log without its line end when it is scanned, its rest at the
    start of the new mail.log after the rotation: read as two lines, as one scan of both
    files reads them (its first part a message received without recipient, its rest an
    unparsed line without a time); the file gets no position, and the watermarks take
    the lines the first scan read for processed (docs/service.md)."""
    lines = site_lines(40)
    at = lines[30].index(", To:")
    head, rest = lines[30][:at], lines[30][at:]
    logs = tmp_path / "logs"
    logs.mkdir()
    db = tmp_path / "s.db"
    write(logs / "mail.log", lines[:30])
    with (logs / "mail.log").open("a", encoding="utf-8") as handle:
        handle.write(head)
    assert run("native", db, logs) == (31, 0)
    (logs / "mail.log").rename(logs / "mail.log.1")
    write(logs / "mail.log", [rest, *lines[31:]])
    result = cli("scan", "--show-unparsed", "--db", str(db), str(logs))
    assert "logs/mail.log.1 (mail): 31 lines\n" in result.stderr
    assert "31 lines were already processed by an earlier run" in result.stderr
    assert f"unparsed line 1: no timestamp: {rest}" in result.stderr
    ref = tmp_path / "ref"
    ref.mkdir()
    (ref / "mail.log.1").write_bytes((logs / "mail.log.1").read_bytes())
    (ref / "mail.log").write_bytes((logs / "mail.log").read_bytes())
    one = cli("scan", "--db", str(tmp_path / "ref.db"), str(ref))
    assert one.returncode == 0, one.stderr
    assert counted(db) == counted(tmp_path / "ref.db")


def test_a_damaged_record_falls_back_to_the_watermarks(tmp_path: Path) -> None:
    """A record that is not of its form is left out: the scan judges the file by the
    watermarks (it read every line again and skipped each), and records it anew."""
    lines = site_lines(100)
    logs = tmp_path / "logs"
    logs.mkdir()
    db = tmp_path / "s.db"
    write(logs / "mail.log", lines)
    assert run("native", db, logs) == (200, 0)
    with sqlite3.connect(db) as conn:
        (value,) = conn.execute("SELECT value FROM meta WHERE key = ?", (KNOWN,)).fetchone()
        damaged = {key: ["x", *left[1:]] for key, left in json.loads(value).items()}
        conn.execute("UPDATE meta SET value = ? WHERE key = ?", (json.dumps(damaged), KNOWN))
    assert run("native", db, logs) == (200, 200)
    assert run("native", db, logs) == (0, 0)
