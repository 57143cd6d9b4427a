"""The enrichment stage: between parsing and detection, an ordered list of enrichers.

Each enricher names the event classes it handles (:meth:`Enricher.handlers`); the stage
dispatches an event to the handlers of its class, in the enrichers' order. A handler may
derive a :class:`~kerio_watch.enrich.messages.Submission` (an account put a message
into the queue); the submission then goes through the handlers of its own class, and the
detectors see it after the event. To add an enricher: a module in ``enrich/`` with a
class like those of :mod:`kerio_watch.enrich.enrichers`, and one entry in the list the
pipeline builds (:func:`kerio_watch.enrich.enrichers.standard`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from kerio_watch.enrich.messages import Submission
from kerio_watch.events import Event

Handler = Callable[[Any], Submission | None]
"""Called with an event of the class it is registered for; a derived submission, or None."""


class Enricher(Protocol):
    """One enricher: the handlers of the event classes it reacts to."""

    def handlers(self) -> Mapping[type, Handler]:
        """Event class -> handler (:class:`Submission` may be a key too)."""


class Enrichment:
    """The stage: every enricher's handlers, by event class, in the enrichers' order."""

    def __init__(self, enrichers: Sequence[Enricher]) -> None:
        self.enrichers = list(enrichers)
        self.table: dict[type, tuple[Handler, ...]] = {}
        for enricher in self.enrichers:
            for cls, handler in enricher.handlers().items():
                self.table[cls] = (*self.table.get(cls, ()), handler)
        self._submission = self.table.get(Submission, ())

    def enrich(self, event: Event) -> Submission | None:
        """Enrich one event; the submission it made, if any (itself enriched)."""
        sub: Submission | None = None
        for handler in self.table.get(event.__class__, ()):
            derived = handler(event)
            if derived is not None:
                sub = derived
        if sub is not None:
            for handler in self._submission:
                handler(sub)
        return sub
