"""Detectors whose ``flush`` does nothing are left out of the once-a-minute tick."""

from __future__ import annotations

import json
from typing import Any

from factories import at, feed, office_history, pipeline
from kerio_watch.pipeline import Pipeline
from kerio_watch.store.memory import MemoryStore


def test_the_tick_calls_only_flushes_that_do_something() -> None:
    p = pipeline()
    untimed = {d.name for d in p.detectors if getattr(d.flush, "untimed", False)}
    timed = {d.name for d in p.detection.timed}
    assert {"volume", "new_host", "odd_hours", "unusual_service", "bounces"} <= untimed
    assert {"direct_smtp", "one_to_many", "queue_backlog", "cover_up", "auth"} <= timed
    assert timed | untimed == {d.name for d in p.detectors}
    assert not timed & untimed


def test_an_untimed_flush_changes_nothing() -> None:
    p = pipeline()
    feed(p, office_history(days=14))
    now = at(14, "12:00")
    for det in p.detectors:
        if not getattr(det.flush, "untimed", False):
            continue
        dump = getattr(det, "dump_state", None)
        before = json.dumps(dump(now), sort_keys=True, default=repr) if dump else None
        assert not det.flush(now), det.name
        after = json.dumps(dump(now), sort_keys=True, default=repr) if dump else None
        assert before == after, det.name


def test_an_hourly_flush_changes_nothing_again_within_its_hour() -> None:
    """What :func:`~kerio_watch.detect.base.hourly` promises, for each detector marked
    so and the learner: called again within the log hour of its previous call (after
    more events), a flush returns no signals and changes no saved state."""
    p = pipeline()
    events = office_history(days=14)
    first = at(11, "12:00")
    feed(p, [e for e in events if e.ts < first])
    hourly = [d for d in p.detectors if getattr(d.flush, "hourly", False)]
    assert {d.name for d in hourly} == {"auth", "new_recipients", "one_to_many", "internal_fanout"}
    for det in hourly:
        det.flush(first)
    p.learner.flush(first)
    later = [e for e in events if first <= e.ts < first + 3000]
    assert later
    feed(p, later)
    now = first + 3540
    for det in hourly:
        dump = det.dump_state  # type: ignore[attr-defined]
        before = json.dumps(dump(now), sort_keys=True, default=repr)
        assert not det.flush(now), det.name
        after = json.dumps(dump(now), sort_keys=True, default=repr)
        assert before == after, det.name
    before = learned(p, now)
    p.learner.flush(now)
    assert learned(p, now) == before


def learned(p: Pipeline, now: int) -> str:
    """The learner's saved state and the profiles it changed, at log time ``now``."""
    p.ctx.now = now
    store = MemoryStore()
    p.learner.save(store)
    profiles = {a: p.ctx.profile(a).to_dict() for a in sorted(p.ctx.dirty)}
    state = store.load_detector_state("learner")
    return json.dumps([state, profiles], sort_keys=True, default=repr)


def test_the_tick_calls_hourly_flushes_once_a_log_hour() -> None:
    """The minute ticks call the hourly flushes at the first tick of each log hour, and
    again at the first tick after the detectors' state was loaded (it may hold the hour
    of their last hourly work)."""
    p = pipeline()
    calls: list[tuple[str, int]] = []
    for det in p.detection.timed:
        flush = det.flush

        def counted(now: int, flush: Any = flush, name: str = det.name) -> Any:
            calls.append((name, now))
            return flush(now)

        det.flush = counted  # type: ignore[method-assign]
    start = at(3, "10:00")
    for minute in range(150):
        p.detection.tick(start + 60 * minute)
    by_name = {name: [now for n, now in calls if n == name] for name, _ in calls}
    hours = [start, start + 3600, start + 7200]
    for name in ("auth", "new_recipients", "one_to_many", "internal_fanout"):
        assert by_name[name] == hours, name
    for name in ("direct_smtp", "queue_backlog", "cover_up"):
        assert len(by_name[name]) == 150, name
    calls.clear()
    p.detection.load_detectors(p.store)
    p.detection.tick(start + 60 * 150)
    assert {n for n, _ in calls} == {d.name for d in p.detection.timed}
