"""New recipients: an account writes to people and domains it has never written to.

People mostly write to those who wrote to them and to those they wrote to before; a
hijacker writes to a purchased list. Each outside recipient is new (neither a
correspondent nor an earlier recipient) or not, and its domain is new to the account or
not. Two views, both against the account's own recent novelty rate (so a sales account
that gains a few customers a week stays quiet):

- the account over a sliding window (24 hours by default): at least ``min_new`` new
  recipients, making up a share of its outside recipients well above its usual rate;
- one sending address the account had never sent from, and all such addresses together
  (a hijacker behind rotating proxies never sends twice from one): ``min_new_host``
  recipients, nearly all new. A hijacker's address writes only to strangers, so this
  catches a slow campaign by its third message while the owner keeps mailing colleagues
  as usual;
- likewise one mail program (the shape of its Message-IDs) the account never wrote with,
  once it has ``min_history`` messages of the programs it uses: malware on the owner's
  own PC, or an intruder on the office VPN, sends from an address the account uses, but
  with its own mail engine.

A handful of new recipients (fewer than ``many_new``) is weak evidence, unless nearly all
the recipients of addresses it never sent from are strangers. Many are a list, not new
customers, when many of their domains are new too, or when they are dozens (``list_new``),
nearly all strangers (a list in the freemail domains the owner uses: domains cannot tell).

A new account is judged against the site: a recipient counts as new when nobody on the
site has written to its domain.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any, ClassVar

from kerio_watch.detect.base import RuleDoc, Signal, hourly
from kerio_watch.detect.context import Context
from kerio_watch.detect.desk import AT_DESK_DOC, at_desk
from kerio_watch.detect.new_recipients_parts import (
    MAX_SAMPLES,
    PROGRAM,
    Evidence,
    NewRecipientsOptions,
    Sample,
    evidence,
    novelty_score,
)
from kerio_watch.detect.state import SavedState
from kerio_watch.detect.window import Recent, Window, count, percent
from kerio_watch.enrich.clients import client_of, program_name
from kerio_watch.enrich.messages import Submission
from kerio_watch.textsafe import printable
from kerio_watch.values.profile import Profile

RULE = "kerio.mail.new_recipients"


class NewRecipientsDetector(SavedState):
    """Flags bursts of never-seen recipients against the account's novelty rate."""

    name: ClassVar[str] = "new_recipients"
    wants: ClassVar[frozenset[str]] = frozenset({"submission"})
    dated: ClassVar[tuple[str, ...]] = ("windows", "hosts", "pooled")
    rules: ClassVar[tuple[RuleDoc, ...]] = (
        RuleDoc(
            RULE,
            "Mail to people it never wrote to",
            "Within a sliding window, an account wrote to several outside recipients that "
            "are neither its correspondents nor earlier recipients, a share far above its "
            "own recent rate of new recipients; or a sending address it never used wrote "
            "almost only to such strangers, or a mail program it never wrote with did. New "
            "accounts are compared with the domains the whole site writes to.",
            "Hijacked accounts mail bought or harvested lists; the owner writes to people "
            "it knows. It is the signal that separates a hijack from a trip abroad.",
            "A new project or mailing to new customers, a first mass mailing. Accounts "
            "that gain customers every week learn a higher rate; configure real mailing "
            'accounts with [users."x"] bulk = true or ack --benign the incident.',
            side="use",
        ),
        AT_DESK_DOC,
    )
    options_class: ClassVar[type[NewRecipientsOptions]] = NewRecipientsOptions

    def __init__(self, ctx: Context, options: NewRecipientsOptions) -> None:
        self.ctx = ctx
        self.options = options
        self.span = int(options.window_hours * 3600)
        self.min_new = options.min_new
        self.min_new_host = options.min_new_host
        self.min_share = options.min_share
        self.host_share = options.host_share
        self.rate_factor = options.rate_factor
        self.min_history: int = options.min_history
        self.min_days: float = options.min_days
        self.windows: dict[str, Window] = {}
        self.hosts: dict[tuple[str, str], Window] = {}
        self.pooled: dict[str, Window] = {}
        """account -> recipients sent from all the addresses it never sent from."""
        self.samples: dict[str, deque[Sample]] = {}
        self.recent = Recent(self.span)
        self._hour = 0

    def _warmup(self, prof: Profile, ts: int) -> bool:
        """Too little history to judge novelty against the account's own habits.

        Known for a week and either enough recent outside recipients or an address book
        of its own (people it wrote to or who wrote to it): a low-volume sender whose
        decayed recent count never reaches ``min_history`` still leaves warm-up.
        """
        if prof.days_known(ts) < self.min_days:
            return True
        if prof.rcpt_recent >= self.min_history:
            return False
        return len(prof.recipients) + len(prof.correspondents) < self.min_history

    def observe(self, item: Submission) -> Sequence[Signal] | None:
        """Count one submission's recipients; fire when the novelty is unusual (and say
        when it went out from elsewhere while the owner used its desk, :mod:`.desk`)."""
        found = self._novelty(item) or []
        desk = at_desk(self.ctx, item, self.samples.get(item.account), self.hosts)
        return [*found, *desk] or None

    def _novelty(self, item: Submission) -> list[Signal] | None:
        ctx, account = self.ctx, item.account
        prof = ctx.profile(account)
        warmup: bool | None = None
        site_domains = ctx.site.domains
        known_rcpts, correspondents = prof.recipients, prof.correspondents
        domains = prof.rcpt_domains
        accepted = prof.accepted
        outside = new = new_domains = 0
        samples: deque[Sample] | None = None
        client = client_of(item.event.msg_id)
        local_domains, alias_domains = ctx.local_domains, ctx.domain_aliases
        for r in item.recipients:
            domain = r.rpartition("@")[2]
            if domain in local_domains or domain in alias_domains:
                continue
            outside += 1
            if r in known_rcpts or r in correspondents:
                continue
            if warmup is None:
                warmup = self._warmup(prof, item.ts)
            if warmup:
                if domain in site_domains:
                    continue
                fresh_domain = True
            else:
                fresh_domain = domain not in domains
            if accepted and (
                prof.is_accepted("recipients", r) or prof.is_accepted("domains", domain)
            ):
                continue
            new += 1
            if fresh_domain:
                new_domains += 1
            if samples is None:
                samples = self.samples.get(account)
                if samples is None:
                    samples = self.samples[account] = deque(maxlen=MAX_SAMPLES)
            raw = item.event.raw
            samples.append(Sample(item.ts, item.host, r, domain, fresh_domain, raw, client))
        if not outside:
            return None
        ts = item.ts
        window = self.windows.get(account)
        if window is None:
            window = self.windows[account] = Window(self.span)
        window.add(ts, outside, new, new_domains)
        tallies = self._tallies(item, prof, client, (outside, new, new_domains))
        if not new or warmup is None:
            return None
        out = self._judge(account, prof, window, ts, warmup, None, item)
        # this address, else all it never sent from together, else a program never used
        for host, pooled, tally in tallies:
            found = self._judge(account, prof, tally, ts, warmup, host, item, pooled)
            if found:
                return out + found
        return out or None

    def _tallies(
        self, item: Submission, prof: Profile, client: str, counts: tuple[int, int, int]
    ) -> list[tuple[str | None, int, Window]]:
        """The scoped counts this submission adds to, each with the scope's key for
        :meth:`_judge` (an address, or ``program:`` and the program) and whether pooled."""
        found = [(item.host, k, w) for k, w in enumerate(self._host_tally(item, prof, *counts))]
        program = self._program_tally(item, prof, client, counts)
        if program is not None:
            found.append((PROGRAM + client, 0, program))
        return found

    def _program_tally(
        self, item: Submission, prof: Profile, client: str, counts: tuple[int, int, int]
    ) -> Window | None:
        """Counts for this mail program, if the account never wrote with it and has
        ``min_history`` messages of the programs it uses."""
        if not client:
            return None
        key = (item.account, PROGRAM + client)
        tally = self.hosts.get(key)
        if tally is None:
            if client in prof.clients or prof.is_accepted("clients", client):
                return None
            if sum(e[0] for e in prof.clients.values()) < self.min_history:
                return None
            tally = self.hosts[key] = Window(self.span)
        tally.add(item.ts, *counts)
        return tally

    def _host_tally(
        self, item: Submission, prof: Profile, outside: int, new: int, new_domains: int
    ) -> tuple[Window, ...]:
        """Counts for this address if the account never sent from it, and for all such."""
        host = item.host
        if host is None:
            return ()
        tallies = self.hosts
        key = (item.account, host)
        tally = tallies.get(key) if tallies else None
        if tally is None:
            if host in prof.hosts or not self.ctx.networks.is_external(host):
                return ()
            if len(tallies) > 20_000:
                self._prune(item.ts)
            tally = tallies[key] = Window(self.span)
        tally.add(item.ts, outside, new, new_domains)
        # Every address it never sent from counts as one place together: a hijacker
        # behind rotating proxies never sends twice from the same address.
        pooled = self.pooled.get(item.account)
        if pooled is None:
            pooled = self.pooled[item.account] = Window(self.span)
        pooled.add(item.ts, outside, new, new_domains)
        return tally, pooled

    def _prune(self, now: int) -> None:
        for key, tally in list(self.hosts.items()):
            tally.expire(now)
            if not tally.entries:
                del self.hosts[key]
        for account, pooled in list(self.pooled.items()):
            pooled.expire(now)
            if not pooled.entries:
                del self.pooled[account]

    def _judge(
        self,
        account: str,
        prof: Profile,
        window: Window,
        ts: int,
        warmup: bool,
        host: str | None,
        item: Submission,
        pooled: int = 1,
    ) -> list[Signal]:
        floor = self.min_new_host if host is not None else self.min_new
        if window.b < floor:
            return []
        window.expire(ts)
        total, new, new_domains = window.a, window.b, window.c
        if new < floor:
            return []
        share = new / total
        rate = self.ctx.site.novelty_rate() if warmup else self._usual_rate(prof, window)
        least = self.host_share if host is not None else self.min_share
        if share < max(least, self.rate_factor * rate):
            return []
        score = novelty_score(self.options, (new, new_domains), share, host is not None)
        level = score * 100 + new.bit_length()
        if not self.recent.due((account, host), ts, level):
            return []
        first = window.first_ts() or ts
        recipients, domains, lines = self._evidence(account, first, host)
        hours = max(1, -(-(ts - first) // 3600))
        if host is None:
            scope = f"within {count(hours, 'hour')}"
        elif host.startswith(PROGRAM):
            name = program_name(host[len(PROGRAM) :])
            scope = f"in mail written by {name}, a mail program it never wrote with"
        elif pooled:
            scope = f"from addresses it never sent from (latest {self.ctx.describe_host(host)})"
        else:
            scope = f"from {self.ctx.describe_host(host)}, an address it never sent from"
        everyone = "all" if new == total else f"{new:,} of them"
        where = "domains nobody here writes to" if warmup else "domains it never wrote to"
        usual = "this site's accounts usually write to" if warmup else "usually"
        summary = (
            f"{account} wrote to {count(total, 'outside recipient')} {scope}: {everyone} "
            f"new to it ({percent(share)}), {new_domains:,} in {where}; {usual} "
            f"{percent(rate)} new"
        )
        return [
            Signal(
                RULE,
                account,
                ts,
                score,
                printable(summary),
                item.host,
                lines,
                facts={"recipients": recipients, "domains": domains},
                who=self.ctx.describe_host(item.host),
            )
        ]

    def _evidence(self, account: str, since: int, host: str | None) -> Evidence:
        remembered = (self.samples.get(account, ()), self.hosts)
        return evidence(self.ctx.networks, remembered, account, since, host)

    def _usual_rate(self, prof: Profile, window: Window) -> float:
        """The account's recent novelty rate without this window (whose first recipients
        may already be learned, before any incident held learning)."""
        own = self.windows.get(prof.account, window)
        total = prof.rcpt_recent - own.a
        new = max(0.0, prof.novel_recent - own.b)
        return new / total if total >= 1 else 0.0

    @hourly
    def flush(self, now: int) -> Sequence[Signal]:
        """Hourly: forget per-address tallies that ran out of their window."""
        hour = now // 3600
        if hour != self._hour:
            self._hour = hour
            if self.hosts:
                self._prune(now)
        return ()

    # -- persistence (SavedState) -------------------------------------------------------
    def dump_state(self, now: int) -> dict[str, Any]:
        """The windows, per-address tallies and new-recipient samples (lines stored once),
        all within the window."""
        edge = now - self.span
        windows = {a: rows for a, w in self.windows.items() if (rows := w.dump(now))}
        hosts = [[a, h, rows] for (a, h), w in self.hosts.items() if (rows := w.dump(now))]
        lines: dict[str, int] = {}
        samples: dict[str, list[list[Any]]] = {}
        for account, queue in self.samples.items():
            kept = [
                [
                    s.ts,
                    s.host,
                    s.recipient,
                    int(s.fresh_domain),
                    lines.setdefault(s.raw, len(lines)),
                    s.client,
                ]
                for s in queue
                if s.ts > edge
            ]
            if kept:
                samples[account] = kept
        return {"windows": windows, "hosts": hosts, "samples": samples, "lines": list(lines)}

    def restore_state(self, data: dict[str, Any]) -> None:
        """Take back :meth:`dump_state`."""
        span = self.span
        for account, rows in data["windows"].items():
            self.windows[account] = Window.restore(span, rows)
        for account, host, rows in data["hosts"]:
            self.hosts[(account, host)] = Window.restore(span, rows)
            if host.startswith(PROGRAM):  # a program's tally is no address's
                continue
            before = self.pooled.get(account)
            merged = sorted([*(list(e) for e in (before.entries if before else ())), *rows])
            self.pooled[account] = Window.restore(span, merged)
        lines = data["lines"]
        for account, rows in data["samples"].items():
            queue: deque[Sample] = deque(maxlen=MAX_SAMPLES)
            for ts, host, rcpt, fresh, line, *client in rows:  # older states: no program
                domain = rcpt.rpartition("@")[2]
                raw = lines[line]
                queue.append(Sample(int(ts), host, rcpt, domain, bool(fresh), raw, *client[:1]))
            self.samples[account] = queue
        self._hour = int(data["now"]) // 3600

    def reset_state(self) -> None:
        """Forget the windows, tallies and samples."""
        self.windows.clear()
        self.hosts.clear()
        self.pooled.clear()
        self.samples.clear()
