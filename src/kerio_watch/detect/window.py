"""Small building blocks shared by detectors: sliding windows, repeat suppression, text.

Everything here is O(1) amortised per event: detectors call it for every message.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import MutableMapping
from typing import Any, Protocol, TypeVar


class Window:
    """Up to three running sums over a sliding window of log time.

    Expiry is lazy: :meth:`add` only appends (and expires every 64 entries to bound
    memory), so between expiries the sums can only *over*-estimate the window. A
    detector tests the cheap over-estimate against its floor first and calls
    :meth:`expire` only when that passes.

    >>> w = Window(600)
    >>> w.add(0, 1, 5); w.add(300, 1, 2); w.add(700, 1, 1)
    >>> (w.a, w.b)
    (3, 8)
    >>> w.expire(700); (w.a, w.b)
    (2, 3)
    """

    __slots__ = ("a", "b", "c", "entries", "span")

    def __init__(self, span: int) -> None:
        self.span = span
        self.entries: deque[tuple[int, int, int, int]] = deque()
        self.a = 0
        self.b = 0
        self.c = 0

    def add(self, ts: int, a: int, b: int = 0, c: int = 0) -> None:
        """Add values at ``ts`` (the sums may still include expired entries)."""
        entries = self.entries
        entries.append((ts, a, b, c))
        self.a += a
        self.b += b
        self.c += c
        if not len(entries) & 63:
            self.expire(ts)

    def expire(self, now: int) -> None:
        """Drop entries at or before ``now - span``: the sums are exact afterwards."""
        entries = self.entries
        edge = now - self.span
        while entries and entries[0][0] <= edge:
            _, a, b, c = entries.popleft()
            self.a -= a
            self.b -= b
            self.c -= c

    def first_ts(self) -> int | None:
        """Log time of the oldest entry still in the window."""
        return self.entries[0][0] if self.entries else None

    def forget_after(self, new: int) -> int:
        """Drop the entries dated after ``new``, the server's clock set back to it (they
        blocked the oldest end until the log's time passed them again); how many are left.

        >>> w = Window(600)
        >>> w.add(0, 1, 5); w.add(7000, 1, 2); w.add(300, 1, 1)
        >>> w.forget_after(400), (w.a, w.b)
        (2, (2, 6))
        """
        kept = [e for e in self.entries if e[0] <= new]
        if len(kept) < len(self.entries):
            self.entries = deque(kept)
            self.a = sum(e[1] for e in kept)
            self.b = sum(e[2] for e in kept)
            self.c = sum(e[3] for e in kept)
        return len(self.entries)

    def dump(self, now: int) -> list[list[int]]:
        """The entries still inside the window at ``now`` (compact, for saving)."""
        edge = now - self.span
        return [[t, a, b, c] for t, a, b, c in self.entries if t > edge]

    @classmethod
    def restore(cls, span: int, rows: list[list[int]]) -> Window:
        """A window holding saved entries (see :meth:`dump`)."""
        w = cls(span)
        for t, a, b, c in rows:
            w.entries.append((int(t), int(a), int(b), int(c)))
            w.a += a
            w.b += b
            w.c += c
        return w


class DualWindow:
    """Two running sums (``a``, ``b``) over a short and a long window of log time, kept
    on one list with two heads (one append per event).

    Like :class:`Window`, expiry is lazy: the long sums over-estimate until
    :meth:`expire`; the short sums are only meaningful after it.

    >>> w = DualWindow(600, 3600)
    >>> for t in (0, 100, 3000, 3300): w.add(t, 1, 2)
    >>> w.expire(3300); (w.long_a, w.long_b, w.short_a, w.short_b)
    (4, 8, 2, 4)
    >>> w.expire(3700); (w.long_a, w.short_a)
    (2, 1)
    """

    __slots__ = (
        "entries",
        "long_a",
        "long_b",
        "long_head",
        "long_span",
        "short_a",
        "short_b",
        "short_head",
        "short_span",
    )

    def __init__(self, short_span: int, long_span: int) -> None:
        self.short_span = short_span
        self.long_span = long_span
        self.entries: list[tuple[int, int, int]] = []
        self.long_head = 0
        self.short_head = 0
        self.long_a = self.long_b = 0
        self.short_a = self.short_b = 0

    def add(self, ts: int, a: int, b: int) -> None:
        """Add values at ``ts`` (call :meth:`expire` before trusting the sums)."""
        entries = self.entries
        entries.append((ts, a, b))
        self.long_a += a
        self.long_b += b
        self.short_a += a
        self.short_b += b
        if not len(entries) & 63:
            self.expire(ts)

    def expire(self, now: int) -> None:
        """Drop what fell out of each window: the sums are exact afterwards."""
        entries = self.entries
        n = len(entries)
        i = self.long_head
        edge = now - self.long_span
        while i < n and entries[i][0] <= edge:
            _, a, b = entries[i]
            self.long_a -= a
            self.long_b -= b
            i += 1
        j = max(self.short_head, i)
        if j > self.short_head:
            # entries that left the long window had already left the short one
            for k in range(self.short_head, j):
                _, a, b = entries[k]
                self.short_a -= a
                self.short_b -= b
        edge = now - self.short_span
        while j < n and entries[j][0] <= edge:
            _, a, b = entries[j]
            self.short_a -= a
            self.short_b -= b
            j += 1
        if i > 1024 and i * 2 > n:
            del entries[:i]
            j -= i
            i = 0
        self.long_head = i
        self.short_head = j

    def forget_after(self, new: int) -> int:
        """Drop the entries dated after ``new`` (see :meth:`Window.forget_after`); the
        number left. The sums are lazy again afterwards.

        >>> w = DualWindow(600, 3600)
        >>> for t in (0, 100, 9000, 200): w.add(t, 1, 2)
        >>> w.forget_after(300); w.expire(300); (w.long_a, w.long_b, w.short_a)
        3
        (3, 6, 3)
        """
        live = self.entries[self.long_head :]
        kept = [e for e in live if e[0] <= new]
        if len(kept) < len(live):
            self.entries = kept
            self.long_head = self.short_head = 0
            self.long_a = self.short_a = sum(e[1] for e in kept)
            self.long_b = self.short_b = sum(e[2] for e in kept)
        return len(self.entries) - self.long_head

    def first_ts(self, short: bool = False) -> int | None:
        """Log time of the oldest entry in the (short or long) window."""
        head = self.short_head if short else self.long_head
        return self.entries[head][0] if head < len(self.entries) else None

    def dump(self, now: int) -> list[list[int]]:
        """The entries still inside the long window at ``now`` (compact, for saving)."""
        edge = now - self.long_span
        return [[t, a, b] for t, a, b in self.entries[self.long_head :] if t > edge]

    @classmethod
    def restore(cls, short_span: int, long_span: int, rows: list[list[int]]) -> DualWindow:
        """A window holding saved entries (see :meth:`dump`); sums are lazy as usual."""
        w = cls(short_span, long_span)
        for t, a, b in rows:
            w.entries.append((int(t), int(a), int(b)))
            w.long_a += a
            w.long_b += b
        w.short_a, w.short_b = w.long_a, w.long_b
        return w


class Recent:
    """Remembers when something fired and at what level, to fire again only when it
    gets worse or after ``quiet`` seconds (bounded memory)."""

    __slots__ = ("fired", "limit", "quiet")

    def __init__(self, quiet: int, limit: int = 50_000) -> None:
        self.quiet = quiet
        self.limit = limit
        self.fired: dict[object, tuple[int, float]] = {}

    def due(self, key: object, ts: int, level: float) -> bool:
        """Whether to fire ``key`` at ``level`` now; records it when so."""
        last = self.fired.get(key)
        if last is not None and ts - last[0] < self.quiet and level <= last[1]:
            return False
        if len(self.fired) >= self.limit:
            self.prune(ts)
        self.fired[key] = (ts, level)
        return True

    def seen(self, key: object, ts: int) -> bool:
        """Whether ``key`` fired within the quiet period before ``ts``."""
        last = self.fired.get(key)
        return last is not None and ts - last[0] < self.quiet

    def prune(self, now: int) -> None:
        """Forget what fired before the quiet period (or everything, when still full)."""
        keep = {k: v for k, v in self.fired.items() if now - v[0] < self.quiet}
        self.fired = keep if len(keep) < self.limit else {}

    def dump(self, now: int) -> list[list[Any]]:
        """``[key, ts, level]`` of what fired within the quiet period (tuple keys become
        lists)."""
        return [
            [list(k) if isinstance(k, tuple) else k, ts, level]
            for k, (ts, level) in self.fired.items()
            if now - ts < self.quiet
        ]

    def clock_set_back(self, new: int) -> None:
        """The server's clock set back to ``new``: what fired after it counts as fired
        at ``new`` (quiet for ``quiet`` seconds from the jump).

        >>> r = Recent(600); r.due("a", 9000, 1.0)
        True
        >>> r.clock_set_back(100); r.due("a", 650, 1.0), r.due("a", 700, 1.0)
        (False, True)
        """
        for key, (ts, level) in list(self.fired.items()):
            if ts > new:
                self.fired[key] = (new, level)

    def restore(self, rows: list[list[Any]]) -> None:
        """Add what :meth:`dump` saved (list keys become tuples again)."""
        for key, ts, level in rows:
            k = tuple(key) if isinstance(key, list) else key
            self.fired[k] = (int(ts), level)


def count(n: float, word: str, plural: str | None = None) -> str:
    """``"3,980 recipients"``, ``"1 message"``.

    >>> count(3980, "recipient"), count(1, "message")
    ('3,980 recipients', '1 message')
    """
    n = round(n)
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def number(x: float) -> str:
    """A norm for people: whole numbers without decimals, small ones with one.

    >>> number(0.0), number(2.5), number(12.4)
    ('0', '2.5', '12')
    """
    if x >= 10 or x == int(x):
        return f"{round(x):,}"
    return f"{x:.1f}"


def percent(x: float) -> str:
    """``0.034`` -> ``"3%"``: whole percents, shares under 1% with one decimal, and
    nothing that reads as another value (a share above 0 is never ``0.0%``, one below
    1 never ``100%``, and 0.996% is ``1%`` like 1%).

    >>> percent(0.034), percent(0.004), percent(0.00996), percent(0.01), percent(0)
    ('3%', '0.4%', '1%', '1%', '0%')
    >>> percent(0.0002), percent(0.998), percent(1.0)
    ('under 0.1%', 'over 99%', '100%')
    """
    p = 100 * x
    if p <= 0 or p >= 100:
        return f"{p:.0f}%"
    if p < 0.05:
        return "under 0.1%"
    if p >= 99.5:
        return "over 99%"
    tenth = round(p, 1)
    return f"{tenth:.1f}%" if tenth < 1 else f"{p:.0f}%"


def doublings(ratio: float) -> int:
    """Whole doublings of a count above its threshold (``ratio`` = count / threshold,
    at least 1): the level at which a growing signal fires again and scores a step more.

    >>> doublings(1.0), doublings(1.99), doublings(2.0), doublings(9.0)
    (0, 0, 1, 3)
    """
    return int(math.log2(ratio))


def stepped(score: int, step: int, cap: int, level: int) -> int:
    """A signal's score at ``level`` doublings: one ``step`` more per doubling, at most
    ``cap``.

    >>> stepped(25, 10, 45, 0), stepped(25, 10, 45, 1), stepped(25, 10, 45, 5)
    (25, 35, 45)
    """
    return min(cap, score + step * level)


class Expiring(Protocol):
    """A per-account window: forgets what is older than an edge; empty when ``len`` is 0."""

    def expire(self, edge: int) -> None: ...

    def __len__(self) -> int: ...


W = TypeVar("W", bound=Expiring)


class Forgetting(Protocol):
    """A window that forgets what is dated after a time and says how many entries are left."""

    def forget_after(self, new: int) -> int: ...


F = TypeVar("F", bound=Forgetting)


def forget_future(accounts: MutableMapping[Any, F], new: int) -> None:
    """The server's clock set back to ``new``: every window (:class:`Forgetting`) forgets
    what is dated after it; the empty ones are dropped.

    >>> accounts = {"a": Window(600), "b": Window(600)}
    >>> accounts["a"].add(5, 1); accounts["b"].add(900, 1)
    >>> forget_future(accounts, 100); list(accounts)
    ['a']
    """
    for key, window in list(accounts.items()):
        if not window.forget_after(new):
            del accounts[key]


def forget_idle(accounts: MutableMapping[str, W], edge: int) -> None:
    """Expire every account's window (:class:`Expiring`) at ``edge``; drop the empty ones.

    >>> class Win(list):
    ...     def expire(self, edge): self[:] = [t for t in self if t > edge]
    >>> accounts = {"a": Win([1, 5]), "b": Win([2])}
    >>> forget_idle(accounts, 3); accounts
    {'a': [5]}
    """
    for key, window in list(accounts.items()):
        window.expire(edge)
        if not window:
            del accounts[key]


class IdleSweep:
    """Forgets idle accounts (:func:`forget_idle`) once a log hour."""

    __slots__ = ("hour",)

    def __init__(self) -> None:
        self.hour = 0

    def __call__(self, accounts: MutableMapping[str, W], now: int, span: int) -> None:
        """At the first call of a new log hour, drop what ended before ``now - span``."""
        hour = now // 3600
        if hour != self.hour:
            self.hour = hour
            forget_idle(accounts, now - span)
