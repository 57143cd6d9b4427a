"""What the pipeline saves beside its stages' own state: the message join, the webmail
sessions and its clock (restored by the next run), and the pruning of old rows."""

from __future__ import annotations

from kerio_watch.config import Config
from kerio_watch.detect.context import Context
from kerio_watch.detect.state import RESTORE_ERRORS, STATE_VERSION, load_state, restore_failed
from kerio_watch.store.base import Store

MESSAGES_MAX_AGE = 2 * 3600
"""Messages younger than this (log time) are saved between runs ..."""
MESSAGES_MAX_SAVED = 20_000
"""... at most this many (the newest)."""
DAY = 86400
IP_STATE_DAYS = 7
"""Per-IP state (password guessing) quiet this long is deleted; the detector reads a day."""


def load_context(store: Store, ctx: Context) -> int:
    """Restore the message and session trackers; the minute of an earlier run's clock."""
    minute = 0
    try:
        data = load_state(store, "pipeline")
        if data is not None:
            minute = int(data["minute"])
        data = load_state(store, "messages")
        if data is not None:
            ctx.messages.restore(data["messages"])
        data = load_state(store, "sessions")
        if data is not None:
            ctx.sessions.restore(data["sessions"])
    except RESTORE_ERRORS as exc:
        minute = 0
        ctx.messages.messages.clear()
        ctx.sessions.clear()
        restore_failed("pipeline", exc)
    return minute


def save_context(store: Store, ctx: Context, now: int, minute: int) -> None:
    """Save the trackers (recent messages, live sessions) and the clock."""
    ctx.now = now
    if not now:
        return
    v = STATE_VERSION
    store.save_detector_state("pipeline", {"v": v, "now": now, "minute": minute})
    messages = ctx.messages.dump(now, MESSAGES_MAX_AGE, MESSAGES_MAX_SAVED)
    store.save_detector_state("messages", {"v": v, "now": now, "messages": messages})
    sessions = ctx.sessions.dump(now)
    store.save_detector_state("sessions", {"v": v, "now": now, "sessions": sessions})


class Pruning:
    """Once a log day, delete what is too old to keep (:func:`prune`)."""

    __slots__ = ("config", "day")

    def __init__(self, config: Config) -> None:
        self.config = config
        self.day = 0

    def __call__(self, store: Store, now: int) -> None:
        """At the first call of a log day (``now``: the log time), :func:`prune`."""
        if now and now // DAY != self.day:
            self.day = now // DAY
            prune(store, self.config, now)


def prune(store: Store, config: Config, now: int) -> None:
    """Keep the database from growing without end: delete hourly activity older than
    ``[state] activity_days`` and the state of addresses quiet for :data:`IP_STATE_DAYS`
    (log time, so a replay prunes as the live run did)."""
    days = config.state.activity_days
    if days:
        store.prune_activity(now - days * DAY)
    store.prune_ip_state(now - IP_STATE_DAYS * DAY)
