"""mail.log: messages are planned as specs, then rendered in receive order.

Rendering in receive order gives increasing Queue-ID counters, as on a real server. A spec
becomes one ``Recv:`` line per recipient (or, for some multi-recipient messages, one ``Recv:``
line listing them all) and one ``Sent:`` line per recipient a few seconds later; a failed
delivery queues a DSN back to the envelope sender.

Specs are plain tuples (the hot path makes hundreds of thousands of them)::

    (t, seq, service, from, sender_host, user_field, ssl, recipients, subject, size, msg_id,
     profile, tag, combine)

``user_field`` is ``", User: <account>"`` or empty; ``tag`` names the scenario a message
belongs to (its ground truth is counted in :attr:`MailLog.stats`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from heapq import heappop, heappush
from itertools import count

from kerio_watch.simulate.data import BURST_FAIL_TEXTS, DELAY_TEXTS, FAIL_TEXTS
from kerio_watch.simulate.sink import LogSink
from kerio_watch.simulate.site import LOCALHOST, Domains, Peer

#: (P(a remote delivery is first delayed), P(it fails outright), failure status texts)
Profile = tuple[float, float, tuple[str, ...]]
NORMAL: Profile = (0.012, 0.004, FAIL_TEXTS)
QUIET: Profile = (0.004, 0.0, FAIL_TEXTS)

Spec = tuple[
    int, int, str, str, str, str, str, list[Peer], str, int, str, Profile, str | None, bool
]


def burst_profile(p_delay: float, p_fail: float) -> Profile:
    return (p_delay, p_fail, BURST_FAIL_TEXTS)


class TagStats:
    """What a scenario's tagged messages did, for its ground truth."""

    __slots__ = (
        "delayed",
        "dsns",
        "failed",
        "first",
        "last",
        "last_recv",
        "messages",
        "recipients",
    )

    def __init__(self, t: int) -> None:
        self.first = t
        self.last = t
        self.last_recv = t
        self.messages = 0
        self.recipients = 0
        self.delayed = 0
        self.failed = 0
        self.dsns = 0


