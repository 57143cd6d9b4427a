"""The time base: Queue-ID inference, configured zones, daylight-saving changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerio_watch.formats.envelope import StampParser
from kerio_watch.timebase import Timebase, offset_from_queue_id

BERLIN = ZoneInfo("Europe/Berlin")


def local_seconds(text: str) -> int:
    """``[DD/Mon/YYYY HH:MM:SS]`` -> local wall seconds, as the reader computes them."""
    framed = StampParser().split(text + " x")
    assert framed is not None
    return framed.ts


@pytest.mark.parametrize(
    ("queue_id", "stamp", "offset_hours"),
    [
        ("438dd9ea-00000000", "[30/Nov/2005 17:57:14]", 1),
        ("51d42a8d-000017d2", "[03/Jul/2013 09:43:41]", -4),
        ("6305ef2b-00000003", "[24/Aug/2022 16:28:11]", 7),
        ("63073369-00000003", "[25/Aug/2022 15:31:37]", 7),
        ("65ee8b47-00000009", "[11/Mar/2024 11:40:39]", 7),
    ],
)
def test_offsets_of_the_public_samples(queue_id: str, stamp: str, offset_hours: int) -> None:
    """The formats doc's table: Queue-ID epoch minus local time is the site offset."""
    assert offset_from_queue_id(queue_id, local_seconds(stamp)) == -offset_hours * 3600


def test_garbage_queue_ids_are_ignored() -> None:
    """Non-hex or implausible Queue-IDs give no offset."""
    assert offset_from_queue_id("zzzzzzzz-00000001", 0) is None
    assert offset_from_queue_id("00000001-00000001", 1_700_000_000) is None
    assert offset_from_queue_id("short", 0) is None


def test_inference_follows_a_dst_change() -> None:
    """Two agreeing Queue-IDs switch the offset; one odd one does not."""
    tb = Timebase(None)
    base = local_seconds("[28/Mar/2026 12:00:00]")
    tb.observe_queue_id(f"{base - 3600:08x}-00000001", base)  # UTC+1
    assert tb.to_utc(base) == base - 3600
    later = local_seconds("[29/Mar/2026 12:00:00]")
    tb.observe_queue_id(f"{later - 7200:08x}-00000002", later)  # UTC+2, once
    assert tb.to_utc(later) == later - 3600
    tb.observe_queue_id(f"{later - 7200 + 5:08x}-00000003", later + 5)
    assert tb.to_utc(later + 10) == later + 10 - 7200
    assert tb.offset_at(base - 3600) == 3600
    assert tb.offset_at(later - 7200 + 10) == 7200
    assert "+01:00, +02:00 inferred from 3 Queue-IDs" in tb.describe()


def test_configured_zone_repeated_hour() -> None:
    """The hour repeated at the end of DST: the clock going back selects the later pass."""
    tb = Timebase(BERLIN)
    first = [local_seconds(f"[25/Oct/2026 02:{m:02d}:00]") for m in (10, 50)]
    second = [local_seconds(f"[25/Oct/2026 02:{m:02d}:00]") for m in (5, 40)]
    after = local_seconds("[25/Oct/2026 03:05:00]")
    utc = [tb.to_utc(t) for t in [*first, *second, after]]
    assert utc == sorted(utc), "UTC times must keep increasing through the repeated hour"
    assert utc[0] == int(dt.datetime(2026, 10, 25, 0, 10, tzinfo=dt.UTC).timestamp())
    assert utc[2] == int(dt.datetime(2026, 10, 25, 1, 5, tzinfo=dt.UTC).timestamp())


def test_configured_zone_missing_hour() -> None:
    """A time in the hour skipped at the start of DST maps forward, never crashes."""
    tb = Timebase(BERLIN)
    before = tb.to_utc(local_seconds("[29/Mar/2026 01:59:00]"))
    gap = tb.to_utc(local_seconds("[29/Mar/2026 02:30:00]"))
    after = tb.to_utc(local_seconds("[29/Mar/2026 03:01:00]"))
    assert before < gap <= after + 3600


