"""security.log: failed logins, AntiHammering blocks, SMTP rejections, virus/spam stops.

Every line kind of ``shared/docs/kerio-log-formats.md`` §4 (#1-#20) is one compiled
regular expression with named groups, paired with a builder that turns the match into
an event. A line is dispatched on its first word (``Attempt``, ``SMTP``, ``Failed``...,
or any ``<PROTO>:`` label) so it is tried against two or three patterns, not twenty.

Robustness rules:

- ``<A>`` (the client) is an IP address or, with reverse lookups on, a host name; it is
  kept as written. ``ip:port`` (#3b) keeps the port in ``detail`` only.
- Where a user-controlled value (a login name, an envelope address) comes *before*
  the client address, the address is anchored at the end of the line and the user part
  is matched greedily, so a login name such as ``x@y. Attempt from IP address 1.2.3.4``
  cannot plant a fake source (the fail2ban injection).
- E-mail addresses are lower-cased; trailing periods are optional where sources vary.
- Once a file is known to be security.log every line is ours: an unknown line is
  ``Unparsed``, never ``None``. :meth:`SecurityParser.sniff` is strict (known kinds only)
  because it drives log auto-detection.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import ClassVar

from kerio_watch.events import (
    ContentRejected,
    Event,
    HostBlocked,
    LoginFailed,
    SmtpRejected,
    Unparsed,
)

LOG = "security"
MAX_LINE = 8192
"""Longer messages are not matched (Kerio cuts lines at 1024 characters); this bounds the
regular expressions' worst case on hostile input."""

Builder = Callable[[re.Match[str], int, str], Event]

_TRAILING = frozenset(" \t\r\n")

# A client address: IP, host name or ip:port; never blank, never a comma.
_A = r"(?P<src>[^\s,]+?)"
_PROTO = r"(?P<proto>[A-Za-z0-9][A-Za-z0-9/_.-]*)"


def _addr(value: str | None) -> str | None:
    return None if value is None else value.strip().lower()


def _split_port(source: str) -> tuple[str, str | None]:
    """``1.2.3.4:25`` -> (``1.2.3.4``, ``25``); ``[::1]:25`` -> (``::1``, ``25``)."""
    if source.startswith("["):
        end = source.find("]:")
        if end > 0 and source[end + 2 :].isdecimal():
            return source[1:end], source[end + 2 :]
        return source, None
    host, sep, port = source.rpartition(":")
    if sep and host and ":" not in host and port.isascii() and port.isdecimal():
        return host, port
    return source, None


# --- builders -----------------------------------------------------------------------


def _unknown_recipient(m: re.Match[str], ts: int, raw: str) -> Event:
    return SmtpRejected(
        ts, LOG, raw, "unknown_recipient", m["src"], _addr(m["sender"]), _addr(m["rcpt"])
    )


def _spam_attack(m: re.Match[str], ts: int, raw: str) -> Event:
    source, port = _split_port(m["src"])
    detail = m["why"]
    if port is not None:
        detail = f"{detail} (port {port})"
    return SmtpRejected(ts, LOG, raw, "spam_attack", source, None, None, detail)


def _dnsbl(m: re.Match[str], ts: int, raw: str) -> Event:
    return SmtpRejected(
        ts, LOG, raw, "dnsbl", m["src"], _addr(m["sender"]), _addr(m["rcpt"]), m["list"]
    )


def _relay(m: re.Match[str], ts: int, raw: str) -> Event:
    return SmtpRejected(
        ts, LOG, raw, "relay_attempt", m["src"], _addr(m["sender"]), _addr(m["rcpt"])
    )


def _no_ptr(m: re.Match[str], ts: int, raw: str) -> Event:
    return SmtpRejected(ts, LOG, raw, "no_reverse_dns", m["src"], None, None, m["why"])


def _admin_denied(m: re.Match[str], ts: int, raw: str) -> Event:
    why = m["why"]
    reason = "admin_not_allowed" if "not allowed" in why else "other"
    return LoginFailed(ts, LOG, raw, "HTTP/WebAdmin", m["src"], reason, None, why)


def _sender_domain(m: re.Match[str], ts: int, raw: str) -> Event:
    return SmtpRejected(ts, LOG, raw, "sender_domain_missing", m["src"], _addr(m["sender"]))


def _sasl(m: re.Match[str], ts: int, raw: str) -> Event:
    return LoginFailed(ts, LOG, raw, m["proto"], m["src"], "sasl", None, m["method"])


