"""Implausible log times (issue 9, defect 2): one far-future line must not poison the state.

A line dated far from the lines around it (a clock glitch, a damaged line) is counted,
kept for inspection and shown, and processed by nothing: it moves no watermark, no
pruning horizon and no report period. And every date formatter survives the whole range
a database may hold (year 9999 and beyond).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

import sitelogs
from faultlib import cli, poison, site_lines
from kerio_watch.app.config import load_config
from kerio_watch.cli import main
from kerio_watch.config import Config
from kerio_watch.events import MessageReceived
from kerio_watch.pipeline import Pipeline
from kerio_watch.report.servertime import ServerTime
from kerio_watch.sources.files import LogFile, Record, discover, merged_records
from kerio_watch.store import open_store
from kerio_watch.timebase import Timebase
from logtools import recv_line
from sitelogs import Site
from test_follow_cli import Follow, append, wait_for

FUTURE = "[01/Jan/2099 00:00:00]"
YEAR_9999 = "[31/Dec/9999 23:59:59]"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write_site(folder: Path, until: dt.datetime | None = None, bad: str | None = None) -> Path:
    """The test site's logs (up to ``until``), with a copy of a ``Recv:`` line of mail.log
    (the first after line 300) re-dated ``bad`` inserted as line 301."""
    logs = sitelogs.site_logs()
    if until is not None:
        for name in ("mail", "security", "audit"):
            kept = [(when, text) for when, text in getattr(logs, name) if when < until]
            setattr(logs, name, kept)
    logs.write(folder)
    if bad is not None:
        path = folder / "mail.log"
        lines = path.read_text(encoding="utf-8").splitlines()
        recv = next(line for line in lines[300:] if " Recv: " in line)
        lines.insert(300, bad + recv[22:])
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def alerts(result: Result) -> Counter[tuple[str, str, str]]:
    found = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    return Counter((a["user"], a["rule"], a["severity"]) for a in found)


def activity_rows(db: Path) -> int:
    store = open_store(db, readonly=True)
    try:
        return len(store.activity())
    finally:
        store.close()


class TestOneFarFutureLine:
    """The issue's reproduction: a 2099 line, then later scans of the same database."""

    def test_later_scans_are_not_poisoned(self, tmp_path: Path) -> None:
        """Scan the first days with a 2099 line among them, then scan everything: each line
        is processed once and the alerts, the activity history and the skipped lines are
        exactly those of a clean run (main skipped every later line and raised none of
        the hijack's alerts, and pruning by log time deleted the activity history)."""
        config = str(tmp_path / "kerio-watch.toml")
        (tmp_path / "kerio-watch.toml").write_text(sitelogs.CONFIG, encoding="utf-8")
        cut = sitelogs.START + dt.timedelta(days=10)
        first = write_site(tmp_path / "first", until=cut, bad=FUTURE)
        full = write_site(tmp_path / "full", bad=FUTURE)
        clean = write_site(tmp_path / "clean")
        db = str(tmp_path / "state.db")

        one = run("scan", "--db", db, "--config", config, "--format", "jsonl", str(first))
        assert "1 line had an implausible time and was set aside" in one.stderr
        assert "line 301: dated after its file was last written" in one.stderr
        two = run("scan", "--db", db, "--config", config, "--format", "jsonl", str(full))
        ref_db = str(tmp_path / "clean.db")
        ref = run("scan", "--db", ref_db, "--config", config, "--format", "jsonl", str(clean))

        first_lines = sum(
            1
            for n in ("mail", "security", "audit")
            for x in (first / f"{n}.log").open()
            if x.strip()
        )
        # everything the first scan read is passed over (the 2099 line it set aside too),
        # nothing more
        assert f"the {first_lines:,} lines it had already processed were not read" in two.stderr
        assert "already processed by an earlier run" not in two.stderr
        assert alerts(one) + alerts(two) == alerts(ref)
        assert any(rule == "kerio.mail.from_external" for _, rule, _ in alerts(two))
        assert activity_rows(Path(db)) == activity_rows(Path(ref_db))

    def test_the_summary_says_how_many_it_does_not_list(self, tmp_path: Path) -> None:
        """``7 lines had an implausible time`` listed 3 and said nothing of the other 4."""
        folder = write_site(tmp_path / "logs")
        path = folder / "mail.log"
        lines = path.read_text(encoding="utf-8").splitlines()
        for at_ in range(420, 299, -20):  # apart: seven glitches, not a clock moved
            recv = next(line for line in lines[at_:] if " Recv: " in line)
            lines.insert(at_, FUTURE + recv[22:])
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        db = str(tmp_path / "state.db")
        short = run("scan", "--db", db, "--format", "jsonl", str(folder)).stderr
        assert "7 lines had an implausible time and were set aside" in short
        assert short.count("  implausible ") == 3
        assert "  ... and 4 more (--show-unparsed lists them all)" in short
        db = str(tmp_path / "again.db")
        full = run("scan", "--db", db, "--format", "jsonl", "--show-unparsed", str(folder)).stderr
        assert full.count("  implausible ") == 7 and "more" not in full

    def test_status_shows_the_line_set_aside(self, tmp_path: Path) -> None:
        """``status`` lists what was set aside, with file, line and reason."""
        folder = write_site(tmp_path / "logs", bad=FUTURE)
        db = str(tmp_path / "state.db")
        run("scan", "--db", db, str(folder))
        result = run("status", "--db", db, "--format", "json")
        (sample,) = json.loads(result.stdout)["implausible_lines"]
        assert sample["lineno"] == 301 and sample["raw"].startswith(FUTURE)
        text = run("status", "--db", db).stdout
        assert "implausible: " in text and "mail.log line 301" in text

    def test_year_9999_line_breaks_nothing(self, tmp_path: Path) -> None:
        """report (every format), user, incidents and status work (main: OverflowError)."""
        folder = write_site(tmp_path / "logs", bad=YEAR_9999)
        db = str(tmp_path / "state.db")
        assert run("scan", "--db", db, str(folder)).exit_code in (0, 4)
        for fmt in ("text", "json", "html"):
            out = str(tmp_path / f"r.{fmt}")
            assert run("report", "--db", db, "--format", fmt, "-o", out).exit_code == 0
        assert run("user", "--db", db, "alice@example.com").exit_code == 0
        assert run("incidents", "--db", db).exit_code == 0
        assert run("status", "--db", db).exit_code == 0


