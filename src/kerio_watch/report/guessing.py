"""The report's password guessing: where failed logins came from and whom they tried.

A source that failed and later logged in as an account it tried comes first: the
guess may have worked. A source inside the trusted networks never does: a failed login
from the office is the owner mistyping at their own PC, and its later login the owner's.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from kerio_watch.report.model import GuessSource, TargetRow, split_key

ActivityRow = tuple[int, str, str, str, int]
"""An hourly activity row of the store: (hour, account, kind, key, count)."""


@dataclass
class _Failures:
    """Failed logins of the period, per source and per account."""

    src_fail: Counter[str] = field(default_factory=Counter)
    src_accounts: defaultdict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    src_unknown: Counter[str] = field(default_factory=Counter)
    src_protocols: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    acct_fail: Counter[str] = field(default_factory=Counter)
    acct_sources: defaultdict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )


def password_guessing(
    by_kind: Mapping[str, list[ActivityRow]],
    trusted: Callable[[str], bool | None] = lambda _source: False,
) -> tuple[list[GuessSource], list[TargetRow]]:
    """Every source of failed logins and every account tried, the most suspect first
    (``trusted``: whether a source is inside the trusted networks)."""
    logins: dict[str, set[str]] = defaultdict(set)
    for _h, account, _k, key, _n in by_kind["login"]:
        source = split_key(key)[1]
        if not trusted(source):
            logins[source].add(account)
    blocked: Counter[str] = Counter()
    for _h, _a, _k, key, n in by_kind["blocked"]:
        blocked[key] += n
    f = _failures(by_kind["fail"])
    sources = [
        GuessSource(
            source,
            n,
            f.src_accounts[source].most_common(5),
            f.src_unknown[source],
            sorted(f.src_protocols[source]),
            blocked[source],
            sorted(set(f.src_accounts[source]) & logins.get(source, set())),
        )
        for source, n in f.src_fail.items()
    ]
    sources.sort(key=lambda s: (not s.logged_in, -s.failures, s.source))
    targets = [
        TargetRow(
            account,
            n,
            len(f.acct_sources[account]),
            f.acct_sources[account].most_common(3),
            sorted(s for s in f.acct_sources[account] if account in logins.get(s, set())),
        )
        for account, n in f.acct_fail.items()
    ]
    targets.sort(key=lambda t: (not t.compromised_from, -t.failures, t.account))
    return sources, targets


def _failures(rows: list[ActivityRow]) -> _Failures:
    """Count failed logins; an unknown user's count against the source only."""
    f = _Failures()
    for _h, account, _k, key, n in rows:
        protocol, source, reason = split_key(key)
        f.src_fail[source] += n
        f.src_protocols[source].add(protocol)
        if account and reason != "unknown_user":
            f.src_accounts[source][account] += n
            f.acct_fail[account] += n
            f.acct_sources[account][source] += n
        else:
            f.src_unknown[source] += n
    return f
