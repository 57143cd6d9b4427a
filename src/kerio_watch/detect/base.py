"""The detector seam: signals, rule documentation, and the detector protocol.

A detector looks at events (and at outbound :class:`Submission` records built by the
enrichment stage) and returns :class:`Signal` objects: evidence that one account (or
one IP, keyed ``ip:<addr>``) is not behaving like its owner. Detectors *score before
learning*: they read the account's :class:`~kerio_watch.values.profile.Profile` but never
write it; the learner updates profiles after every detector has seen the event.

To add a detector: write ``detect/<name>.py`` with a class implementing
:class:`Detector`, add one line to ``DETECTORS`` in ``detect/__init__.py``, and test it
with events built by the factories in ``tests/factories.py``. A detector with windows or
other state that must survive a restart subclasses
:class:`~kerio_watch.detect.state.SavedState` and says what its state is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from kerio_watch.values.signal import Signal

if TYPE_CHECKING:
    from kerio_watch.detect.context import Context
    from kerio_watch.events import Event

__all__ = ["Detector", "DetectorFactory", "RuleDoc", "Signal", "option"]
"""``Signal`` lives in :mod:`kerio_watch.values.signal`; detectors import it from here."""

T = TypeVar("T")


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


class Detector(Protocol):
    """A detector: built once per run with the shared context and its options."""

    name: ClassVar[str]
    rules: ClassVar[tuple[RuleDoc, ...]]
    wants: ClassVar[frozenset[str]]
    """Event kinds it observes (``message_received``..., and ``submission``)."""
    defaults: ClassVar[dict[str, Any]]
    """Its options and their defaults (``[detectors.<name>]`` keys)."""

    def observe(self, item: Event | Any) -> Sequence[Signal] | None:
        """Look at one event or submission; return signals or None."""
        ...

    def flush(self, now: int) -> Sequence[Signal]:
        """Time-driven checks at log time ``now`` (windows that ended)."""
        ...


class DetectorFactory(Protocol):
    """How the registry builds a detector."""

    name: ClassVar[str]
    rules: ClassVar[tuple[RuleDoc, ...]]

    def __call__(self, ctx: Context, options: dict[str, Any]) -> Detector:
        """Build the detector."""
        ...


def option(options: dict[str, Any], name: str, default: T) -> T:
    """A detector option with its default, type-checked against the default's type.

    Raises:
        ValueError: the configured value has the wrong type.
    """
    value = options.get(name, default)
    if isinstance(default, bool) and not isinstance(value, bool):
        raise ValueError(f"{name}: expected true or false, got {value!r}")
    if isinstance(default, int | float) and not isinstance(default, bool):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{name}: expected a number, got {value!r}")
        return type(default)(value)
    return value  # type: ignore[no-any-return]