class TestFullRange:
    """Every formatter survives the whole range."""

    @pytest.fixture
    def poisoned(self, site: Site) -> Site:
        poison(site.db)
        return site

    def test_cli(self, poisoned: Site, tmp_path: Path) -> None:
        """report (every format), user, incidents and status over a year-9999 database."""
        db = str(poisoned.db)
        for fmt in ("text", "json", "html"):
            out = str(tmp_path / f"r.{fmt}")
            result = run("report", "--db", db, "--format", fmt, "-o", out)
            assert result.exit_code == 0, result.output
        for args in (("user", "alice@example.com"), ("incidents",), ("status",)):
            result = run(args[0], "--db", db, *args[1:])
            assert result.exit_code == 0, result.output

    @given(st.integers(min_value=-(2**45), max_value=2**45), st.sampled_from([0, 50400, -43200]))
    def test_formatters(self, ts: int, offset: int) -> None:
        """Times are shown (clamped to what datetime can hold) for any epoch second."""
        for server in (ServerTime(None, offset, "note"), ServerTime(_zone(), 0, "zone")):
            assert server.fmt(ts) and server.fmt_hour(ts) and server.iso(ts)
            assert 0 <= server.how(ts) < 168
        assert Timebase(_zone()).localize(ts).year >= 1
        assert Timebase(None, -offset).localize(ts).year >= 1


def _zone() -> ZoneInfo:
    return ZoneInfo("Pacific/Kiritimati")


# -- the guard, line by line ---------------------------------------------------------
T0 = dt.datetime(2026, 3, 10, 8, 0, 0)


def mail(minutes: float, n: int, stamp: str | None = None) -> str:
    text = recv_line(
        T0 + dt.timedelta(minutes=minutes), 1, n, sender="a@example.com", to="b@x.test",
        user="a@example.com",
    )  # fmt: skip
    return text if stamp is None else stamp + text[22:]


def processed(lines: list[str], tmp_path: Path, **state: int) -> tuple[list[int], Pipeline]:
    """Run lines through a pipeline; the counters (Queue-ID numbers) of processed sends."""
    folder = tmp_path / f"logs{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    (folder / "mail.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = _config(state)
    store = open_store(tmp_path / f"{folder.name}.db")
    pipeline = Pipeline(config, store, Timebase(None, -3600))
    seen: list[int] = []
    original = pipeline.detection.observe  # every processed event reaches it, once

    def spy(event: object, sub: object) -> None:
        if isinstance(event, MessageReceived):
            seen.append(int(event.queue_id[9:], 16))
        original(event, sub)  # type: ignore[arg-type]

    pipeline.detection.observe = spy  # type: ignore[method-assign]
    pipeline.run(merged_records(discover([str(folder)]), pipeline.skip_line))
    pipeline.save()
    store.close()
    return seen, pipeline


def _config(state: dict[str, int]) -> Config:
    if not state:
        return load_config(None)
    from kerio_watch.app.config import config_from_dict  # noqa: PLC0415

    return config_from_dict({"state": state})