class MailLog:
    """Plans and renders mail.log."""

    def __init__(self, sink: LogSink, rng: random.Random, domains: Domains, hostname: str) -> None:
        self.sink = sink
        self.rng = rng
        self.domains = domains
        self.hostname = hostname
        self.counter = rng.randrange(0x200, 0x4000)
        self.seq = count(1).__next__
        self.today: list[Spec] = []
        self.later: list[Spec] = []
        self.day_end = 0
        self.stats: dict[str, TagStats] = {}
        self._app = sink.lines.append
        self._rnd = rng.random
        self.after: Callable[[MailLog, Spec], None] | None = None
        """Called after each message is rendered (the filter rules, :mod:`.forwards`)."""

    def emit(
        self,
        t: int,
        svc: str,
        frm: str,
        host: str,
        user: str,
        ssl: str,
        rcpts: list[Peer],
        subj: str,
        size: int,
        mid: str,
        prof: Profile = NORMAL,
        tag: str | None = None,
        combine: bool = False,
    ) -> None:
        """Plan a message received at epoch ``t`` (``user`` empty: not authenticated)."""
        userf = f", User: {user}" if user else ""
        spec = (
            t,
            self.seq(),
            svc,
            frm,
            host,
            userf,
            ssl,
            rcpts,
            subj,
            size,
            mid,
            prof,
            tag,
            combine,
        )
        if t < self.day_end:
            self.today.append(spec)
        else:
            heappush(self.later, spec)

    def start(self, day_end: int) -> None:
        self.day_end = day_end

    def render_day(self, day_end: int, next_end: int) -> None:
        """Render everything received before ``day_end``; then plan for the next day."""
        today = self.today
        today.sort()
        later = self.later
        self.today = []
        self.day_end = next_end
        render = self._render
        for spec in today:  # DSNs of failed deliveries join ``later`` as we go
            while later and later[0][0] <= spec[0]:
                render(heappop(later))
            render(spec)
        while later and later[0][0] < day_end:
            render(heappop(later))

    def drain(self, until: int) -> None:
        """Render planned messages received before ``until``; forget the rest."""
        self.render_day(until, until)
        self.later = []

    def _render(self, spec: Spec) -> None:
        t, _, svc, frm, _h, _u, _s, rcpts, subj, _z, mid, prof, tag, _c = spec
        counter = self.counter
        self.counter = counter + 1
        qid = f"{t:08x}-{counter:08x}"
        self._recv(spec, qid)
        last, trouble = self._deliveries(t, qid, rcpts, mid, prof)
        if trouble is not None and frm:
            failures = [x for x in trouble if x]
            if failures:
                self._queue_dsn(min(failures) + 1 + int(self._rnd() * 2), frm, subj, tag)
        if tag is not None:
            self.count(t, last, svc == "DSN", len(rcpts), trouble or [], tag)
        if self.after is not None:
            self.after(self, spec)

    def _recv(self, spec: Spec, qid: str) -> None:
        """The Recv line of a message (one per recipient, unless combined in one line)."""
        t, _, svc, frm, host, userf, ssl, rcpts, subj, size, mid, _p, _t, combine = spec
        app = self._app
        if svc == "DSN":
            app(
                (
                    t,
                    f"Recv: Queue-ID: {qid}, Service: DSN, From: <>, To: <{rcpts[0][0]}>, "
                    f"Size: {size}, Report: failed, Subject: {subj}\n",
                )
            )
        elif len(rcpts) == 1:
            app(
                (
                    t,
                    f"Recv: Queue-ID: {qid}, Service: {svc}, From: <{frm}>, To: <{rcpts[0][0]}>, "
                    f"Size: {size}, Sender-Host: {host}{userf}, SSL: {ssl}, Subject: {subj}, "
                    f"Msg-Id: <{mid}>\n",
                )
            )
        else:
            head = f"Recv: Queue-ID: {qid}, Service: {svc}, From: <{frm}>, To: <"
            tail = (
                f">, Size: {size}, Sender-Host: {host}{userf}, SSL: {ssl}, Subject: {subj}, "
                f"Msg-Id: <{mid}>\n"
            )
            if combine:
                app((t, head + ">, <".join([r[0] for r in rcpts]) + tail))
            else:
                for r in rcpts:
                    app((t, head + r[0] + tail))

    def _deliveries(
        self, t: int, qid: str, rcpts: list[Peer], mid: str, prof: Profile
    ) -> tuple[int, list[int] | None]:
        """The Sent lines of a message received at ``t``: the time of the last one, and
        the delays (0) and failure times, if there was trouble."""
        app, rnd = self._app, self._rnd
        threshold = prof[0] + prof[1]
        last = t
        trouble: list[int] | None = None
        for r in rcpts:
            to = r[2]
            u = rnd()
            if to == LOCALHOST:
                ts = t + 1 if u < 0.7 else t + 2
                if u > 0.9992:
                    app(
                        (
                            ts,
                            f"Sent: Queue-ID: {qid}, Recipient: <{r[0]}>, Result: delayed, Status: "
                            f"4.3.0 Recipient's mailbox busy, Remote-Host: {to}, Msg-Id: <{mid}>\n",
                        )
                    )
                    ts += 60 + int(rnd() * 240)
            else:
                u *= 9.0
                ts = t + 1 + int(u)
                if u - int(u) < threshold:  # the fraction is another uniform draw
                    if trouble is None:
                        trouble = []
                    ts = self._trouble(ts, qid, r[0], to, mid, prof, trouble)
                    last = max(last, ts)
                    continue
            app(
                (
                    ts,
                    f"Sent: Queue-ID: {qid}, Recipient: <{r[0]}>, Result: delivered, "
                    f"Status: 2.0.0 , Remote-Host: {to}, Msg-Id: <{mid}>\n",
                )
            )
            last = max(last, ts)
        return last, trouble

    def _trouble(
        self, ts: int, qid: str, rcpt: str, to: str, mid: str, prof: Profile, trouble: list[int]
    ) -> int:
        """A delayed or failed remote delivery; ``trouble`` collects 0 (delay) or failure times."""
        rng = self.rng
        app = self.sink.lines.append
        p_delay, p_fail, texts = prof
        sent = f"Sent: Queue-ID: {qid}, Recipient: <{rcpt}>, Result: "
        tail = f", Remote-Host: {to}, Msg-Id: <{mid}>\n"
        if rng.random() * (p_delay + p_fail) < p_delay:
            text = DELAY_TEXTS[int(rng.random() * len(DELAY_TEXTS))]
            app((ts, f"{sent}delayed, Status: {text}{tail}"))
            trouble.append(0)
            ts += 900 + int(rng.random() * 1800)
            if rng.random() < 0.85:
                app((ts, f"{sent}delivered, Status: 2.0.0 {tail}"))
                return ts
        text = texts[int(rng.random() * len(texts))].replace("{r}", rcpt)
        app((ts, f"{sent}failed, Status: {text}{tail}"))
        trouble.append(ts)
        return ts

    def _queue_dsn(self, t: int, to: str, subj: str, tag: str | None) -> None:
        rng = self.rng
        rcpt: Peer = (to, "", self.domains.delivery_host(to), "", "", "")
        mid = f"{t:x}.{rng.getrandbits(32):08x}@{self.hostname}"
        size = rng.randrange(2100, 6800)
        heappush(
            self.later,
            (
                t,
                self.seq(),
                "DSN",
                "",
                "",
                "",
                "",
                [rcpt],
                "Undeliverable: " + subj,
                size,
                mid,
                QUIET,
                tag,
                False,
            ),
        )

    def count(self, t: int, last: int, dsn: bool, n: int, trouble: list[int], tag: str) -> None:
        """Count a message of scenario ``tag`` (its ground truth)."""
        st = self.stats.get(tag)
        if st is None:
            st = self.stats[tag] = TagStats(t)
        st.last = max(st.last, last)
        if dsn:
            st.dsns += 1
            return
        st.first = min(st.first, t)
        st.last_recv = max(st.last_recv, t)
        st.messages += 1
        st.recipients += n
        st.delayed += trouble.count(0)
        st.failed += len(trouble) - trouble.count(0)
