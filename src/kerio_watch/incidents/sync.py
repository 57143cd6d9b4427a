"""Decisions made elsewhere (``ack``, the dashboard), applied to a running pipeline.

A follower holds open incidents and the profiles it works on in memory and writes them
back at every checkpoint: without this it would overwrite an administrator's decision.
Decisions are queued in the store's ``acks`` table as ``<decision>#<decision id>``;
the history (:class:`~kerio_watch.values.decision.Decision`) says exactly what
teaching added or undoing removed, which is applied to the profiles in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

from kerio_watch.incidents.engine import IncidentEngine
from kerio_watch.incidents.teach import Lesson, apply, lesson, unteach
from kerio_watch.store.base import Store
from kerio_watch.values.decision import Decision
from kerio_watch.values.profile import Profile


@dataclass
class Memory:
    """What a pipeline holds in memory."""

    engine: IncidentEngine
    profiles: dict[str, Profile]
    dirty: set[str]


def _record(store: Store, incident_id: int, ref: str) -> Decision | None:
    if not ref.isdigit():
        return None
    return next((d for d in store.decisions(incident_id) if d.id == int(ref)), None)


def _decided(mem: Memory, store: Store, incident_id: int, kind: str, rec: Decision | None) -> None:
    inc = mem.engine.apply_ack(incident_id, kind, None)
    if kind != "benign":
        return
    stored = inc or store.incident(incident_id)
    user = stored.user if stored is not None else None
    if user is None or user not in mem.profiles:
        return
    taught: Lesson | None = rec.taught if rec is not None else None
    if taught is None and stored is not None:
        taught = lesson(mem.profiles[user], stored)
    apply(mem.profiles[user], taught or {})
    mem.dirty.add(user)


def _undone(mem: Memory, store: Store, incident_id: int, rec: Decision | None) -> None:
    inc = mem.engine.apply_ack(incident_id, "undo", store.incident(incident_id))
    if inc is None:
        return
    user = inc.user
    if rec is not None and rec.taught and user and user in mem.profiles:
        unteach(mem.profiles[user], rec.taught)
        mem.dirty.add(user)


def apply_decisions(store: Store, mem: Memory, after: int) -> int:
    """Apply the decisions queued after sequence number ``after``; returns the last one."""
    for seq, incident_id, text in store.acks_after(after):
        after = seq
        kind, _, ref = text.partition("#")
        rec = _record(store, incident_id, ref)
        if kind == "undo":
            _undone(mem, store, incident_id, rec)
        elif kind in ("benign", "resolved"):
            _decided(mem, store, incident_id, kind, rec)
    return after
