"""Administration from outside: the server's configuration changed from a stranger's network.

An administrator account is the most valuable one on the server: whoever holds it can
open the relay, create accounts to send spam from, and set forwarding on anyone's
mailbox. Its logins are audit.log lines like every other (``HTTP/WebAdmin``), judged by
the access detectors (a new place, a hosting network, a new browser), but nothing it
does is mail, so no use detector ever saw harm and a stolen administrator session
stayed at ``medium``. This detector joins config.log's changes (``<admin> - <Verb>
<Object> {...}``) to the administrator's session: its last ``HTTP/WebAdmin`` login
(or config.log's own ``session opened for host <ip>``) within :data:`SESSION` seconds.

A change made in a session from outside the trusted networks is ``use`` evidence,
keyed to the account that logged in. A change that hands the server or its mail to
someone outside counts ``score``: forwarding, relay and SMTP, domains, security and
access policies, passwords, rights and certificates, or any field naming an address or
domain outside the site's (an alias delivering to a freemail mailbox). A change to
accounts, aliases and groups that names only the site's own (a new colleague's account,
an alias for it, a group's members) counts ``score_inside``, below what pairs with a
stranger's access: an administrator preparing a colleague's start from home for the first
time does what an intruder with a backdoor account would, and nothing of it reaches
anyone outside until the account is used (which its own mail then shows). Others
(descriptions, time ranges) count ``score_routine``. So an administrator at a usual remote
address alone is at most ``low``, and a session from a place (or program) the account
never used that sends the site's mail or access outside is ``high``: exactly the case of
a stranger doing harm. Sessions from the LAN or VPN never count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from kerio_watch.detect.base import RuleDoc, Signal, untimed
from kerio_watch.detect.context import Context
from kerio_watch.detect.state import SavedState
from kerio_watch.events import ConfigChange, LoginSucceeded
from kerio_watch.settings.numbers import points
from kerio_watch.textsafe import printable

RULE = "kerio.admin.outside_change"
SESSION = 4 * 3600
"""How long after an administrator's login its changes are its session's."""
SENSITIVE = (
    "user",
    "alias",
    "forward",
    "relay",
    "smtp",
    "domain",
    "group",
    "security",
    "policy",
    "password",
    "right",
    "role",
    "delivery",
    "certificate",
    "mailinglist",
)
"""Words (in the object or its fields, ignoring case) of changes that can hand the
server to an intruder."""
INSIDE = frozenset({"user", "alias", "group"})
"""Of :data:`SENSITIVE`, the words of changes that stay inside the site unless a field
names an outside address or domain (a new account, an alias, a group's members)."""
_ADDRESS = re.compile(r"[\w.+-]*@([\w-]+(?:\.[\w-]+)+)")
NOT_CHANGES = frozenset({"session opened", "session closed", "other"})
FACT = "config_changes"
"""The signal's fact: what the change was (time, verb, object, its name, the fields
set), for the steps that name what to undo (:mod:`kerio_watch.incidents.changes`)."""
_FIELD = re.compile(r"""(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)')""")
NAME_FIELDS = frozenset({"loginname", "name", "alias", "domainname", "address", "email"})
"""Fields (ignoring case) whose value names the object changed (a user's login name)."""
MAX_FIELDS = 12
MAX_SESSIONS = 1_000
MAX_LISTED = 20


@dataclass(frozen=True)
class AdminChangesOptions:
    """``[detectors.admin_changes]`` options."""

    score: int = points(30)
    score_inside: int = points(15)
    score_routine: int = points(10)


def what_changed(change: ConfigChange) -> dict[str, Any]:
    """The change as a fact: ``at`` (log time), ``action``, ``object``, ``name`` (from
    ``loginName="x"`` or ``Name='x'``, else empty) and the ``fields`` it set, each
    printable and bounded (they come from the log)."""
    name = ""
    fields: list[str] = []
    for m in _FIELD.finditer(change.detail or ""):
        key = m[1]
        if not name and key.lower() in NAME_FIELDS:
            name = m[2] if m[2] is not None else m[3]
        if key not in fields and len(fields) < MAX_FIELDS:
            fields.append(key)
    return {
        "at": change.ts,
        "action": printable(change.action)[:40],
        "object": printable(change.target or "")[:80],
        "name": printable(name)[:120],
        "fields": [printable(f)[:60] for f in fields],
    }


class AdminChangesDetector(SavedState):
    """Flags configuration changes made in an administrator session from outside."""

    name: ClassVar[str] = "admin_changes"
    wants: ClassVar[frozenset[str]] = frozenset({"config_change", "login_succeeded"})
    rules: ClassVar[tuple[RuleDoc, ...]] = (
        RuleDoc(
            RULE,
            "Server configuration changed from outside",
            "An administrator changed the server's configuration (config.log) in a session "
            "that logged in from outside the trusted networks (audit.log HTTP/WebAdmin, or "
            "config.log's session line).",
            "A stolen administrator password hands over the whole server: an open relay, "
            "new accounts to send spam from, forwarding on anyone's mailbox. With a login "
            "from a place or program the account never used, it is a stranger doing harm.",
            "An administrator or service provider working remotely: from a usual address "
            "it stays low; from a new one (a hotel) a change that sends mail or access "
            "outside (the relay, forwarding, a password, an alias to an outside mailbox) is "
            "high, and worth a call to confirm; one to the site's own accounts, aliases or "
            "groups is low.",
            side="use",
        ),
    )
    options_class: ClassVar[type[AdminChangesOptions]] = AdminChangesOptions

    def __init__(self, ctx: Context, options: AdminChangesOptions) -> None:
        self.ctx = ctx
        self.score = options.score
        self.score_inside = options.score_inside
        self.score_routine = options.score_routine
        self.sessions: dict[str, tuple[int, str]] = {}
        """administrator (lower case) -> (log time, address) of its last session."""
        self.changes: dict[str, list[str]] = {}
        """account -> the changes of its current outside session, in words."""

    def observe(self, item: LoginSucceeded | ConfigChange) -> Sequence[Signal] | None:
        """Note administrator sessions; judge changes."""
        if isinstance(item, LoginSucceeded):
            if "webadmin" in item.protocol.lower():
                self._session(item.user.lower(), item.ts, item.source)
            return None
        change = item
        if change.action == "session opened" and change.detail:
            self._session(change.admin, change.ts, change.detail.split()[0])
            return None
        if change.action in NOT_CHANGES:
            return None
        return self._judge(change)

    def _session(self, admin: str, ts: int, source: str) -> None:
        if len(self.sessions) >= MAX_SESSIONS:
            oldest = min(self.sessions, key=lambda a: self.sessions[a][0])
            del self.sessions[oldest]
        self.sessions[admin] = (ts, source)
        self.changes.pop(admin, None)

    def _find(self, admin: str, ts: int) -> tuple[str, str] | None:
        """(account, address) of the session ``admin``'s change at ``ts`` belongs to."""
        found = self.sessions.get(admin)
        account = admin
        if found is None and "@" not in admin:  # config.log's "admin", audit's admin@domain
            named = [(s, a) for a, s in self.sessions.items() if a.partition("@")[0] == admin]
            if named:
                found, account = max(named)
        if found is None or not 0 <= ts - found[0] <= SESSION:
            return None
        return account, found[1]

    def _judge(self, change: ConfigChange) -> Sequence[Signal] | None:
        session = self._find(change.admin, change.ts)
        if session is None:
            return None
        account, source = session
        if not self.ctx.networks.is_external(source):
            return None
        words = f"{change.target or ''} {change.detail or ''}".lower()
        found = {w for w in SENSITIVE if w in words}
        outward = bool(found - INSIDE) or any(
            not self.ctx.is_local(f"x@{m[1]}") for m in _ADDRESS.finditer(words)
        )
        what = printable(f"{change.action} {change.target or ''}".strip())
        listed = self.changes.setdefault(account, [])
        if len(listed) < MAX_LISTED:
            listed.append(what)
        if outward:
            score = self.score + min(10, 2 * (len(listed) - 1))
        else:
            score = self.score_inside if found else self.score_routine
        summary = (
            f"{account} changed the server's configuration from {source}, outside the "
            f"trusted networks ({self.ctx.describe_host(source)}): {', '.join(listed)}"
        )
        return (
            Signal(
                RULE,
                account,
                change.ts,
                score,
                printable(summary),
                source,
                (change.raw,),
                facts={FACT: [what_changed(change)]},
                side="use",
                who=f"an administrator session from {source}",
            ),
        )

    @untimed
    def flush(self, now: int) -> Sequence[Signal]:
        """Nothing time-driven."""
        return ()

    def dump_state(self, now: int) -> dict[str, Any]:
        """Sessions of the last :data:`SESSION` seconds and their changes."""
        live = {a: s for a, s in self.sessions.items() if now - s[0] <= SESSION}
        return {
            "sessions": {a: [ts, ip] for a, (ts, ip) in live.items()},
            "changes": {a: c for a, c in self.changes.items() if a in live},
        }

    def restore_state(self, data: dict[str, Any]) -> None:
        """Take back :meth:`dump_state`."""
        self.sessions = {str(a): (int(s[0]), str(s[1])) for a, s in data["sessions"].items()}
        self.changes = {str(a): [str(x) for x in c] for a, c in data["changes"].items()}

    def reset_state(self) -> None:
        """Forget everything."""
        self.sessions.clear()
        self.changes.clear()
