"""Report periods: the default one, and how ``--since``, ``--until`` and ``--days`` combine.

Periods are counted in *local calendar days* on the server's clock: "the last 7 days"
before Monday 00:00 starts on the Monday before at 00:00, also across a daylight-saving
change (7 x 86,400 seconds would start on Sunday at 23:00).

=====================  ==================================================
given                  period
=====================  ==================================================
nothing                the last 7 days, ending after the newest activity
``--days N``           the last N days, ending after the newest activity
``--since S``          from S to after the newest activity
``--until U``          the 7 days before U
``--since S --days N`` N days from S
``--until U --days N`` the N days before U
``--since S --until U`` exactly that
all three              refused: they contradict each other
=====================  ==================================================
"""

from __future__ import annotations

from collections.abc import Callable

from kerio_watch.report.model import Period
from kerio_watch.report.servertime import ServerTime
from kerio_watch.store.base import Store

DAY = 86400
DEFAULT_DAYS = 7


def newest_until(store: Store) -> int | None:
    """The end of the hour of the newest activity in the database, None when empty."""
    span = store.activity_span()
    return None if span is None else span[1] + 3600


def local_period(since: int, until: int, st: ServerTime | None) -> Period:
    """``[since, until)`` with the server's offsets at both ends (its length in days is
    then counted on the server's clock)."""
    if st is None:
        return Period(since, until)
    return Period(since, until, (st.utc_offset(since), st.utc_offset(until)))


def days_before(until: int, days: int, st: ServerTime | None) -> Period:
    """``days`` local calendar days ending at ``until``."""
    since = st.shift_days(until, -days) if st is not None else until - days * DAY
    return local_period(since, until, st)


def default_period(store: Store, days: int = DEFAULT_DAYS, st: ServerTime | None = None) -> Period:
    """The last ``days`` of log time in the database (ending after its newest hour)."""
    until = newest_until(store)
    if until is None:
        return Period(0, days * DAY)
    return days_before(until, days, st)


def combine(
    since: int | None,
    until: int | None,
    days: int | None,
    default_until: Callable[[], int | None],
    st: ServerTime | None = None,
) -> Period:
    """The period ``--since``, ``--until`` and ``--days`` describe (see the table above).

    Args:
        default_until: the end when none is given (called only then).

    Raises:
        ValueError: all three were given, or the period ends before it starts.
    """
    if since is not None and until is not None and days is not None:
        raise ValueError("give at most two of --since, --until and --days")
    if since is not None and days is not None:
        until = st.shift_days(since, days) if st is not None else since + days * DAY
    if until is None:
        newest = default_until()
        if since is None:
            until = newest if newest is not None else DEFAULT_DAYS * DAY
        else:
            until = max(newest, since + 3600) if newest is not None else since + DEFAULT_DAYS * DAY
    if since is None:
        since = days_before(until, days or DEFAULT_DAYS, st).since
    if since >= until:
        raise ValueError("--since must be before --until")
    return local_period(since, until, st)


def resolve_period(
    store: Store, since: int | None, until: int | None, st: ServerTime | None = None
) -> Period:
    """Fill in whatever ``--since``/``--until`` left open (the dashboard's report page).

    Raises:
        ValueError: the period ends before it starts.
    """
    return combine(since, until, None, lambda: newest_until(store), st)