def test_localize_uses_the_servers_offset() -> None:
    """Output times carry the server's offset at that instant."""
    tb = Timebase(BERLIN)
    ts = int(dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC).timestamp())
    assert tb.localize(ts).isoformat() == "2026-07-01T14:00:00+02:00"


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2037, 12, 31)))
def test_configured_zone_round_trip(when: dt.datetime) -> None:
    """For every unambiguous local time, to_utc(local) then localize() gives it back."""
    when = when.replace(microsecond=0)
    aware = when.replace(tzinfo=BERLIN)
    if aware.utcoffset() != aware.replace(fold=1).utcoffset():
        return  # ambiguous or missing: covered by the tests above
    if dt.datetime.fromtimestamp(aware.timestamp(), BERLIN).replace(tzinfo=None) != when:
        return  # nonexistent local time
    local = int(when.replace(tzinfo=dt.UTC).timestamp())
    tb = Timebase(BERLIN)
    assert tb.localize(tb.to_utc(local)).replace(tzinfo=None) == when


def test_the_count_of_queue_ids_has_a_thousands_separator() -> None:
    """``inferred from 16365 Queue-IDs`` stood out among the summary's ``148,048 lines``."""
    tb = Timebase(None)
    base = local_seconds("[28/Mar/2026 12:00:00]")
    for i in range(1234):
        tb.observe_queue_id(f"{base + i - 3600:08x}-{i:08x}", base + i)
    assert tb.describe().endswith("inferred from 1,234 Queue-IDs")


def _observe(tb: Timebase, offset_hours: int, when: dt.datetime, count: int) -> None:
    """``count`` Recv lines' Queue-IDs, a minute apart from local ``when``, written by a
    server at UTC+``offset_hours``."""
    for n in range(count):
        local = when + dt.timedelta(minutes=n)
        utc = int((local - dt.timedelta(hours=offset_hours)).replace(tzinfo=dt.UTC).timestamp())
        tb.observe_queue_id(
            f"{utc:08x}-{n:08x}", local_seconds(local.strftime("[%d/%b/%Y %H:%M:%S]"))
        )


@pytest.mark.parametrize(
    ("zone", "server_hours", "when", "doubt"),
    [
        ("Europe/Berlin", 1, dt.datetime(2026, 3, 10, 8), False),
        ("Europe/Berlin", 2, dt.datetime(2026, 7, 10, 8), False),  # summer time
        ("Europe/Berlin", 1, dt.datetime(2026, 10, 25, 2, 30), False),  # the repeated hour
        ("Asia/Tokyo", 1, dt.datetime(2026, 3, 10, 8), True),
        ("UTC", -4, dt.datetime(2026, 3, 10, 8), True),
    ],
)
def test_a_configured_zone_the_queue_ids_disagree_with(
    zone: str, server_hours: int, when: dt.datetime, doubt: bool
) -> None:
    """A zone the logs' Queue-IDs contradict is told (the times read with it were off by
    hours without a word: a later scan skipped new lines as already processed)."""
    tb = Timebase(ZoneInfo(zone))
    _observe(tb, server_hours, when, 20)
    said = tb.doubt()
    if doubt:
        assert said is not None and f"[site] timezone {zone} disagrees" in said
        assert f"20 of 20 Queue-IDs put the server at UTC{server_hours:+03d}:00" in said
    else:
        assert said is None


def test_no_doubt_without_a_zone_or_queue_ids() -> None:
    inferred = Timebase(None)
    _observe(inferred, 1, dt.datetime(2026, 3, 10, 8), 20)
    assert inferred.doubt() is None
    assert Timebase(ZoneInfo("Asia/Tokyo")).doubt() is None


@pytest.mark.parametrize(
    ("resumed", "utc"),
    [
        (dt.datetime(2026, 10, 25, 0, 20), dt.datetime(2026, 10, 25, 0, 21)),  # first pass
        (dt.datetime(2026, 10, 25, 1, 20), dt.datetime(2026, 10, 25, 1, 21)),  # second pass
        (dt.datetime(2027, 3, 1, 12, 0), dt.datetime(2026, 10, 25, 0, 21)),  # long after
        (None, dt.datetime(2026, 10, 25, 0, 21)),
    ],
)
def test_a_run_that_starts_inside_the_repeated_hour(
    resumed: dt.datetime | None, utc: dt.datetime
) -> None:
    """A run resumed after an earlier one processed part of the hour repeated at the
    end of daylight saving: in the second pass if the earlier run had reached it (was:
    always the first, an hour back from what was processed; a later scan of older logs
    is not affected)."""
    tb = Timebase(BERLIN)
    tb.resumed = None if resumed is None else int(resumed.replace(tzinfo=dt.UTC).timestamp())
    local = local_seconds("[25/Oct/2026 02:21:00]")
    assert tb.to_utc(local) == int(utc.replace(tzinfo=dt.UTC).timestamp())
