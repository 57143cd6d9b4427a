"""The pipeline's checkpoints in the middle of a ``scan`` (:mod:`.autosave`), with where
it is in each file (:mod:`.resume`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kerio_watch.pipeline.autosave import UNFINISHED, Autosave, Stopped
from kerio_watch.pipeline.grown import KNOWN, left_json

if TYPE_CHECKING:
    from kerio_watch.pipeline.marks import Watermarks
    from kerio_watch.pipeline.resume import Positions
    from kerio_watch.pipeline.runstats import RunStats
    from kerio_watch.pipeline.timeguard import TimeGuard
    from kerio_watch.sources.files import Record
    from kerio_watch.store.base import Store
    from kerio_watch.values.alert import Alert


class Checkpoints:
    """What :class:`~kerio_watch.pipeline.core.Pipeline` adds for checkpoints."""

    if TYPE_CHECKING:
        stats: RunStats
        guard: TimeGuard
        store: Store
        alerts: list[tuple[Alert, bool]]
        autosave: Autosave | None
        positions: Positions | None
        watermarks: Watermarks
        saved: bool
        left_cleared: bool
        _now: int
        _rec: Record | None
        _unjournaled: list[Alert]
        on_commit: list[Callable[[], None]]

        def format_time(self, ts: int) -> str: ...
        def flush_journal(self, final: bool = False) -> None: ...
        def _write(self, store: Store, alerts: list[tuple[Alert, bool]]) -> None: ...

    def checkpoint(self, autosave: Autosave) -> None:
        """A save in the middle of a run, between two log seconds (see
        :mod:`kerio_watch.pipeline.autosave`): none of the final save's work at the end
        of input, so the run goes on as if it had not saved. Stops the run
        (:class:`Stopped`) after it when a stop was asked for."""
        self.stats.implausible = self.guard.implausible
        self._commit(unfinished=True)
        autosave.saved(self._now, self.format_time(self._now), self.stats.alerts)
        self.flush_journal()
        if autosave.stop:
            raise Stopped(autosave.kept())

    def _commit(self, unfinished: bool = False) -> None:
        """The save's transaction, with the alerts emitted since the last one."""
        committed, self.alerts = self.alerts, []
        try:
            with self.store.transaction():
                self._write(self.store, committed)
                autosave = self.autosave
                if autosave is not None:
                    at = self.format_time(self._now)
                    value = (
                        autosave.record(at, self.stats.alerts, self._resume()) if unfinished else ""
                    )
                    self.store.set_meta(UNFINISHED, value)
                self._leave(unfinished)
        except BaseException:
            self.alerts = committed + self.alerts
            raise
        self.saved = True
        self._unjournaled.extend(alert for alert, _ in committed)
        for hook in self.on_commit:
            hook()

    def _leave(self, unfinished: bool) -> None:
        """Where this scan leaves each file (:mod:`.grown`); a run that is not a scan
        (``follow``) reads on by its own positions: a later scan goes by the watermarks."""
        positions = self.positions
        if positions is not None:
            current = self._rec if unfinished else None
            self.store.set_meta(KNOWN, left_json(positions, current, self._now))
        elif not self.left_cleared:
            self.store.set_meta(KNOWN, "")
            self.left_cleared = True

    def _resume(self) -> dict[str, Any] | None:
        """What the same scan run again takes back (:mod:`.resume`)."""
        if self.positions is None:
            return None
        return self.positions.save(self._rec, self.watermarks)
