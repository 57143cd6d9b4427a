"""The server's clock set back: log times held by a detector re-dated to the new clock.

When the server's clock is set back, every line after the jump is dated before the
lines already counted. What a detector holds of those (a failed login, a colleague
reached, a message that came in) stays dated after the new clock: a window forgetting
from its oldest end keeps it counted until the log's time passes it again (set back two
hours, two hours and more), and a time it is compared with comes out negative. Re-dated
to ``new`` (the first line after the jump, and :data:`~.pipeline.marks.SET_BACK` more)
it counts as at the jump, as :meth:`.Recent.clock_set_back` counts what fired: inside
the windows that were open at the jump, for their span from it, and no longer.

A detector names what holds log times in ``redated`` (see
:class:`~kerio_watch.detect.state.SavedState`); :func:`redate` goes through it. What
measures the time elapsed since it (a warm-up) goes back by the jump (:func:`jump`).
"""

from __future__ import annotations

from collections import deque
from operator import attrgetter
from typing import Any

SET_BACK = 300
"""``pipeline.marks.SET_BACK``: ``new`` is the first line after the jump and this more."""


def jump(old: int, new: int) -> int:
    """How far the clock went back: from ``old``, the newest line before the jump, to
    the first line after it (a line written in between makes it that much less).

    >>> jump(10_000, 3_100)
    7200
    """
    return old - (new - SET_BACK)


def redate(value: Any, new: int) -> Any:
    """``value`` with every log time after ``new`` set to ``new``: in place for a
    mapping, a deque or a list; a tuple or a number is returned anew; an object with a
    ``clock_set_back(new)`` method (:class:`.Recent`) is told. Every int above ``new``
    is a log time (the counts, sizes and levels held beside them are far below any).

    >>> d = {"a": deque([5, 900], maxlen=3), "b": {"x": (950, 2, "s")}}
    >>> redate(d, 100) is d, d
    (True, {'a': deque([5, 100], maxlen=3), 'b': {'x': (100, 2, 's')}})
    """
    if isinstance(value, bool | str | None):
        return value
    if isinstance(value, int | float):
        return new if value > new else value
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = redate(item, new)
    elif isinstance(value, deque | list):
        items = [redate(item, new) for item in value]
        value.clear()
        value.extend(items)
    elif isinstance(value, tuple):
        return tuple(redate(item, new) for item in value)
    else:
        value.clock_set_back(new)
    return value


def redate_attrs(owner: object, names: tuple[str, ...], new: int) -> None:
    """:func:`redate` the attributes ``names`` of ``owner`` (dotted: an attribute's)."""
    for name in names:
        parent, _, last = name.rpartition(".")
        holder = attrgetter(parent)(owner) if parent else owner
        setattr(holder, last, redate(getattr(holder, last), new))
