"""Detector state that outlives a run: what a detector saves in the state database.

A ``scan`` followed by a ``follow``, or a follower restarted after a crash, must judge
the next line exactly as one long run would have. Every stateful detector therefore
saves its windows and what it fired recently at each checkpoint, as one JSON mapping
per detector (``detector_state`` table), and restores it when the next run starts.

:class:`SavedState` holds the part every detector shares: the version stamp, the log
time of the save, the repeat suppression (``recent``), and what to do when the saved
state cannot be read (log it and start empty: never crash a run over stale state). A
detector only says what its own state is::

    class MyDetector(SavedState):
        def dump_state(self, now: int) -> dict[str, Any]: ...
        def restore_state(self, data: dict[str, Any]) -> None: ...
        def reset_state(self) -> None: ...
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from kerio_watch.detect.clockback import redate_attrs
from kerio_watch.detect.window import forget_future

if TYPE_CHECKING:
    from kerio_watch.detect.context import Context
    from kerio_watch.values.signal import Signal

log = logging.getLogger(__name__)

STATE_VERSION = 1
"""Version of the JSON detectors save between runs (other versions are ignored)."""

RESTORE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError)
"""What reading malformed saved state can raise."""


def load_state(store: Any, name: str) -> dict[str, Any] | None:
    """A detector's saved state, None when there is none, or it has another version."""
    loader = getattr(store, "load_detector_state", None)
    if loader is None:
        return None
    data = loader(name)
    if not isinstance(data, dict) or data.get("v") != STATE_VERSION:
        return None
    return data


def restore_failed(name: str, exc: Exception) -> None:
    """Log that saved state could not be used (the detector starts empty)."""
    log.warning("ignoring unreadable %s state in the state database: %s", name, exc)


class Stateless:
    """``save`` and ``load`` of a detector that keeps no state between runs."""

    def save(self, store: Any) -> None:
        """Nothing to save."""

    def load(self, store: Any) -> None:
        """Nothing to restore."""

    def clock_set_back(self, old: int, new: int) -> Sequence[Signal] | None:
        """Nothing dated to forget."""
        return None


class SavedState:
    """``save`` and ``load`` for a detector, around its own three methods.

    The saved mapping holds ``v`` (:data:`STATE_VERSION`), ``now`` (log time of the
    save), ``recent`` (when the detector has a ``recent``
    :class:`~kerio_watch.detect.window.Recent`) and whatever :meth:`dump_state` returns.
    Nothing is saved before the first event (``ctx.now`` is 0).
    """

    name: ClassVar[str]
    ctx: Context
    dated: ClassVar[tuple[str, ...]] = ()
    """Attributes that map keys to windows (``forget_after(new)``, see
    :func:`~.window.forget_future`): forgotten after the clock was set back."""
    redated: ClassVar[tuple[str, ...]] = ()
    """Attributes (dotted: an attribute's) that hold log times, re-dated to the new clock
    after the clock was set back (:func:`~.clockback.redate`)."""

    def dump_state(self, now: int) -> dict[str, Any]:
        """This detector's own state at log time ``now`` (JSON-ready); none by default."""
        return {}

    def restore_state(self, data: dict[str, Any]) -> None:
        """Take back what :meth:`dump_state` returned (may raise RESTORE_ERRORS)."""

    def reset_state(self) -> None:
        """Forget this detector's own state (after a failed restore)."""

    def forget_after(self, new: int) -> None:
        """Forget what this detector's own state holds dated after ``new`` (the server's
        clock was set back to ``new``); nothing by default."""

    def clock_set_back(self, old: int, new: int) -> Sequence[Signal] | None:
        """The server's clock was set back from ``old`` to ``new``: what ``recent``
        fired after ``new`` counts as fired at ``new`` (it stays quiet for its quiet
        period from the jump, not until the log's time passes it again), and so does
        what :attr:`redated` holds; the detector's windows (:attr:`dated`) and own state
        (:meth:`forget_after`) forget what is dated after ``new``."""
        recent = getattr(self, "recent", None)
        if recent is not None:
            recent.clock_set_back(new)
        for name in self.dated:
            forget_future(getattr(self, name), new)
        redate_attrs(self, self.redated, new)
        self.forget_after(new)
        return None

    def save(self, store: Any) -> None:
        """Save the state (a checkpoint)."""
        now = self.ctx.now
        if not now:
            return
        data = {"v": STATE_VERSION, "now": now, **self.dump_state(now)}
        recent = getattr(self, "recent", None)
        if recent is not None:
            data["recent"] = recent.dump(now)
        store.save_detector_state(self.name, data)

    def load(self, store: Any) -> None:
        """Restore what :meth:`save` saved; start empty (and say so) if it is unreadable."""
        data = load_state(store, self.name)
        if data is None:
            return
        recent = getattr(self, "recent", None)
        try:
            self.restore_state(data)
            if recent is not None:
                recent.restore(data["recent"])
        except RESTORE_ERRORS as exc:
            self.reset_state()
            if recent is not None:
                recent.fired.clear()
            restore_failed(self.name, exc)
