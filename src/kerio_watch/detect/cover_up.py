"""Covering tracks: an account's sent items purged, its bounces hidden, its mail wiped.

Intruders who send from a mailbox tidy up after themselves so that the owner notices
late: they delete what they sent, and the bounces and "undeliverable" notices their
spam brings back; some wipe the mailbox. Kerio's operations.log records each item moved
or deleted, with the folder, the sender and the subject, by whom and from which
address (formats doc section 6, which names "hiding bounces" as what would show there).

Within :data:`WINDOW` seconds, per account:

- ``kerio.mailbox.sent_purged``: ``sent_items`` items taken out of Sent Items (deleted,
  or moved to the deleted items), or ``fresh_items`` (a few) of them that the account
  sent from outside the trusted networks within :data:`FRESH` seconds (by Message-ID:
  an owner takes out one message it regrets, an intruder hides all it just sent);
- ``kerio.mailbox.bounces_hidden``: ``bounces`` delivery failure notices deleted or
  moved to another folder (from a mailer daemon or postmaster, or with an
  "undeliverable" subject);
- ``kerio.mailbox.mass_delete``: ``mass_delete`` items deleted, or a folder of that many
  (what is already in the deleted items, junk or spam folders does not count);
- ``kerio.mailbox.inbox_hidden``: ``hidden_items`` messages that came in from outside
  within :data:`FRESH_IN` seconds moved out of the Inbox, from outside the trusted
  networks, into a folder the account never filed to from its desk (the office, or a
  place of its own: :func:`.places.own_place`; not the deleted items, junk or spam): an
  invoice fraud hides the supplier's new mail where the owner never looks.
- ``kerio.mailbox.replies_hidden``: ``campaign_replies`` people the account never wrote to
  whose replies to one subject, fresh from outside, were taken out of the Inbox from
  outside the trusted networks within a day (:mod:`.cover_replies`): the answers to a
  fraud sent elsewhere in the account's name, removed before the owner sees them.

Each is ``use`` evidence with the address it came from when it hides something: mail
the account just sent, bounces, new mail from outside, answers to mail it never sent, or
items deleted for good (a wipe). Alone it is low (an owner tidying up raises no alert),
from the office it never corroborates a stranger, and with a stranger's access the same
day it makes the incident high. Items out of Sent
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
from kerio_watch.detect.cover_replies import DOC as REPLIES_DOC
from kerio_watch.detect.cover_replies import FRESH_IN, CampaignReplies, leaf
from kerio_watch.detect.cover_replies import forget_ids as _forget
from kerio_watch.detect.places import own_place
from kerio_watch.detect.state import SavedState
from kerio_watch.detect.window import Recent
from kerio_watch.enrich.messages import Submission
from kerio_watch.events import MailboxOperation, MessageReceived
from kerio_watch.settings.numbers import points, threshold
from kerio_watch.textsafe import printable

RULE_SENT = "kerio.mailbox.sent_purged"
RULE_BOUNCES = "kerio.mailbox.bounces_hidden"
RULE_MASS = "kerio.mailbox.mass_delete"
RULE_HIDDEN = "kerio.mailbox.inbox_hidden"
WINDOW = 1800
"""Seconds over which one account's removals are counted."""
FRESH = 7200
"""A sent item is fresh for this many seconds after the account sent it."""
MAX_FRESH = 500
"""Message-IDs of fresh sent (or received) mail remembered per account."""
MAX_FOLDERS = 200
"""Folders remembered per account as ones it files to from its desk."""
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
    fresh_items: int = threshold(3)
    bounces: int = threshold(5)
    mass_delete: int = threshold(200)
    hidden_items: int = threshold(2)
    campaign_replies: int = threshold(3)
    score: int = points(30)
    score_tidy: int = points(10)