class TestGuard:
    """Which lines are set aside, and which are processed."""

    def test_one_line_far_ahead(self, tmp_path: Path) -> None:
        """Two days ahead of its neighbours (and of its file): set aside."""
        lines = [mail(i, i) for i in range(5)]
        lines.insert(3, mail(3 * 24 * 60, 99))
        seen, pipeline = processed(lines, tmp_path)
        assert seen == [0, 1, 2, 3, 4]
        assert pipeline.stats.implausible == 1

    def test_real_gap_is_followed(self, tmp_path: Path) -> None:
        """The server was down for three days: the lines after the gap agree, all count.
        Also when the gap comes at the very end (confirmed by the file's own time)."""
        lines = [mail(i, i) for i in range(5)] + [mail(3 * 24 * 60 + i, 10 + i) for i in range(5)]
        seen, pipeline = processed(lines, tmp_path)
        assert seen == [0, 1, 2, 3, 4, 10, 11, 12, 13, 14] and not pipeline.stats.implausible
        seen, _ = processed(lines[:6], tmp_path)
        assert seen == [0, 1, 2, 3, 4, 10]

    def test_first_line_bogus(self, tmp_path: Path) -> None:
        """A new database whose very first line is the damaged one."""
        lines = [mail(0, 99, FUTURE)] + [mail(i, i) for i in range(5)]
        seen, pipeline = processed(lines, tmp_path)
        assert seen == [0, 1, 2, 3, 4] and pipeline.stats.implausible == 1

    def test_far_behind(self, tmp_path: Path) -> None:
        """More than past_days behind: set aside; nearer: processed."""
        lines = [mail(i, i) for i in range(5)]
        lines.insert(2, mail(0, 98, "[10/Jan/2026 08:00:00]"))
        lines.insert(4, mail(0, 99, "[01/Mar/2026 08:00:00]"))
        seen, pipeline = processed(lines, tmp_path, past_days=30)
        assert seen == [0, 1, 2, 99, 3, 4] and pipeline.stats.implausible == 1

    def test_follow_holds_across_a_restart(self) -> None:
        """A line waiting for agreement is saved with follow's state and judged again by the
        next run: neither lost nor processed twice."""
        from kerio_watch.pipeline.timeguard import TimeGuard  # noqa: PLC0415 (new in issue 9)

        guard = TimeGuard(86400, 400 * 86400)
        source = LogFile("<stdin>", "mail")
        day = 86400

        def item(ts: int) -> tuple[MessageReceived, Record]:
            event = MessageReceived(ts, "mail", "raw", "q", "SMTP", "a", ("b",), 1, "h")
            return event, Record(ts, True, "mail", "m", "raw", source, ts)

        assert guard.judge(*item(10 * day)) == guard.judge(*item(10 * day + 1)) == []
        assert guard.judge(*item(10 * day + 2)) == [item(10 * day + i) for i in range(3)]
        assert guard.fits(10 * day + 5)
        assert guard.judge(*item(15 * day)) == []  # waits
        held = guard.restore(guard.dump(keep_held=True))
        assert [r.ts for r in held] == [15 * day]
        again = TimeGuard(86400, 400 * 86400)
        again.restore(guard.dump(keep_held=True))
        for r in held:
            assert again.judge(*item(r.ts)) == []
        out = again.judge(*item(15 * day + 1)) + again.judge(*item(15 * day + 2))
        assert [e.ts for e, _ in out] == [15 * day, 15 * day + 1, 15 * day + 2]


@pytest.mark.parametrize("agree", [True, False])
def test_follow_pipeline_keeps_waiting_lines_with_its_state(tmp_path: Path, agree: bool) -> None:
    """``follow``'s pipeline saves a waiting line (two years behind) in its transaction;
    the next run judges it with the next lines: if they agree, the clock was set back and
    the three lines count (as already processed: they are behind the watermark); if the
    next line is back to normal, it was implausible. Never lost, never counted twice."""
    db = tmp_path / "state.db"
    folder = tmp_path / "logs"
    folder.mkdir()
    old = "[01/Jan/2024 08:00:0{}]"
    batches = [
        [mail(i, i) for i in range(4)] + [mail(0, 50, old.format(0))],
        [mail(0, 51 + i, old.format(1 + i)) for i in range(2)] if agree else [mail(5, 5)],
    ]
    stats = []
    for batch in (batches[0], [], batches[1]):  # a run that reads nothing keeps them too
        (folder / "mail.log").write_text("\n".join(batch) + "\n", encoding="utf-8")
        store = open_store(db)
        pipeline = Pipeline(load_config(None), store, Timebase(None, -3600), hold=True)
        if batch:  # follow saves at its start, before it reads anything
            pipeline.run(merged_records(discover([str(folder)])), prefilter=True)
        pipeline.save(final=False)
        stats.append(pipeline.stats)
        store.close()
    assert (stats[0].events["message_received"], stats[0].held) == (4, 1)
    assert (stats[1].held, stats[1].implausible) == (1, 0)
    assert stats[2].held == 0
    if agree:
        assert (stats[2].already_seen, stats[2].implausible) == (3, 0)
    else:
        assert (stats[2].events["message_received"], stats[2].implausible) == (1, 1)


