"""The detector seam: signals, rule documentation, and the detector protocol.

A detector looks at events (and at outbound :class:`Submission` records built by the
enrichment stage) and returns :class:`Signal` objects: evidence that one account (or
one IP, keyed ``ip:<addr>``) is not behaving like its owner. Detectors *score before
learning*: they read the account's :class:`~kerio_watch.values.profile.Profile` but never
write it; the learner updates profiles after every detector has seen the event.

To add a detector: write ``detect/<name>.py`` with a class implementing
:class:`Detector` (its options a frozen dataclass, ``options_class``: the schema of
``[detectors.<name>]``, converted by :mod:`kerio_watch.settings.schema`), add one line to
``DETECTORS`` in ``detect/__init__.py``, and test it with events built by the factories
in ``tests/factories.py``. A detector with windows or
other state that must survive a restart subclasses
:class:`~kerio_watch.detect.state.SavedState` and says what its state is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from kerio_watch.values.signal import Signal

if TYPE_CHECKING:
    from kerio_watch.detect.context import Context
    from kerio_watch.events import Event

__all__ = ["Detector", "DetectorFactory", "RuleDoc", "Signal", "Stateful", "hourly", "untimed"]
"""``Signal`` lives in :mod:`kerio_watch.values.signal`; detectors import it from here."""


@dataclass(frozen=True)
class RuleDoc:
    """What a rule fires on, why it matters, and its known false positives."""

    id: str
    title: str
    what: str
    why: str
    false_positives: str
    side: str = "context"
    """``access`` (is this the owner?), ``use`` (is this abuse?), ``decisive`` or
    ``context``: see :mod:`kerio_watch.values.verdict`."""


class Stateful(Protocol):
    """What keeps state between runs: loaded when a run starts, saved at every
    checkpoint inside its transaction (detectors, the learner)."""

    def load(self, store: Any) -> None:
        """Restore the state an earlier run saved."""
        ...

    def save(self, store: Any) -> None:
        """Save the state (a checkpoint)."""
        ...


class Detector(Stateful, Protocol):
    """A detector: built once per run with the shared context and its options."""

    name: ClassVar[str]
    rules: ClassVar[tuple[RuleDoc, ...]]
    wants: ClassVar[frozenset[str]]
    """Event kinds it observes (``message_received``..., and ``submission``)."""
    options_class: ClassVar[type[Any]]
    """Its options: a frozen dataclass, the schema of ``[detectors.<name>]``."""

    def observe(self, item: Event | Any) -> Sequence[Signal] | None:
        """Look at one event or submission; return signals or None."""
        ...

    def flush(self, now: int) -> Sequence[Signal]:
        """Time-driven checks at log time ``now`` (windows that ended)."""
        ...

    def clock_set_back(self, old: int, new: int) -> Sequence[Signal] | None:
        """The server's clock was set back from log time ``old`` (told once per jump,
        before the first line after it): forget what is dated after ``new``, the new
        clock's future, which would stay counted until the log's time passed it again
        (:mod:`kerio_watch.pipeline.setback`). :class:`~.state.SavedState` does it for
        ``recent`` and the windows it is told of; a detector forgets the rest. Returns
        the signals of what it judges at the jump (what waited for later lines)."""
        ...


class DetectorFactory(Protocol):
    """How the registry builds a detector."""

    name: ClassVar[str]
    rules: ClassVar[tuple[RuleDoc, ...]]

    options_class: ClassVar[type[Any]]

    def __call__(self, ctx: Context, options: Any) -> Detector:
        """Build the detector."""
        ...


F = TypeVar("F", bound=Callable[..., Any])


def untimed(flush: F) -> F:
    """Mark a detector's ``flush`` that does nothing (returns no signals, changes no
    state): the detection stage leaves it out of its once-a-log-minute tick, about
    40,000 calls per detector for four weeks of logs."""
    flush.untimed = True  # type: ignore[attr-defined]
    return flush


def hourly(flush: F) -> F:
    """Mark a detector's ``flush`` that works only at its first call in a log hour:
    called again within the hour (``now // 3600``) of its previous call it returns at
    once, with no signals and no change of state. The detection stage then calls it at
    the first tick of each log hour only, not at the other 59 minutes' ticks."""
    flush.hourly = True  # type: ignore[attr-defined]
    return flush
