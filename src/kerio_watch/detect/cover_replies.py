"""Answers to a campaign the account never sent, hidden (a rule of :mod:`.cover_up`).

A fraud sent from elsewhere can name a stolen mailbox as its reply address: its victims'
answers come in from strangers, all to the campaign's subject, and a tool working in the
mailbox from outside removes them before the owner sees them. What the logs show is
operations.log taking mail out of the Inbox that came in from outside within the last
day, each a reply (``Re:``, ``AW:``, ...) from someone the account never wrote to, several
senders answering one subject. It is to a campaign sent in the account's name what
hidden bounces are to spam sent from it: the trace of mail the owner never sent, and
hiding it is covering tracks. An owner's own mailing brings answers from the people it
wrote to (they are its recipients), and spam pretending to be a reply has a subject of
its own in every message, so neither counts.

Only keys are kept (the first 8 bytes of a BLAKE2b digest of the subject and of each
sender, :func:`~kerio_watch.values.addresses.address_key`), for a day.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Any

from kerio_watch.detect.base import RuleDoc, Signal
from kerio_watch.detect.context import Context
from kerio_watch.detect.window import Recent
from kerio_watch.events import MailboxOperation
from kerio_watch.textsafe import printable
from kerio_watch.values.addresses import address_key

RULE_REPLIES = "kerio.mailbox.replies_hidden"
FRESH_IN = 86_400
"""Mail from outside is new for this many seconds after it came in; answers count as
long after they were removed."""
QUIET = 1800
"""A signal repeats only when more senders answered, or after this many seconds."""
MAX_SUBJECTS = 50
"""Subjects remembered per account (the oldest go first)."""
MAX_SENDERS = 100
"""Senders remembered per subject."""
_REPLY = re.compile(r"^\s*(re|aw|antw|antwort|sv|vs|r|rif|odp|res|ynt)\s*(\[\d+\])?\s*:", re.I)
_PREFIXES = re.compile(
    r"^\s*((re|aw|antw|antwort|sv|vs|r|rif|odp|res|ynt|fw|fwd|wg|tr|rv)\s*(\[\d+\])?\s*:\s*)+",
    re.I,
)

DOC = RuleDoc(
    RULE_REPLIES,
    "Answers to mail it never sent, hidden",
    "Replies that came in from outside within the last day, from several people the "
    "account never wrote to, all answering one subject, were taken out of its Inbox "
    "(deleted or moved) from outside the trusted networks.",
    "A fraud sent from elsewhere names the stolen mailbox as its reply address; a tool "
    "in the mailbox removes the victims' answers before the owner sees them. Answers to "
    "mail the owner never sent are its trace, as bounces are spam's.",
    "An owner deleting, on a trip, the answers to a mailing another system sent with "
    "its address as the reply address, or a discussion list's thread it never wrote to "
    "(with a stranger's place that is high: worth a call to confirm).",
    side="use",
)


def leaf(path: str | None) -> str:
    """A folder's path inside its mailbox (``~owner/Sent Items`` -> ``Sent Items``)."""
    if not path:
        return ""
    return path.partition("/")[2] if path.startswith("~") else path


def answered(subject: str | None) -> str | None:
    """The subject a reply answers (lower case, prefixes and spacing gone), or None
    when the subject is no reply."""
    if not subject or not _REPLY.match(subject):
        return None
    return " ".join(_PREFIXES.sub("", subject).lower().split()) or None


