"""Detectors whose ``flush`` does nothing are left out of the once-a-minute tick."""

from __future__ import annotations

import json

from factories import at, feed, office_history, pipeline


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
