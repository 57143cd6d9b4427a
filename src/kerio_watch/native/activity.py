"""The hourly activity counters in the Rust core (the native engine's recorder).

``kerio_watch._native.Activity`` sums what :class:`~kerio_watch.store.activity.ActivityRecorder`
sums, and its methods are the handlers of :class:`~kerio_watch.enrich.enrichers.Activity`
for every event class whose counts need only the event: counting one is a single call
into the core. A delivery's count asks the message tracker for the account, so it stays
in Python (:meth:`Activity.delivery`, which calls the core's ``add``). Both engines write
the same rows in the same transactions (``tests/native/test_activity_diff.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from types import ModuleType
from typing import Any

from kerio_watch.enrich.enrichers import Activity
from kerio_watch.enrich.stage import Handler
from kerio_watch.events import MessageDelivery
from kerio_watch.store.activity import ActivityRecorder, Recorder

BATCH = 50_000
"""Rows a recorder holds before the pipeline writes them (at its next minute tick)."""


class NativeActivity(Activity):
    """:class:`Activity` whose handlers are the core recorder's methods."""

    def handlers(self) -> Mapping[type, Handler]:
        """:class:`Activity`'s handlers, each the core's method of its name, but
        deliveries' (it asks the message tracker for the account, then the core's
        ``add``): one list of event classes for both engines."""
        core: Any = self.recorder
        return {
            cls: handler if cls is MessageDelivery else getattr(core, handler.__name__)
            for cls, handler in super().handlers().items()
        }


def activity_stage(
    module: ModuleType | None, is_local: Callable[[str], bool], mail_ports: Container[int]
) -> tuple[Recorder, type[Activity]]:
    """The recorder and the enricher class of an engine (``module``: the native one's)."""
    if module is None:
        return ActivityRecorder(BATCH), Activity
    recorder: Recorder = module.Activity(is_local, mail_ports, BATCH)
    return recorder, NativeActivity
