"""mail.log: ``Recv:`` (a message accepted), ``Sent:`` (one recipient's delivery) and DSNs.

Field layout (see ``shared/docs/kerio-log-formats.md`` §3): keys are split on the known
``, Key: `` anchors, never on every comma, because ``Subject`` is free text that may
contain commas and ``Status`` may carry server text with commas. Accepted variants:

- current: ``Queue-ID, Service, From, To, Size, Sender-Host[, User][, SSL][, Subject][, Msg-Id]``;
- Kerio MailServer 6.7: ``... Size, User, Sender-Host, SSL`` (no Subject or Msg-Id);
- ``Msg-Id`` before ``Subject`` (accepted by the Logstash lab parser);
- DSNs: ``Service: DSN, From: <>, To: <r>, Size: n, Report: failed[, User: u][, Subject: s]``;
- several addresses in one ``To:`` (``<a@x>, <b@y>``);
- Kerio MailServer 6.0: ``SMTP: From: ..., To: ..., Size: ...``, ``DSN: From: <>, ...``,
  ``List: From: ...`` (no Queue-ID).

The current layout is matched by one regular expression (the hot path of ``scan``); the
other layouts are split on the known keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from typing import ClassVar

from kerio_watch.events import Event, MessageDelivery, MessageReceived, ServerNotice, Unparsed
from kerio_watch.formats.base import split_addresses, strip_brackets

_RECV_KEYS = frozenset(
    ("Queue-ID", "Service", "From", "To", "Size", "Sender-Host", "User", "SSL", "Report", "Msg-Id")
)
# The current layout, matched in one pass (the fast path). Addresses are matched inside
# their angle brackets, so a quoted local part full of ", User: ..." cannot forge fields;
# the Subject ends where a final ", Msg-Id: <...>" closes the line. Lines in other
# layouts (6.7 order, Msg-Id before Subject, DSN variants) fall back to field splitting.
_RECV_RE = re.compile(
    r"Queue-ID: ([^,]*), Service: ([^,]*), From: <([^>]*)>, "
    r"To: (<[^>]*>(?:, <[^>]*>)*|[^,<]*), Size: (\d*)"
    r"(?:, Sender-Host: ([^,]*))?(?:, User: ([^,]*))?(?:, SSL: (yes|no))?"
    r"(?:, Report: ([^,]*))?"
    r"(?:, Subject: (.*?))?(?:, Msg-Id: <([^<>]*)>)?$"
)
_SENT_RE = re.compile(
    r"Queue-ID: ([^,]*), Recipient: <([^>]*)>, Result: ([^,]*)"
    r"(?:, Status: ([^ ,]*)(?: (.*?))? ?)?"
    r"(?:, Remote-Host: ([^,]*))?(?:, Msg-Id: <([^<>]*)>)?$"
)
_OLD_PREFIXES = (("SMTP: From: ", "SMTP"), ("DSN: From: ", "DSN"), ("List: From: ", "List"))


class MailParser:
    """Parser for ``mail.log``."""

    name: ClassVar[str] = "mail"

    def sniff(self, message: str) -> bool:
        """Recv/Sent lines, or the 6.0-era ``SMTP: From:`` form."""
        return message.startswith(
            (
                "Recv: Queue-ID: ",
                "Sent: Queue-ID: ",
                "SMTP Send: ",
                "SMTP: From: ",
                "DSN: From: ",
                "List: From: ",
            )
        )

    def parse(self, message: str, ts: int, raw: str) -> Event | Unparsed | None:
        """Parse one mail.log message."""
        head = message[:6]
        if head == "Recv: ":
            m = _RECV_RE.match(message, 6)
            if m is not None:
                return _recv_from_match(m.groups(), ts, raw)
            return _parse_recv(message[6:], ts, raw)
        if head == "Sent: ":
            m = _SENT_RE.match(message, 6)
            if m is not None:
                qid, rcpt, result, status, text, remote, msg_id = m.groups()
                return MessageDelivery(
                    ts,
                    "mail",
                    raw,
                    qid,
                    rcpt.strip().lower(),
                    result,
                    status or None,
                    text.strip() or None if text else None,
                    remote,
                    msg_id,
                )
            return _parse_sent(message[6:], ts, raw)
        if message.startswith("SMTP Send: "):
            return ServerNotice(ts, "mail", raw, "queue_run", None, message[11:])
        for prefix, service in _OLD_PREFIXES:
            if message.startswith(prefix):
                return _parse_recv(
                    message[len(prefix) - 6 :], ts, raw, service=service, queue_id=""
                )
        return None


def _recv_from_match(groups: tuple[str | None, ...], ts: int, raw: str) -> MessageReceived:
    qid, service, sender, to, size, host, user, ssl, report, subject, msg_id = groups
    if not to:
        recipients: tuple[str, ...] = ()
    elif "," not in to:
        one = (to[1:-1] if to[0] == "<" else to).strip().lower()
        recipients = (one,) if one else ()
    else:
        recipients = tuple(a.strip().lower() for a in to[1:-1].split(">, <"))
    return MessageReceived(
        ts,
        "mail",
        raw,
        qid or "",
        service or "",
        (sender or "").strip().lower(),
        recipients,
        int(size) if size else None,
        host,
        user.lower() if user else None,
        None if ssl is None else ssl == "yes",
        subject,
        msg_id,
        report,
    )


def _parse_recv(
    body: str, ts: int, raw: str, service: str | None = None, queue_id: str | None = None
) -> MessageReceived | Unparsed:
    body, subject, msg_id = _recv_tail(body)
    fields = _recv_fields(body)
    if fields is None:
        return Unparsed("mail", raw, "recv: unexpected text before Queue-ID")
    qid = fields.get("Queue-ID", queue_id)
    if qid is None or "From" not in fields:
        return Unparsed("mail", raw, "recv: missing Queue-ID or From")
    size_text = fields.get("Size")
    size = int(size_text) if size_text and size_text.isascii() and size_text.isdigit() else None
    ssl_text = fields.get("SSL")
    user = fields.get("User")
    return MessageReceived(
        ts,
        "mail",
        raw,
        qid,
        fields.get("Service", service or ""),
        strip_brackets(fields["From"]).lower(),
        split_addresses(fields.get("To", "")),
        size,
        fields.get("Sender-Host"),
        strip_brackets(user).lower() if user else None,
        None if ssl_text is None else ssl_text == "yes",
        subject,
        strip_brackets(msg_id) if msg_id is not None else None,
        fields.get("Report"),
    )


def _recv_tail(body: str) -> tuple[str, str | None, str | None]:
    """A Recv body without its free-text tail: (the rest, Subject, Msg-Id).

    Subject and Msg-Id are the last fields (in either order) and may contain ", ".
    """
    msg_id: str | None = None
    subject: str | None = None
    # Msg-Id is the last field and enclosed in <>: anchor it at the end of the line.
    if body.endswith(">"):
        i = body.rfind(", Msg-Id: <")
        # Not the trailing field if a Subject follows it (Msg-Id-before-Subject variant
        # with a subject that happens to end in ">").
        if i >= 0 and ", Subject: " not in body[i:]:
            msg_id = body[i + 10 :]
            body = body[:i]
    i = body.find(", Subject: ")
    if i >= 0:
        subject = body[i + 11 :]
        body = body[:i]
        if msg_id is None:
            # Variant with Msg-Id before Subject.
            j = body.rfind(", Msg-Id: ")
            if j >= 0:
                msg_id = body[j + 10 :]
                body = body[:j]
    elif body.endswith(", Subject:"):
        subject = ""
        body = body[:-10]
    return body, subject, msg_id


def _recv_fields(body: str) -> dict[str, str] | None:
    """The ``Key: value`` fields of a Recv body (None: text before the first key)."""
    fields: dict[str, str] = {}
    last = ""
    for token in body.split(", "):
        key, sep, value = token.partition(": ")
        if sep and key in _RECV_KEYS:
            fields[key] = value
            last = key
        elif token.endswith(":") and token[:-1] in _RECV_KEYS:
            fields[token[:-1]] = ""
            last = token[:-1]
        elif last:
            # A continuation: another address of To:, or a comma inside a value.
            fields[last] = fields[last] + ", " + token
        else:
            return None
    return fields


def _parse_sent(body: str, ts: int, raw: str) -> MessageDelivery | Unparsed:
    if not body.startswith("Queue-ID: "):
        return Unparsed("mail", raw, "sent: no Queue-ID")
    i = body.find(", Recipient: ", 10)
    j = body.find(", Result: ", i)
    if i < 0 or j < 0:
        return Unparsed("mail", raw, "sent: missing Recipient or Result")
    qid = body[10:i]
    recipient = strip_brackets(body[i + 13 : j]).lower()
    rest = body[j + 10 :]
    msg_id: str | None = None
    remote: str | None = None
    k = rest.rfind(", Msg-Id: ")
    if k >= 0:
        msg_id = strip_brackets(rest[k + 10 :])
        rest = rest[:k]
    k = rest.rfind(", Remote-Host: ")
    if k < 0:
        k = rest.rfind(" , Remote-Host: ")
    if k >= 0:
        remote = rest[k + 15 :].strip()
        rest = rest[:k]
    status: str | None = None
    text: str | None = None
    k = rest.find(", Status: ")
    if k >= 0:
        status_text = rest[k + 10 :].strip()
        rest = rest[:k]
        status, _, more = status_text.partition(" ")
        text = more.strip() or None
    return MessageDelivery(
        ts, "mail", raw, qid, recipient, rest.strip(), status, text, remote, msg_id
    )


def untracked_deliveries(
    tracked: Container[str], count: Callable[[int], str | None]
) -> Callable[[str, int], str | None]:
    """mail.log's pre-parse filter: ``Sent:`` lines of messages no account sent.

    Inbound mail delivered to local mailboxes (about half of a mail.log) feeds no
    detector. Such a line is recognised on the on-disk line by its fixed layout
    (``[dd/Mon/yyyy hh:mm:ss] Sent: Queue-ID: <17 characters>``) and its Queue-ID not in
    ``tracked``, and handed with its local time to ``count`` (what to count it as, or
    None to parse it after all); every other line is processed (None).
    """

    def skip(raw: str, local_ts: int) -> str | None:
        if raw[23:29] == "Sent: " and raw[29:39] == "Queue-ID: " and raw[39:56] not in tracked:
            return count(local_ts)
        return None

    return skip
