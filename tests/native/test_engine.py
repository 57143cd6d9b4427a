"""Engine selection, ``--version``, ``status``, and the bulk pre-filter bookkeeping.

These run with or without the native extension (a missing one is simulated).
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from kerio_watch import native
from kerio_watch.cli import main
from kerio_watch.config import Config
from kerio_watch.exitcodes import ExitStatus
from kerio_watch.pipeline import SENT_MARK, Pipeline
from kerio_watch.pipeline.marks import back_key
from kerio_watch.store.sqlite import SQLiteStore
from kerio_watch.timebase import Timebase


@pytest.fixture
def no_extension(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine where the extension was not built."""
    monkeypatch.setattr(native, "load_extension", lambda: (None, "it is not built here"))


def test_version_names_the_engine() -> None:
    out = CliRunner().invoke(main, ["--engine", "python", "--version"]).output
    assert out.splitlines() == [
        "kerio-watch, version 0.1.0",
        "engine: python (pure Python, as requested)",
    ]
    auto = CliRunner().invoke(main, ["--version"], env={"KERIO_WATCH_ENGINE": ""}).output
    expected = "native" if native.load_extension()[0] is not None else "python"
    assert auto.splitlines()[1].startswith(f"engine: {expected} (")


def test_auto_falls_back_to_python(no_extension: None) -> None:
    engine = native.resolve("auto")
    assert (engine.name, engine.module) == ("python", None)
    assert "not built" in engine.describe()
    out = CliRunner().invoke(main, ["--version"], env={"KERIO_WATCH_ENGINE": ""}).output
    assert "engine: python (it is not built here)" in out


def test_native_where_it_is_missing_is_a_clear_error(no_extension: None, tmp_path: Path) -> None:
    with pytest.raises(native.EngineError, match="native engine was requested"):
        native.resolve("native")
    log = tmp_path / "mail.log"
    log.write_text("[24/Aug/2022 16:28:11] SMTP Send: x\n", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["--engine", "native", "scan", "--db", str(tmp_path / "s.db"), str(log)]
    )
    assert result.exit_code == int(ExitStatus.CONFIG_ERROR)
    assert "use --engine python" in result.stderr
    assert "Traceback" not in result.output


def test_an_extension_of_another_boundary_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("kerio_watch._native")
    fake.ABI = native.ABI + 1  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kerio_watch._native", fake)
    module, why = native.load_extension()
    assert module is None
    assert "reinstall" in why


def test_bad_engine_names_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERIO_WATCH_ENGINE", "turbo")
    native.set_engine(None)
    with pytest.raises(native.EngineError, match="unknown engine 'turbo'"):
        native.resolve()