class CampaignReplies:
    """Per account and answered subject, the strangers whose fresh replies were hidden
    (``limit``: how many make a signal, of ``score`` points)."""

    def __init__(self, ctx: Context, limit: int, score: int) -> None:
        self.ctx = ctx
        self.limit = limit
        self.score = score
        self.recent = Recent(QUIET)
        self.seen: dict[str, dict[int, dict[int, int]]] = {}
        """account -> subject key -> sender key -> when its answer was removed."""

    def observe(self, account: str, op: MailboxOperation, came: int | None) -> Signal | None:
        """``op`` takes a reply out of the Inbox from outside that came in from someone
        the account never wrote to at ``came`` (None: not mail from outside it remembers):
        a signal once ``limit`` senders answered one subject within a day."""
        subject, sender = answered(op.subject), (op.sender or "").lower()
        if subject is None or not sender or leaf(op.folder).lower() != "inbox":
            return None
        if not op.destination and not op.action.upper().startswith("DELETE"):
            return None
        if came is None or not 0 <= op.ts - came <= FRESH_IN:
            return None
        if self.ctx.networks.is_trusted(op.source or "") or self.ctx.is_local(sender):
            return None
        if sender in self.ctx.profile(account).recipients:
            return None  # an answer to its own mail
        n = self.count(account, subject, sender, op.ts)
        level = n // self.limit
        if not level or not self.recent.due(account, op.ts, level):
            return None
        where = f"{op.source or 'an unknown address'}" + (
            f" via {op.protocol}" if op.protocol else ""
        )
        summary = (
            f"{account}: answers from {n} people it never wrote to, all to '{subject}', "
            f"taken out of the Inbox within a day of coming in, the last from {where}"
        )
        return Signal(
            RULE_REPLIES,
            account,
            op.ts,
            self.score,
            printable(summary),
            op.source,
            (op.raw,),
            side="use",
            who=where,
        )

    def count(self, account: str, subject: str, sender: str, ts: int) -> int:
        """Note one hidden answer; how many senders answered the subject within a day."""
        subjects = self.seen.setdefault(account, {})
        key = address_key(subject)
        senders = subjects.pop(key, {})
        subjects[key] = senders  # the most recent subject last
        senders[address_key(sender.lower())] = ts
        for old in [s for s, t in senders.items() if t <= ts - FRESH_IN]:
            del senders[old]
        while len(senders) > MAX_SENDERS:
            del senders[next(iter(senders))]
        while len(subjects) > MAX_SUBJECTS:
            del subjects[next(iter(subjects))]
        return len(senders)

    def forget(self, before: int) -> None:
        """Drop the answers removed at ``before`` or earlier."""
        for account, subjects in list(self.seen.items()):
            for key, senders in list(subjects.items()):
                keep = {s: t for s, t in senders.items() if t > before}
                if keep:
                    subjects[key] = keep
                else:
                    del subjects[key]
            if not subjects:
                del self.seen[account]

    def clear(self) -> None:
        """Forget everything."""
        self.seen.clear()
        self.recent.fired.clear()

    def dump(self, now: int) -> list[Any]:
        """``[account, subject key, [[sender key, when], ...]]`` of the last day."""
        return [
            [a, k, [[s, t] for s, t in senders.items() if t > now - FRESH_IN]]
            for a, subjects in self.seen.items()
            for k, senders in subjects.items()
        ]

    def load(self, rows: list[Any]) -> None:
        """Take back :meth:`dump`."""
        self.seen = {}
        for a, k, senders in rows:
            kept = {int(s): int(t) for s, t in senders}
            if kept:
                self.seen.setdefault(str(a), {})[int(k)] = kept


def forget_ids(kept: dict[str, dict[str, int]], before: int) -> None:
    """Drop the Message-IDs seen at ``before`` or earlier, keeping the others' order.

    The old ones are almost always the first (kept in the order mail came): they are
    deleted in place once one C-level ``min`` shows none further on; else (a time out
    of order, an ID seen again) the IDs are copied without them."""
    for account, ids in list(kept.items()):
        times = iter(ids.values())
        old = 0
        for t in times:
            if t > before:
                break
            old += 1
        else:  # every one is old (or there are none)
            del kept[account]
            continue
        if min(times, default=before + 1) <= before:
            kept[account] = {m: t for m, t in ids.items() if t > before}
        elif old:
            for m in list(islice(ids, old)):
                del ids[m]