def test_config_options_are_checked(tmp_path: Path, write_log: Callable[..., Path]) -> None:
    """Bad [state] limits name file, key and expectation."""
    config = tmp_path / "c.toml"
    config.write_text("[state]\nfuture_hours = 0\npast_days = -1\n", encoding="utf-8")
    result = run("config", "check", "--config", str(config))
    assert result.exit_code == 3
    assert "state.future_hours" in result.output and "state.past_days" in result.output


def test_copy_keeps_working(tmp_path: Path) -> None:
    """A copied log (new modification time) is judged the same."""
    folder = write_site(tmp_path / "logs", bad=FUTURE)
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    db = str(tmp_path / "s.db")
    result = run("scan", "--db", db, str(copy))
    assert "1 line had an implausible time" in result.stderr


def test_follow_sets_the_line_aside_and_goes_on(tmp_path: Path, logs: Path, follow: Follow) -> None:
    """The live case: a 2099 line among lines being followed is set aside, status shows
    it, the lines after it raise their alerts, and a later scan of the same files skips
    exactly the lines processed (the watermark did not move to 2099)."""
    lines = site_lines(200)
    append(logs / "mail.log", lines[:150])
    follow.start()
    wait_for(lambda: follow.totals().lines == 150)
    append(logs / "mail.log", [FUTURE + lines[150][22:], *lines[150:]])
    wait_for(lambda: follow.totals().lines == 401)
    assert follow.stop() == 0
    totals = follow.totals()
    assert totals.implausible == 1 and sum(totals.events.values()) == 400
    status = json.loads(cli("status", "--db", str(follow.db), "--format", "json").stdout)
    assert status["implausible_lines"][-1]["raw"].startswith(FUTURE)
    assert len(follow.printed()) == len(cli_alerts(tmp_path, lines))
    again = cli("scan", "--db", str(follow.db), str(logs))
    assert "400 lines were already processed" in " ".join(again.stderr.split())


def cli_alerts(tmp_path: Path, lines: list[str]) -> list[dict[str, object]]:
    """The alerts of one scan of ``lines`` into a fresh database."""
    folder = tmp_path / "clean"
    folder.mkdir()
    (folder / "mail.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = cli("scan", "--db", str(tmp_path / "clean.db"), "--format", "jsonl", str(folder))
    return [json.loads(x) for x in out.stdout.splitlines() if x.startswith("{")]


def _guard_run(times: list[int]) -> tuple[list[int], int]:
    """Times through a TimeGuard (as the pipeline feeds it, then a final save): the
    times processed, in order, and how many were set aside."""
    from kerio_watch.pipeline.timeguard import TimeGuard  # noqa: PLC0415 (new in issue 9)

    guard = TimeGuard(86400, 400 * 86400)
    source = LogFile("<stdin>", "mail")
    out: list[int] = []
    for n, ts in enumerate(times):
        event = MessageReceived(ts, "mail", "raw", "q", "SMTP", "a", ("b",), 1, "h")
        if guard.fits(ts):
            out.append(ts)
        else:
            out += [
                e.ts for e, _ in guard.judge(event, Record(ts, True, "mail", "", "", source, n))
            ]
    out += [e.ts for e, _ in guard.flush(final=True)]
    return out, guard.implausible


@given(st.lists(st.integers(min_value=0, max_value=20 * 3600), min_size=1, max_size=60))
def test_ordinary_times_all_pass_in_order(steps: list[int]) -> None:
    """Lines whose times move on by less than a day each (and never back) are all
    processed, in their order, whatever the gaps."""
    times = [1_770_000_000 + sum(steps[: i + 1]) for i in range(len(steps))]
    assert _guard_run(times) == (times, 0)


@given(
    st.lists(st.integers(min_value=0, max_value=3600), min_size=6, max_size=40),
    st.data(),
    st.sampled_from([3 * 86400, 5 * 365 * 86400, -(500 * 86400)]),
)
def test_one_outlier_is_set_aside(steps: list[int], data: st.DataObject, jump: int) -> None:
    """One line days or years off, with at least three ordinary lines before and after
    it: it alone is set aside; every other line is processed, in order."""
    times = [1_770_000_000 + sum(steps[: i + 1]) for i in range(len(steps))]
    at = data.draw(st.integers(min_value=3, max_value=len(times) - 3))
    processed, doubted = _guard_run([*times[:at], times[at - 1] + jump, *times[at:]])
    assert (processed, doubted) == (times, 1)
