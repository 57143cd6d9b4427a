"""The server's time zone as the state database remembers it.

A scan with ``[site] timezone`` records the zone's name (a later one naming another
replaces it); a scan without one reuses a recorded name, else records the UTC offsets it
inferred from Queue-IDs, with the instants they changed at. Every later
command on the database reuses them: a scan of a log without Queue-IDs (``security.log``
alone), reports, the dashboard.
"""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kerio_watch.store.base import MetaStore
from kerio_watch.timebase import ALWAYS, History, Timebase, merge_history

CHANGES = "utc_offset_changes"


def history(store: MetaStore) -> History:
    """The inferred offsets recorded so far (empty when none)."""
    text = store.get_meta(CHANGES)
    if text:
        try:
            return [(ALWAYS if at is None else int(at), int(off)) for at, off in json.loads(text)]
        except (ValueError, TypeError):
            return []
    offsets = [int(o) for o in (store.get_meta("utc_offsets") or "").split(",") if o]
    return [(ALWAYS, offsets[-1])] if offsets else []


def recorded_zone(store: MetaStore) -> ZoneInfo | None:
    """The zone an earlier scan was configured with, if any."""
    name = store.get_meta("timezone")
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def recorded_timebase(store: MetaStore) -> Timebase | None:
    """The zone an earlier scan was configured with, for a run whose configuration
    names none (it knows less than the database: the zone is kept, not replaced by
    inferred offsets); None when none was recorded."""
    zone = recorded_zone(store)
    if zone is None:
        return None
    timebase = Timebase(zone)
    timebase.recorded = True
    return timebase


def stored_timebase(store: MetaStore) -> Timebase | None:
    """A time base from what the database recorded, None when it recorded nothing."""
    recorded = recorded_timebase(store)
    if recorded is not None:
        return recorded
    known = history(store)
    return Timebase.from_history(known) if known else None


def initial_timebase(store: MetaStore | None, delta: int | None) -> Timebase:
    """Queue-ID inference from ``delta`` (``UTC - local`` of the first Queue-ID of the
    logs at hand); without one, what the database recorded from earlier scans."""
    if delta is None and store is not None:
        stored = stored_timebase(store)
        if stored is not None:
            return stored
    return Timebase(None, delta)


def record(store: MetaStore, timebase: Timebase, first_ts: int | None) -> None:
    """Remember how this run read local times (inside the caller's transaction)."""
    store.set_meta("timebase", timebase.describe())
    if timebase.zone is not None:  # a run without one keeps the name (recorded_timebase)
        store.set_meta("timezone", timebase.zone.key)
    if not (timebase.inferred and timebase.had_hint) or timebase.stored:
        return  # nothing inferred now, or only what was stored reused
    known = history(store)
    new = timebase.history()
    store.set_meta("utc_offsets", ",".join(str(o) for o in timebase.offsets()))
    merged = merge_history(known, new, first_ts) if known and first_ts is not None else new
    store.set_meta(CHANGES, json.dumps([[None if at == ALWAYS else at, off] for at, off in merged]))