def _failed_user(m: re.Match[str], ts: int, raw: str) -> Event:
    reason = "unknown_user" if m["nf"] else "invalid_password"
    return LoginFailed(ts, LOG, raw, m["proto"], m["src"], reason, _addr(m["user"]))


def _failed_other(m: re.Match[str], ts: int, raw: str) -> Event:
    return LoginFailed(ts, LOG, raw, m["proto"], m["src"], "other", None, m["why"])


def _invalid_password(m: re.Match[str], ts: int, raw: str) -> Event:
    return LoginFailed(ts, LOG, raw, m["proto"], m["src"], "invalid_password", _addr(m["user"]))


def _unknown_user(m: re.Match[str], ts: int, raw: str) -> Event:
    return LoginFailed(ts, LOG, raw, m["proto"], m["src"], "unknown_user", _addr(m["user"]))


def _access_policy(m: re.Match[str], ts: int, raw: str) -> Event:
    return LoginFailed(
        ts, LOG, raw, m["proto"], m["src"], "access_policy", _addr(m["user"]), m["rule"]
    )


def _hammer_block(m: re.Match[str], ts: int, raw: str) -> Event:
    return HostBlocked(ts, LOG, raw, m["proto"], m["src"], "block", int(m["minutes"]))


def _hammer_refuse(m: re.Match[str], ts: int, raw: str) -> Event:
    return HostBlocked(ts, LOG, raw, m["proto"], m["src"], "refuse", None)


def _harvest(m: re.Match[str], ts: int, raw: str) -> Event:
    return SmtpRejected(ts, LOG, raw, "directory_harvest", m["src"])


def _virus(m: re.Match[str], ts: int, raw: str) -> Event:
    return ContentRejected(
        ts, LOG, raw, "virus", _addr(m["sender"]), _addr(m["rcpt"]), None, m["virus"]
    )


def _spam_filter(m: re.Match[str], ts: int, raw: str) -> Event:
    try:
        score: float | None = float(m["score"])
    except ValueError:
        score = None
    threshold = m["threshold"]
    detail = f"threshold {threshold}" if threshold else None
    return ContentRejected(
        ts, LOG, raw, "spam_filter", _addr(m["sender"]), _addr(m["rcpt"]), None, detail, score
    )


# --- patterns -----------------------------------------------------------------------

_Rule = tuple[re.Pattern[str], Builder]

# First word of the message -> the rules that can match it (tried in order).
_BY_WORD: dict[str, tuple[_Rule, ...]] = {
    # 1
    "Attempt": (
        (
            re.compile(
                r"Attempt to deliver to unknown recipient <(?P<rcpt>.*?)>, from <(?P<sender>.*)>,"
                r" IP address " + _A + r"\.?\Z"
            ),
            _unknown_recipient,
        ),
    ),
    # 2, 3, 3b (ip:port) and 18
    "SMTP": (
        (
            re.compile(r"SMTP Spam attack detected from (?P<src>[^\s,]+), (?P<why>.*?)\.?\Z"),
            _spam_attack,
        ),
        (
            re.compile(
                r"SMTP connection from " + _A + r",? rejected: directory harvest attack\.?\Z"
            ),
            _harvest,
        ),
    ),
    # 4, 4b
    "IP": (
        (
            re.compile(
                r"IP address (?P<src>\S+) found in DNS blacklist (?P<list>[^,]+),"
                r" mail from <(?P<sender>.*?)> to <(?P<rcpt>.*)>(?: rejected)?\.?\Z"
            ),
            _dnsbl,
        ),
    ),
    # 5
    "Relay": (
        (
            re.compile(
                r"Relay attempt from IP address (?P<src>[^\s,]+),"
                r" mail from <(?P<sender>.*?)> to <(?P<rcpt>.*)> rejected\.?\Z"
            ),
            _relay,
        ),
    ),
    # 7
    "Client": (
        (
            re.compile(
                r"Client with IP address (?P<src>\S+) has no reverse DNS entry"
                r"(?:, (?P<why>.*?))?\.?\Z"
            ),
            _no_ptr,
        ),
    ),
    # 8
    "Administration": (
        (
            re.compile(
                r"Administration login into Web Administration from (?P<src>\S+?)"
                r" failed: (?P<why>.*?)\.?\Z"
            ),
            _admin_denied,
        ),
    ),
    # 9 and 20
    "Message": (
        (
            re.compile(
                r"Message from IP address (?P<src>[^\s,]+), sender <(?P<sender>.*)>"
                r" rejected: sender domain does not exist\.?\Z"
            ),
            _sender_domain,
        ),
        (
            re.compile(
                r"Message from <(?P<sender>.*?)> to <(?P<rcpt>.*)> rejected by spam filter:"
                r" score (?P<score>-?[0-9]+(?:\.[0-9]+)?)"
                r"(?:, threshold (?P<threshold>-?[0-9]+(?:\.[0-9]+)?))?\.?\Z"
            ),
            _spam_filter,
        ),
    ),
    # 10, 11, 12
    "Failed": (
        (
            re.compile(
                r"Failed " + _PROTO + r" login from (?P<src>[^\s,]+)"
                r" with SASL method (?P<method>\S+?)\.?\Z"
            ),
            _sasl,
        ),
        (
            re.compile(
                r"Failed " + _PROTO + r" login from (?P<src>[^\s,]+), user (?P<user>.+?)"
                r"(?P<nf> not found)?\.?\Z"
            ),
            _failed_user,
        ),
        (
            re.compile(r"Failed " + _PROTO + r" login from (?P<src>[^\s,]+), (?P<why>.+?)\.?\Z"),
            _failed_other,
        ),
    ),
    # 19
    "Found": (
        (
            re.compile(
                r"Found virus in mail from <(?P<sender>.*?)> to <(?P<rcpt>.*?)>: (?P<virus>.+)\Z"
            ),
            _virus,
        ),
    ),
}