class CoverUpDetector(SavedState):
    """Counts an account's removals from operations.log."""

    name: ClassVar[str] = "cover_up"
    wants: ClassVar[frozenset[str]] = frozenset(
        {"mailbox_operation", "submission", "message_received"}
    )
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
        RuleDoc(
            RULE_HIDDEN,
            "New mail hidden",
            "Messages that came in from outside within the last day were moved out of an "
            "account's Inbox, from outside the trusted networks, into a folder it never "
            "files to from its desk: the office, or a place it has sent mail from for a "
            "week or used for two (a remote worker's home line, its phone); not the "
            "deleted items, junk or spam.",
            "An invoice fraud starts by hiding the supplier's or the bank's new mail "
            "where the owner never looks, so that the owner does not see the real "
            "conversation while the intruder takes it over; filing old mail is "
            "housekeeping and does not count.",
            "An owner travelling who files the day's mail into a folder it just made "
            "(with a stranger's place that is high: worth a call to confirm).",
            side="use",
        ),
        REPLIES_DOC,
    )
    options_class: ClassVar[type[CoverUpOptions]] = CoverUpOptions
    redated = ("windows", "sent", "received", "replies.seen", "replies.recent", "_due")

    def __init__(self, ctx: Context, options: CoverUpOptions) -> None:
        self.ctx = ctx
        self.limits = {
            RULE_SENT: options.sent_items,
            RULE_BOUNCES: options.bounces,
            RULE_MASS: options.mass_delete,
            RULE_HIDDEN: options.hidden_items,
        }
        self.fresh_items = options.fresh_items
        self.score = options.score
        self.score_tidy = options.score_tidy
        self.windows: dict[tuple[str, str], deque[tuple[int, int, int]]] = {}
        """(account, rule) -> (log time, items, fresh items) of the last :data:`WINDOW`
        seconds."""
        self.sent: dict[str, dict[str, int]] = {}
        """account -> Message-ID -> when it sent it (the last :data:`FRESH` seconds)."""
        self.received: dict[str, dict[str, int]] = {}
        """account -> Message-ID -> when it came in from outside (the last
        :data:`FRESH_IN` seconds)."""
        self.folders: dict[str, set[str]] = {}
        """account -> the folders (lower case) it filed to from its desk (:meth:`_filed`)."""
        self.replies = CampaignReplies(ctx, options.campaign_replies, options.score)
        self.recent = Recent(WINDOW)
        self._due: float = 0
        """No window ends before this log time: a flush before it has none to forget."""

    def observe(
        self, item: MailboxOperation | Submission | MessageReceived
    ) -> Sequence[Signal] | None:
        """Count one move or deletion; remember what an account sent or received."""
        if isinstance(item, Submission):
            self._sent(item)
            return None
        if isinstance(item, MessageReceived):
            self._received(item)
            return None
        account = (item.user or "").lower()
        if not account:
            return None
        if item.destination:
            self._filed(account, item)
        out = []
        for rule, n in self._kinds(item):
            signal = self._count(account, rule, n, item)
            if signal is not None:
                out.append(signal)
        came = self.received.get(account, {}).get(item.msg_id or "")
        answers = self.replies.observe(account, item, came)
        if answers is not None:
            out.append(answers)
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

    def _received(self, recv: MessageReceived) -> None:
        if recv.is_dsn or recv.user or not recv.msg_id or self.ctx.is_local(recv.sender):
            return  # a bounce, or mail from the site's own people
        for rcpt in recv.recipients:
            account = rcpt.lower()
            if not self.ctx.is_local(account):
                continue
            seen = self.received.setdefault(account, {})
            seen[recv.msg_id] = recv.ts
            if len(seen) > MAX_FRESH:
                del seen[next(iter(seen))]

    def _filed(self, account: str, op: MailboxOperation) -> None:
        """The owner files there: from the office, or new mail out of the Inbox from a
        place of its own (a remote worker's home line and its next lease, the phone it
        reads on all month: :func:`own_place`)."""
        known, folder, src = self.folders.get(account, set()), leaf(op.destination), op.source
        if folder.lower() in known or len(known) >= MAX_FOLDERS:
            return
        if self.ctx.networks.is_trusted(src or "") or (
            leaf(op.folder).lower() == "inbox"
            and not _DELETED.search(folder)
            and own_place(self.ctx, account, src, op.ts)
        ):
            self.folders[account] = known | {folder.lower()}

    def _hidden(self, account: str, op: MailboxOperation, source: str, dest: str) -> bool:
        """The move takes new mail from outside out of the Inbox, from outside the
        trusted networks, into a folder the account never filed to from its desk."""
        if source.lower() != "inbox" or not dest or _DELETED.search(dest) or _SENT.match(dest):
            return False
        if op.action.upper() != "MOVE" or self.ctx.networks.is_trusted(op.source or ""):
            return False
        came = self.received.get(account, {}).get(op.msg_id or "")
        fresh = came is not None and 0 <= op.ts - came <= FRESH_IN
        return fresh and dest.lower() not in self.folders.get(account, ())

    def _fresh(self, account: str, op: MailboxOperation) -> int:
        """1 when the item is mail the account sent within :data:`FRESH` seconds."""
        ts = self.sent.get(account, {}).get(op.msg_id or "")
        return int(ts is not None and op.ts - ts <= FRESH)

    def _kinds(self, op: MailboxOperation) -> list[tuple[str, int]]:
        """(rule, items) this operation counts for."""
        source, dest = leaf(op.folder), leaf(op.destination)
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
        elif not removed and self._hidden((op.user or "").lower(), op, source, dest):
            kinds.append((RULE_HIDDEN, 1))
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
            RULE_HIDDEN: "messages just received from outside moved out of the Inbox into "
            f"{printable(leaf(op.destination))}, a folder it never files to from its desk",
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
        """Forget windows that ended, and sent or received mail that is no longer fresh."""
        if now >= self._due:
            stale = [k for k, w in self.windows.items() if not w or w[-1][0] <= now - WINDOW]
            for key in stale:
                del self.windows[key]
            self._due = min((w[-1][0] + WINDOW for w in self.windows.values()), default=math.inf)
        if now % 3600 < 60:  # hourly (flush runs once a log minute)
            _forget(self.sent, now - FRESH)
            _forget(self.received, now - FRESH_IN)
            self.replies.forget(now - FRESH_IN)
        return ()

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
            "received": {
                a: [[m, t] for m, t in got.items() if t > now - FRESH_IN]
                for a, got in self.received.items()
            },
            "folders": {a: sorted(f) for a, f in self.folders.items()},
            "replies": self.replies.dump(now),
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
        self.received = {
            str(a): {str(m): int(t) for m, t in rows}
            for a, rows in data.get("received", {}).items()
        }
        self.folders = {str(a): {str(f) for f in fs} for a, fs in data.get("folders", {}).items()}
        self.replies.load(data.get("replies", []))

    def reset_state(self) -> None:
        """Forget everything."""
        self.windows.clear()
        self.sent.clear()
        self.received.clear()
        self.folders.clear()
        self.replies.clear()
