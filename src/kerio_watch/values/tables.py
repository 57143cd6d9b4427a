"""A profile's counting tables: ``key -> [count, first_ts, last_ts(, days)]``."""

from __future__ import annotations

DAY = 24 * 3600


def bump(table: dict[str, list[int]], key: str, ts: int, n: int = 1) -> None:
    """Count ``n`` uses of ``key`` at ``ts``: ``[count, first_ts, last_ts]``."""
    entry = table.get(key)
    if entry is None:
        table[key] = [n, ts, ts]
    else:
        entry[0] += n
        entry[2] = ts


def bump_day(table: dict[str, list[int]], key: str, ts: int) -> None:
    """:func:`bump`, also counting the distinct days of use (``entry[3]``)."""
    entry = table.get(key)
    if entry is None:
        table[key] = [1, ts, ts, 1]
        return
    if len(entry) < 4:  # saved before days were counted
        entry.append(days_of(entry))
    if ts // DAY > entry[2] // DAY:
        entry[3] += 1
    entry[0] += 1
    entry[2] = max(entry[2], ts)


def days_of(entry: list[int]) -> int:
    """Distinct days of use of a ``[count, first, last(, days)]`` entry; for an entry saved
    before days were counted, as many as its uses and its span allow."""
    if len(entry) > 3:
        return entry[3]
    return max(1, min(entry[0], 1 + (entry[2] - entry[1]) // DAY))


def trim(table: dict[str, int], limit: int) -> None:
    """Keep the most counted three quarters of a table over ``limit``."""
    if len(table) > limit:
        keep = sorted(table.items(), key=lambda kv: kv[1], reverse=True)[: limit * 3 // 4]
        table.clear()
        table.update(keep)