# "<PROTO>: ..." lines (6, 13, 14, 15, 16, 17), keyed on the text after the label.
_PROTO_RULES: tuple[tuple[str, tuple[_Rule, ...]], ...] = (
    (
        "User ",
        (
            (
                re.compile(
                    _PROTO + r": User (?P<user>.*) - login denied: Access Policy rule"
                    r" '(?P<rule>.*)' used\. Attempt from IP address " + _A + r"\.?\Z"
                ),
                _access_policy,
            ),
            (
                re.compile(
                    _PROTO + r": User (?P<user>.*) doesn't exist\."
                    r" Attempt from IP address " + _A + r"\.?\Z"
                ),
                _unknown_user,
            ),
        ),
    ),
    (
        "Invalid password",
        (
            (
                re.compile(
                    _PROTO + r": Invalid password for user (?P<user>.*)\."
                    r" Attempt from IP address " + _A + r"\.?\Z"
                ),
                _invalid_password,
            ),
        ),
    ),
    (
        "AntiHammering",
        (
            (
                re.compile(
                    _PROTO + r": AntiHammering - IP address (?P<src>\S+) will be blocked for"
                    r" (?P<minutes>[0-9]+) minutes?(?:,.*)?\Z"
                ),
                _hammer_block,
            ),
            (
                re.compile(
                    _PROTO + r": AntiHammering: connection from IP address (?P<src>\S+?)"
                    r" is blocked\.?\Z"
                ),
                _hammer_refuse,
            ),
        ),
    ),
)

RULES: tuple[_Rule, ...] = tuple(rule for rules in _BY_WORD.values() for rule in rules) + tuple(
    rule for _, rules in _PROTO_RULES for rule in rules
)
"""Every (pattern, builder) pair, for documentation and tests."""


def _candidates(message: str) -> tuple[_Rule, ...]:
    space = message.find(" ")
    if space <= 0:
        return ()
    word = message[:space]
    rules = _BY_WORD.get(word)
    if rules is not None:
        return rules
    if word[-1] == ":":
        rest = message[space + 1 : space + 17]
        for key, proto_rules in _PROTO_RULES:
            if rest.startswith(key):
                return proto_rules
    return ()


def _match(message: str, ts: int, raw: str) -> Event | None:
    if len(message) > MAX_LINE:
        return None
    if message[-1:] in _TRAILING:
        message = message.rstrip()
    for pattern, build in _candidates(message):
        m = pattern.match(message)
        if m is not None:
            return build(m, ts, raw)
    return None


class SecurityParser:
    """Parser for ``security.log``."""

    name: ClassVar[str] = "security"

    def sniff(self, message: str) -> bool:
        """True only for a known security-log line kind."""
        return _match(message, 0, "") is not None

    def parse(self, message: str, ts: int, raw: str) -> Event | Unparsed | None:
        """Parse one security.log message; unknown lines are ``Unparsed``."""
        if not message or message.isspace():
            return None
        if len(message) > MAX_LINE:
            return Unparsed(LOG, raw, "line too long")
        event = _match(message, ts, raw)
        if event is None:
            return Unparsed(LOG, raw, "unknown security line")
        return event
