"""Covering tracks: an account's sent items purged, its bounces hidden, its mail wiped.

Intruders who send from a mailbox tidy up after themselves so that the owner notices
late: they delete what they sent, and the bounces and "undeliverable" notices their
spam brings back; some wipe the mailbox. Kerio's operations.log records each item moved
or deleted, with the folder, the sender and the subject, by whom and from which
address (formats doc section 6, which names "hiding bounces" as what would show there).

Within :data:`WINDOW` seconds, per account:

- ``kerio.mailbox.sent_purged``: ``sent_items`` items taken out of Sent Items (deleted,
  or moved to the deleted items), or ``fresh_items`` of them that the account sent
  from outside the trusted networks within :data:`FRESH` seconds (matched by
  Message-ID: an owner does not purge what it just sent, an intruder hides it at once);
- ``kerio.mailbox.bounces_hidden``: ``bounces`` delivery failure notices deleted or
  moved to another folder (from a mailer daemon or postmaster, or with an
  "undeliverable" subject);
- ``kerio.mailbox.mass_delete``: ``mass_delete`` items deleted, or a folder of that many
  (what is already in the deleted items, junk or spam folders does not count).

Each is ``use`` evidence with the address it came from when it hides something: mail
the account just sent, bounces, or items deleted for good (a wipe). Alone it is low (an
owner tidying up raises no alert), from the office it never corroborates a stranger, and
with a stranger's access the same day it makes the incident high. Items out of Sent
Items none of which the account just sent, and items only moved to the deleted items,
are housekeeping (a full mailbox cleared out): ``context`` at ``score_tidy``, never use.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from kerio_watch.detect.base import RuleDoc, Signal
from kerio_watch.detect.context import Context
from kerio_watch.detect.state import SavedState
from kerio_watch.detect.window import Recent
from kerio_watch.enrich.messages import Submission
from kerio_watch.events import MailboxOperation
from kerio_watch.settings.numbers import points, threshold
from kerio_watch.textsafe import printable

RULE_SENT = "kerio.mailbox.sent_purged"
RULE_BOUNCES = "kerio.mailbox.bounces_hidden"
RULE_MASS = "kerio.mailbox.mass_delete"
WINDOW = 1800
"""Seconds over which one account's removals are counted."""
FRESH = 7200
"""A sent item is fresh for this many seconds after the account sent it."""
MAX_FRESH = 500
"""Message-IDs of fresh sent mail remembered per account."""
_DELETED = re.compile(r"(deleted|trash|papierkorb|gelöscht|junk|spam)", re.IGNORECASE)
_SENT = re.compile(r"^(sent|gesendet)", re.IGNORECASE)
_DAEMON = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
_NDR = re.compile(
    r"(undeliver|undelivered|delivery (status notification|failure|has failed)|"
    r"failure notice|returned mail|mail delivery failed|unzustellbar|nicht zustellbar)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class CoverUpOptions:
    """``[detectors.cover_up]`` options."""

    sent_items: int = threshold(10)
    fresh_items: int = threshold(5)
    bounces: int = threshold(5)
    mass_delete: int = threshold(200)
    score: int = points(30)
    score_tidy: int = points(10)


def _leaf(path: str | None) -> str:
    """A folder's path inside its mailbox (``~owner/Sent Items`` -> ``Sent Items``)."""
    if not path:
        return ""
    return path.partition("/")[2] if path.startswith("~") else path


class CoverUpDetector(SavedState):
    """Counts an account's removals from operations.log."""

    name: ClassVar[str] = "cover_up"
    wants: ClassVar[frozenset[str]] = frozenset({"mailbox_operation", "submission"})
    rules: ClassVar[tuple[RuleDoc, ...]] = (
        RuleDoc(
            RULE_SENT,
            "Sent items purged",
            "Many items were taken out of an account's Sent Items within 30 minutes "
            "(deleted, or moved to the deleted items), or a few that it had sent within "
            "the last two hours.",
            "An intruder deletes what it sent so that the owner does not see it, at once; "
            "an owner does not purge the mail it just sent.",
            "An owner who clears out old sent mail: context only, unless it is mail the "
            "account just sent.",
            side="use",
        ),
        RuleDoc(
            RULE_BOUNCES,
            "Bounces hidden",
            "Several delivery failure notices (from a mailer daemon or postmaster, or "
            "with an 'undeliverable' subject) were deleted from an account, or moved to "
            "another folder, within 30 minutes.",
            "Spam sent from a stolen account brings bounces back; deleting them keeps the "
            "owner (and the administrator) unaware.",
            "An owner deleting the bounces of a mailing with old addresses.",
            side="use",
        ),
        RuleDoc(
            RULE_MASS,
            "Mass deletion",
            "Hundreds of items (or a folder holding them) were deleted from an account "
            "within 30 minutes, not counting what was already in the deleted items, junk "
            "or spam folders.",
            "An intruder may wipe a mailbox to hide what it did, or to do harm.",
            "An owner tidying up a large folder: moved to the deleted items it is context only.",
            side="use",
        ),
    )
    options_class: ClassVar[type[CoverUpOptions]] = CoverUpOptions

    def __init__(self, ctx: Context, options: CoverUpOptions) -> None:
        self.ctx = ctx
        self.limits = {
            RULE_SENT: options.sent_items,
            RULE_BOUNCES: options.bounces,
            RULE_MASS: options.mass_delete,
        }
        self.fresh_items = options.fresh_items
        self.score = options.score
        self.score_tidy = options.score_tidy
        self.windows: dict[tuple[str, str], deque[tuple[int, int, int]]] = {}
        """(account, rule) -> (log time, items, fresh items) of the last :data:`WINDOW`
        seconds."""
        self.sent: dict[str, dict[str, int]] = {}
        """account -> Message-ID -> when it sent it (the last :data:`FRESH` seconds)."""
        self.recent = Recent(WINDOW)
        self._due: float = 0
        """No window ends before this log time (at most the earliest last entry's time
        plus :data:`WINDOW`): a flush before it has no window to forget."""

    def observe(self, item: MailboxOperation | Submission) -> Sequence[Signal] | None:
        """Count one move or deletion; remember what an account sent."""
        if isinstance(item, Submission):
            self._sent(item)
            return None
        account = (item.user or "").lower()
        if not account:
            return None
        out = []
        for rule, n in self._kinds(item):
            signal = self._count(account, rule, n, item)
            if signal is not None:
                out.append(signal)
        return out or None

    def _sent(self, sub: Submission) -> None:
        msg_id = sub.event.msg_id
        if not sub.new_message or not msg_id or self.ctx.networks.is_trusted(sub.host):
            return  # from the office: the owner's (and most of the mail; none kept)
        sent = self.sent.get(sub.account)
        if sent is None:
            sent = self.sent[sub.account] = {}
        sent[msg_id] = sub.ts
        if len(sent) > MAX_FRESH:
            del sent[next(iter(sent))]

    def _fresh(self, account: str, op: MailboxOperation) -> int:
        """1 when the item is mail the account sent within :data:`FRESH` seconds."""
        ts = self.sent.get(account, {}).get(op.msg_id or "")
        return int(ts is not None and op.ts - ts <= FRESH)

    def _kinds(self, op: MailboxOperation) -> list[tuple[str, int]]:
        """(rule, items) this operation counts for."""
        source, dest = _leaf(op.folder), _leaf(op.destination)
        if source and _DELETED.search(source):
            return []  # emptying what was already thrown away
        removed = op.action.upper().startswith("DELETE") or bool(dest and _DELETED.search(dest))
        n = max(1, op.items or 1)
        kinds = []
        if removed:
            kinds.append((RULE_MASS, n))
            if _SENT.match(source):
                kinds.append((RULE_SENT, n))
        if (removed or dest) and (_DAEMON.match(op.sender or "") or _NDR.search(op.subject or "")):
            kinds.append((RULE_BOUNCES, n))  # deleted, or moved out of sight
        return kinds

    def _marked(self, account: str, rule: str, n: int, op: MailboxOperation) -> int:
        """The items of this operation that are more than housekeeping: for Sent Items,
        mail the account sent just now; for a mass deletion, items deleted for good."""
        if rule == RULE_SENT:
            return self._fresh(account, op)
        if rule == RULE_MASS:
            return n if op.action.upper().startswith("DELETE") else 0
        return n

    def _count(self, account: str, rule: str, n: int, op: MailboxOperation) -> Signal | None:
        window = self.windows.setdefault((account, rule), deque())
        window.append((op.ts, n, self._marked(account, rule, n, op)))
        self._due = min(self._due, op.ts + WINDOW)
        while window and window[0][0] <= op.ts - WINDOW:
            window.popleft()
        total = sum(e[1] for e in window)
        fresh = sum(e[2] for e in window)
        limit = self.limits[rule]
        strong = fresh // self.fresh_items if rule == RULE_SENT else fresh // limit
        side, score = ("use", self.score) if strong else ("context", self.score_tidy)
        level = strong or total // limit
        if not level or not self.recent.due((account, rule, side), op.ts, level):
            return None
        where = f" from {op.source}" if op.source else ""
        via = f" via {op.protocol}" if op.protocol else ""
        what = {
            RULE_SENT: "items taken out of Sent Items",
            RULE_BOUNCES: "bounces (delivery failure notices) deleted",
            RULE_MASS: "items deleted",
        }[rule]
        recently = (
            f", {fresh} of them sent within {FRESH // 3600} hours"
            if fresh and rule == RULE_SENT
            else ""
        )
        summary = f"{account}: {total} {what} within {WINDOW // 60} minutes{recently}{where}{via}"
        return Signal(
            rule,
            account,
            op.ts,
            score,
            printable(summary),
            op.source,
            (op.raw,),
            side=side,
            who=f"{op.source or 'an unknown address'}{via}",
        )

    def flush(self, now: int) -> Sequence[Signal]:
        """Forget windows that ended, and sent mail that is no longer fresh."""
        if now >= self._due:
            stale = [k for k, w in self.windows.items() if not w or w[-1][0] <= now - WINDOW]
            for key in stale:
                del self.windows[key]
            self._due = min((w[-1][0] + WINDOW for w in self.windows.values()), default=math.inf)
        if now % 3600 < 60:  # hourly (flush runs once a log minute)
            self._forget_sent(now)
        return ()

    def _forget_sent(self, now: int) -> None:
        for account, sent in list(self.sent.items()):
            keep = {m: t for m, t in sent.items() if t > now - FRESH}
            if keep:
                self.sent[account] = keep
            else:
                del self.sent[account]

    def dump_state(self, now: int) -> dict[str, Any]:
        """The windows still open, and the fresh sent mail."""
        return {
            "windows": [
                [a, r, [list(e) for e in w if e[0] > now - WINDOW]]
                for (a, r), w in self.windows.items()
            ],
            "sent": {
                a: [[m, t] for m, t in sent.items() if t > now - FRESH]
                for a, sent in self.sent.items()
            },
        }

    def restore_state(self, data: dict[str, Any]) -> None:
        """Take back :meth:`dump_state`."""
        self.windows = {
            (str(a), str(r)): deque(
                (int(e[0]), int(e[1]), int(e[2]) if len(e) > 2 else 0) for e in w
            )
            for a, r, w in data["windows"]
        }
        self._due = 0  # the next flush looks at every window
        self.sent = {
            str(a): {str(m): int(t) for m, t in rows} for a, rows in data.get("sent", {}).items()
        }

    def reset_state(self) -> None:
        """Forget everything."""
        self.windows.clear()
        self.sent.clear()