def test_status_says_which_engine_runs(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    log = tmp_path / "mail.log"
    log.write_text("[24/Aug/2022 16:28:11] SMTP Send: x\n", encoding="utf-8")
    runner = CliRunner()
    assert (
        runner.invoke(main, ["--engine", "python", "scan", "--db", str(db), str(log)]).exit_code
        == 0
    )
    out = runner.invoke(main, ["--engine", "python", "status", "--db", str(db)]).output
    assert "engine: python (pure Python, as requested); the last run used python" in out


# -- the bulk bookkeeping of dropped Sent lines ------------------------------------------


def _pipeline(zone: str | None, mark: tuple[int, int] | None, ref: str) -> Pipeline:
    timebase = Timebase(ZoneInfo(zone)) if zone else Timebase(None, -3600)
    p = Pipeline(Config(), SQLiteStore(":memory:"), timebase, engine="python")
    if mark is not None:
        p.watermarks.marks[SENT_MARK] = mark
    guard = p.guard
    # The runs' UTC times are 1_699_996_400 to 1_700_000_100.
    guard.ref = {
        "none": None,
        "near": 1_700_000_000,
        "edge": 1_699_996_450 - guard.future,  # some of a run's lines are too far ahead
        "far": 1_690_000_000,
    }[ref]
    return p


@settings(max_examples=200)
@given(
    st.lists(
        st.lists(st.integers(1_700_000_000, 1_700_000_100), min_size=1, max_size=6), max_size=5
    ),
    st.one_of(st.none(), st.tuples(st.integers(1_699_996_380, 1_699_996_520), st.integers(0, 3))),
    st.sampled_from([None, "Europe/Berlin", "UTC"]),
    st.sampled_from(["none", "near", "edge", "far"]),
)
def test_dropped_runs_count_as_line_by_line(
    runs: list[list[int]], mark: tuple[int, int] | None, zone: str | None, ref: str
) -> None:
    """``count_dropped_deliveries`` (or its fallback) == one ``count_untracked`` per
    line, whatever the watermark, the time base, the order of times and the time guard's
    reference (lines not near it are left to be parsed, None)."""
    _count_alike(_pipeline(zone, mark, ref), _pipeline(zone, mark, ref), runs, parsed=True)


def _count_alike(
    one: Pipeline, bulk: Pipeline, runs: list[list[int]], parsed: bool = False
) -> None:
    """``bulk`` counts each run of dropped lines at once (or, where it cannot, line by
    line) and ends as ``one``, which counted every line alone (``parsed``: a run counted
    at once held no line left to be parsed)."""
    for run in runs:
        kinds = [one.count_untracked(ts) for ts in run]
        shift = bulk.timebase.shift_between(min(run), max(run))
        top = max(run)
        done = shift is not None and bulk.count_dropped_deliveries(
            len(run), min(run) + shift, top + shift, run.count(top)
        )
        if done:
            assert not parsed or None not in kinds
        else:
            assert [bulk.count_untracked(ts) for ts in run] == kinds
    assert bulk.stats == one.stats
    assert bulk.watermarks.last == one.watermarks.last
    assert bulk.watermarks.seen_at_mark == one.watermarks.seen_at_mark


SET_BACK_RUNS = st.lists(
    st.lists(st.integers(1_699_999_000, 1_700_000_100), min_size=1, max_size=6), max_size=5
)
"""Runs of times that may hold a clock set back by more than 5 minutes."""
SET_BACK_MARKS = st.one_of(
    st.none(), st.tuples(st.integers(1_699_998_900, 1_699_999_500), st.integers(0, 3))
)


@settings(max_examples=300)
@given(SET_BACK_RUNS, SET_BACK_MARKS, st.sampled_from([None, "Europe/Berlin"]))
def test_dropped_runs_across_a_clock_set_back_count_as_line_by_line(
    runs: list[list[int]], mark: tuple[int, int] | None, zone: str | None
) -> None:
    """``count_dropped_deliveries`` across a clock set back more than 5 minutes (all near
    the guard's reference: it accepts 400 days behind it): as line by line, the back mark
    included (it was counted at once, and the set back never noted)."""
    one, bulk = _pipeline(zone, mark, "near"), _pipeline(zone, mark, "near")
    _count_alike(one, bulk, runs)
    assert bulk.watermarks.set_back == one.watermarks.set_back


@settings(max_examples=300)
@given(
    SET_BACK_RUNS,
    SET_BACK_MARKS,
    st.one_of(st.none(), st.tuples(st.integers(1_699_998_000, 1_699_999_500), st.integers(1, 3))),
    st.sampled_from([None, "Europe/Berlin"]),
    st.sampled_from(["none", "near", "edge"]),
)
def test_dropped_runs_of_a_continued_file_count_as_line_by_line(
    runs: list[list[int]],
    mark: tuple[int, int] | None,
    back: tuple[int, int] | None,
    zone: str | None,
    ref: str,
) -> None:
    """``count_dropped_continued`` (or its fallback) == one ``count_continued`` per line
    (a file read on from where an earlier scan left it), whatever the watermark and its
    back mark, the order of times (a clock set back more than 5 minutes in a run, or
    before it), the time base and the time guard's reference."""
    one, bulk = _pipeline(zone, mark, ref), _pipeline(zone, mark, ref)
    for p in (one, bulk):
        if back is not None:
            p.watermarks.marks[back_key(SENT_MARK)] = back
        p.guard.past = 86400
    for run in runs:
        kinds = [one.prefilter.count_continued(ts) for ts in run]
        shift = bulk.timebase.shift_between(min(run), max(run))
        top = max(run)
        done = shift is not None and bulk.prefilter.count_dropped_continued(
            len(run), min(run) + shift, top + shift, run.count(top)
        )
        if done:
            assert None not in kinds
        else:
            assert [bulk.prefilter.count_continued(ts) for ts in run] == kinds
    assert bulk.stats == one.stats
    assert bulk.watermarks.last == one.watermarks.last
    assert bulk.watermarks.seen_at_mark == one.watermarks.seen_at_mark
    assert bulk.watermarks.set_back == one.watermarks.set_back


def test_shift_between_refuses_a_daylight_saving_change() -> None:
    berlin = Timebase(ZoneInfo("Europe/Berlin"))
    winter = 1_700_000_000  # November 2023
    assert berlin.shift_between(winter, winter + 3600) == -3600
    change = 1_698_542_000  # around 29 Oct 2023 03:00 local, the ambiguous hour
    assert berlin.shift_between(change - 7200, change + 7200) is None
    assert berlin.shift_between(winter, winter + 2 * 86400) is None
    assert Timebase(None, 7200).shift_between(0, 10**9) == 7200
