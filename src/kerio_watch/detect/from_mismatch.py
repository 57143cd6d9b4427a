"""From/User mismatch: an account sends as an address that is not its own.

The seed article's check, done right: addresses are compared as addresses (not
substrings, case-insensitive), the account's configured aliases, the server's alias
domains and From addresses the account has long used are fine, DSNs (``From: <>``)
are not senders, and a From in a domain the server does not host weighs more than
another local address.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from kerio_watch.detect.base import RuleDoc, Signal, untimed
from kerio_watch.detect.context import Context
from kerio_watch.detect.state import Stateless
from kerio_watch.enrich.messages import Submission
from kerio_watch.settings.numbers import period, points, threshold
from kerio_watch.severity import Severity

RULE_EXTERNAL = "kerio.mail.from_external"
RULE_LOCAL = "kerio.mail.from_other_local"


@dataclass(frozen=True)
class FromMismatchOptions:
    """``[detectors.from_mismatch]`` options."""

    learned_uses: int = threshold(3)
    learned_days: float = period(1.0, "days", positive=False)
    score_external: int = points(45)
    score_local: int = points(30)
    score_role: int = points(15)
    score_same_name: int = points(15)


class FromMismatchDetector(Stateless):
    """Flags messages whose From is neither the authenticated account nor its own."""

    name: ClassVar[str] = "from_mismatch"
    wants: ClassVar[frozenset[str]] = frozenset({"submission"})
    rules: ClassVar[tuple[RuleDoc, ...]] = (
        RuleDoc(
            RULE_EXTERNAL,
            "Sent as an outside address",
            "An authenticated account sent a message whose From is in a domain this server "
            "does not host, and which the account has not long used.",
            "Spammers who steal a password send as whatever address suits the campaign; "
            "Kerio's own KB names a changing From with one authenticated sender as the "
            "mark of a compromised account.",
            "Users who legitimately send as a private or partner address (add it to "
            '[users."x"] aliases, or it is learned after regular use); forwarding rules '
            "that keep the original sender.",
            side="use",
        ),
        RuleDoc(
            RULE_LOCAL,
            "Sent as another local address",
            "An authenticated account sent as another address of this server that is not "
            "one of its aliases.",
            "Hijackers also impersonate colleagues (CEO fraud) from a stolen account.",
            "Shared mailboxes and role addresses (sales@, info@) used by several people: "
            "configure them as aliases, or they are learned after regular use. An "
            "address nobody logs in as (a role address, an alias not configured) scores "
            "less than a colleague's account, and the account's own name in another "
            "local domain less still (an alias domain that is not configured).",
            side="use",
        ),
    )

    options_class: ClassVar[type[FromMismatchOptions]] = FromMismatchOptions

    def __init__(self, ctx: Context, options: FromMismatchOptions) -> None:
        self.ctx = ctx
        self.learned_uses = options.learned_uses
        self.learned_days = options.learned_days
        self.score_external = options.score_external
        self.score_local = options.score_local
        self.score_role = options.score_role
        self.score_same_name = options.score_same_name

    def _long_used(self, account: str, sender: str, ts: int) -> bool:
        entry = self.ctx.profile(account).froms.get(sender)
        return (
            entry is not None
            and entry[0] >= self.learned_uses
            and ts - entry[1] >= self.learned_days * 86400
        )

    def observe(self, item: Submission) -> Sequence[Signal] | None:
        """Check one submission."""
        if not item.new_message or not item.sender:
            return None
        ctx = self.ctx
        account, sender = item.account, item.sender
        if ctx.is_own_address(account, sender) or self._long_used(account, sender, item.ts):
            return None
        if ctx.profile(account).is_accepted("froms", sender):
            return None
        external = not ctx.is_local(sender)
        where = f" from {item.host}" if item.host else ""
        usual = ctx.profile(account).top(ctx.profile(account).froms, 1)
        habit = f" (usually as {usual[0]})" if usual and usual[0] != sender else ""
        kind = "an outside address" if external else "another local address"
        score = self.score_external if external else self.score_local
        floor = Severity.MEDIUM if external else Severity.LOW
        if not external and sender.rpartition("@")[0] == account.rpartition("@")[0]:
            # Its own name in another domain this server hosts: almost always the same
            # person (a domain alias not configured), rarely an impersonation.
            kind = "its own name in another local domain (set [site] domain_aliases?)"
            score, floor = self.score_same_name, Severity.INFO
        elif not external and not ctx.is_account(sender):
            # Nobody logs in as it: a role address or an alias not configured, far more
            # often than an impersonation (which targets a colleague's own account).
            kind = "a local address nobody logs in as (an alias not configured?)"
            score, floor = self.score_role, Severity.INFO
        summary = (
            f"{account} sent as {sender}, {kind}{habit}{where} via {item.service or 'unknown'}"
        )
        side = "use"
        if external and ctx.networks.is_external(item.host):
            domain = sender.rpartition("@")[2]
            froms = ctx.profile(account).froms
            if not any(f.endswith("@" + domain) for f in froms):
                side = "decisive"
                summary += f", from outside the trusted networks ({ctx.describe_host(item.host)})"
        return (
            Signal(
                RULE_EXTERNAL if external else RULE_LOCAL,
                account,
                item.ts,
                score,
                summary,
                item.host,
                (item.event.raw,),
                floor,
                {"froms": [sender]},
                side,
                ctx.describe_host(item.host),
            ),
        )

    @untimed
    def flush(self, now: int) -> Sequence[Signal]:
        """Nothing time-driven."""
        return ()
