"""The standard enrichers (see :mod:`kerio_watch.enrich.stage`), in their order.

- :class:`MessageJoin`: the Recv/Sent join by Queue-ID; a ``Recv:`` line of an
  authenticated account becomes a :class:`~kerio_watch.enrich.messages.Submission`.
- :class:`LocalDomains`: learns the site's domains from authenticated users.
- :class:`WebmailSessions`: webmail logins; a webmail submission gets its session's IP.
- :class:`Activity`: the per-account hourly counters (:mod:`kerio_watch.store.activity`).

The network identity of an address (country, AS, hosting: :mod:`kerio_watch.enrich.geo`,
:mod:`kerio_watch.enrich.hosting`) is looked up on demand through the detectors'
:class:`~kerio_watch.detect.context.Context`, not per event.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping

from kerio_watch.enrich.messages import (
    MessageTracker,
    SessionTracker,
    Submission,
    is_rule_service,
    is_webmail_host,
)
from kerio_watch.enrich.stage import Enricher, Handler
from kerio_watch.events import (
    Connection,
    HostBlocked,
    LoginFailed,
    LoginSucceeded,
    MessageDelivery,
    MessageReceived,
)
from kerio_watch.store.activity import Recorder


class MessageJoin:
    """Joins each message's ``Recv:`` and ``Sent:`` lines (:class:`MessageTracker`)."""

    def __init__(self, messages: MessageTracker) -> None:
        self.messages = messages

    def handlers(self) -> Mapping[type, Handler]:
        """Recv and Sent lines."""
        return {MessageReceived: self.received, MessageDelivery: self.delivered}

    def received(self, msg: MessageReceived) -> Submission | None:
        """Track the message; an authenticated account's submission.

        A message one of Kerio's filter rules made is tracked without an account (its
        deliveries are the mail server's own, for ``direct_smtp``) and is no submission:
        :mod:`kerio_watch.detect.forwarding` judges it.
        """
        user = msg.user
        if is_rule_service(msg.service):
            self.messages.received(msg, None)
            return None
        if user is None or msg.is_dsn:
            return None
        new = self.messages.received(msg, user)
        host = msg.sender_host
        return Submission(
            msg.ts,
            user,
            msg.queue_id,
            new,
            msg.sender,
            msg.recipients,
            msg.service,
            host,
            host,
            False,
            msg,
        )

    def delivered(self, event: MessageDelivery) -> None:
        """Count a delivery, failure or delay on its message."""
        self.messages.delivered(event)


class LocalDomains:
    """Learns a local domain from each authenticated user (when none are configured)."""

    def __init__(self, note: Callable[[str], None]) -> None:
        self.note = note

    def handlers(self) -> Mapping[type, Handler]:
        """Submissions and logins."""
        return {Submission: self.submitted, LoginSucceeded: self.logged_in}

    def submitted(self, sub: Submission) -> None:
        """The account of a submission."""
        self.note(sub.account)

    def logged_in(self, login: LoginSucceeded) -> None:
        """The account of a login."""
        self.note(login.user)


class WebmailSessions:
    """Webmail logins (:class:`SessionTracker`): a webmail send (logged ``0.0.0.0``) is
    attributed to the IP of the account's live session."""

    def __init__(self, sessions: SessionTracker) -> None:
        self.sessions = sessions

    def handlers(self) -> Mapping[type, Handler]:
        """Logins and submissions."""
        return {LoginSucceeded: self.login, Submission: self.submitted}

    def login(self, login: LoginSucceeded) -> None:
        """Remember a webmail login."""
        self.sessions.login(login)

    def submitted(self, sub: Submission) -> None:
        """A webmail submission's effective host: its session's IP (None if none)."""
        if is_webmail_host(sub.logged_host):
            session_ip = self.sessions.ip_for(sub.account, sub.ts)
            sub.host = session_ip
            sub.via_session = session_ip is not None


class Activity:
    """Hourly activity per account, for reports (:mod:`kerio_watch.store.activity`).

    The native engine's :class:`~kerio_watch.native.activity.NativeActivity` hands the
    same counts to the Rust core (the reference is this class)."""

    def __init__(
        self,
        recorder: Recorder,
        messages: MessageTracker,
        is_local: Callable[[str], bool],
        mail_ports: Container[int],
    ) -> None:
        self.recorder = recorder
        self.messages = messages
        self.is_local = is_local
        self.mail_ports = mail_ports

    def handlers(self) -> Mapping[type, Handler]:
        """Every event class with an hourly counter."""
        return {
            MessageReceived: self.inbound,
            Submission: self.send,
            MessageDelivery: self.delivery,
            LoginSucceeded: self.login,
            LoginFailed: self.failed,
            HostBlocked: self.blocked,
            Connection: self.connection,
        }

    def inbound(self, msg: MessageReceived) -> None:
        """Inbound mail, and bounces (DSNs) to local addresses."""
        if msg.is_dsn:
            for r in msg.recipients:
                if self.is_local(r):
                    self.recorder.add(msg.ts, r, "bounce", "dsn")
        elif msg.user is None:
            self.recorder.add(msg.ts, "", "inbound", "", max(1, len(msg.recipients)))

    def send(self, sub: Submission) -> None:
        """A submission: the message (once) and each recipient's domain."""
        add = self.recorder.add
        if sub.new_message:
            add(sub.ts, sub.account, "send", f"{sub.service}|{sub.host or ''}|{sub.sender}")
        for r in sub.recipients:
            add(sub.ts, sub.account, "rcpt", r.rpartition("@")[2])

    def delivery(self, event: MessageDelivery) -> None:
        """A delayed or failed delivery of an account's message (after the join)."""
        state = self.messages.messages.get(event.queue_id)
        if state is None or state.account is None:
            return
        if event.result == "delayed":
            self.recorder.add(event.ts, state.account, "bounce", "delayed")
        elif event.is_failure:
            self.recorder.add(event.ts, state.account, "bounce", "failed")

    def login(self, login: LoginSucceeded) -> None:
        """A login: protocol, address and client."""
        key = f"{login.protocol}|{login.source}|{login.user_agent or ''}"
        self.recorder.add(login.ts, login.user, "login", key)

    def failed(self, fail: LoginFailed) -> None:
        """A failed login."""
        key = f"{fail.protocol}|{fail.source}|{fail.reason}"
        self.recorder.add(fail.ts, fail.user or "", "fail", key)

    def blocked(self, blocked: HostBlocked) -> None:
        """An address blocked by AntiHammering."""
        if blocked.action == "block":
            self.recorder.add(blocked.ts, "", "blocked", blocked.source)

    def connection(self, conn: Connection) -> None:
        """Hourly SMTP per machine (firewall logs)."""
        if conn.destination_port in self.mail_ports:
            key = f"{conn.source}|{conn.destination_port}|{conn.action}"
            self.recorder.add(conn.ts, "", "smtp", key)


def standard(
    messages: MessageTracker,
    sessions: SessionTracker,
    recorder: Recorder,
    note_domain: Callable[[str], None],
    is_local: Callable[[str], bool],
    mail_ports: Container[int],
    activity: type[Activity] = Activity,
) -> list[Enricher]:
    """The enrichers of every run, in order (``mail_ports``: the SMTP ports whose
    connections the firewall logs count hourly per machine; ``activity``: the hourly
    counters' enricher, the native engine's when it runs)."""
    return [
        MessageJoin(messages),
        LocalDomains(note_domain),
        WebmailSessions(sessions),
        activity(recorder, messages, is_local, mail_ports),
    ]
