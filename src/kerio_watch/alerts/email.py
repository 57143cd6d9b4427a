"""``type = "email"``: one plain-text mail per alert, or a daily digest, over SMTP.

Headers are built with :mod:`email.headerregistry` (``policy.default``): the subject is
one printable line (:func:`~kerio_watch.alerts.render.subject`), non-ASCII is encoded as
RFC 2047 words, and the policy itself refuses CR/LF in any header. Recipients come
from the configuration only, never from an alert. The password is read from the
environment or a file at each delivery, so rotating it needs no restart.
"""

from __future__ import annotations

import email.errors
import email.utils
import logging
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as default_policy

from kerio_watch.alerts.base import (
    PORT,
    Digest,
    Sink,
    SinkOptions,
    exactly_one,
    option,
    read_secret,
)
from kerio_watch.alerts.render import subject, text_body
from kerio_watch.alerts.tls import tls_context
from kerio_watch.errors import SinkError
from kerio_watch.textsafe import header_safe, printable
from kerio_watch.values.alert import Alert

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


def parse_address(text: str) -> Address:
    """``"alerts@example.com"`` or ``"kerio-watch <alerts@example.com>"`` -> Address.

    Raises:
        ValueError: not one e-mail address.
    """
    if any(c in text for c in "\r\n\0"):
        raise ValueError(f"expected an e-mail address, got {text!r}")
    pairs = email.utils.getaddresses([text])
    if len(pairs) != 1:
        raise ValueError(f"expected one e-mail address, got {text!r} (use a list for several)")
    name, addr = pairs[0]
    if not addr or "@" not in addr:
        raise ValueError(f"expected an e-mail address like alerts@example.com, got {text!r}")
    try:
        return Address(display_name=name, addr_spec=addr)
    except (ValueError, IndexError, email.errors.HeaderParseError) as exc:
        raise ValueError(f"expected an e-mail address, got {text!r} ({exc})") from None


@dataclass(frozen=True, kw_only=True)
class EmailOptions(SinkOptions):
    """Options of the e-mail sink."""

    host: str = option(help="SMTP server.", example='"mail.example.com"')
    port: int = option(
        0,
        "SMTP port. Default: 587 for starttls, 465 for tls, 25 for none.",
        example="587",
        bounds=PORT,
    )
    security: str = option(
        "starttls",
        "starttls (upgrade a plain connection, port 587), tls (TLS from the start, port "
        "465) or none (no encryption; only without a login, e.g. a local relay).",
        choices=("starttls", "tls", "none"),
    )
    username: str = option("", "SMTP login. Default: no login.", example='"alerts@example.com"')
    password_env: str = option(
        "", "Environment variable holding the SMTP password.", example='"KERIO_WATCH_SMTP_PASSWORD"'
    )
    password_file: str = option(
        "",
        "File holding the SMTP password (first line; keep it mode 0600).",
        example='"/etc/kerio-watch/smtp-password"',
    )
    from_addr: str = option(
        help="Sender address.", key="from", example='"kerio-watch <alerts@example.com>"'
    )
    to: tuple[str, ...] = option(
        help="Recipients.", example='["admin@example.com", "soc@msp.example"]'
    )
    subject_prefix: str = option(
        "[kerio-watch]", "Start of every subject (handy for mail rules).", example='"[acme]"'
    )
    ca_file: str = option(
        "", "CA certificate(s) to trust for the server (PEM), e.g. an internal CA."
    )
    verify: bool = option(
        True,
        "Check the server's certificate and name. Prefer ca_file to turning this off.",
    )
    digest: str = option(
        "off",
        "off, or daily: send one summary a day at digest_time instead of each alert.",
        choices=("off", "daily"),
    )
    digest_time: str = option(
        "08:00",
        "Local time of the daily digest (site.timezone, else this machine's).",
        kind="clock",
    )
    digest_empty: bool = option(
        True, "Send the digest on quiet days too (it shows kerio-watch is running)."
    )

    def check(self) -> list[str]:
        """Addresses, login and TLS consistency."""
        problems = super().check()
        for key, value in (("from", self.from_addr),):
            try:
                parse_address(value)
            except ValueError as exc:
                problems.append(f"{key}: {exc}")
        if not self.to:
            problems.append('to: expected at least one recipient, e.g. to = ["admin@example.com"]')
        for i, value in enumerate(self.to):
            try:
                parse_address(value)
            except ValueError as exc:
                problems.append(f"to[{i}]: {exc}")
        if self.username:
            problems += exactly_one(
                "password", password_env=self.password_env, password_file=self.password_file
            )
            if self.security == "none":
                problems.append(
                    'security: "none" would send the password unencrypted; use "starttls" '
                    '(port 587) or "tls" (port 465), or remove username for a relay '
                    "that needs no login"
                )
        elif self.password_env or self.password_file:
            problems.append("username: a password is set but no username to log in with")
        if "\n" in self.subject_prefix or "\r" in self.subject_prefix:
            problems.append("subject_prefix: expected one line")
        return problems


class EmailSink(Sink[EmailOptions]):
    """Sends alerts (or a daily digest) by SMTP."""

    type = "email"
    options_class = EmailOptions

    @property
    def port(self) -> int:
        """The configured port or the default for the security mode."""
        return self.options.port or DEFAULT_PORTS[self.options.security]

    def digest_time(self) -> str | None:
        """``"08:00"`` when this sink sends daily digests instead of single alerts."""
        return self.options.digest_time if self.options.digest == "daily" else None

    def send(self, alert: Alert) -> None:
        """Send one alert mail."""
        msg = self.message(subject(alert, self.options.subject_prefix), text_body(alert))
        msg["X-Kerio-Watch-Severity"] = alert.severity.label
        if alert.incident_id:
            msg["X-Kerio-Watch-Incident"] = str(alert.incident_id)
        self.deliver(msg)

    def send_digest(self, digest: Digest) -> None:
        """Send one digest mail."""
        prefix = self.options.subject_prefix
        self.deliver(self.message(f"{prefix} {digest.subject}", digest.text))

    def message(self, subject_text: str, body: str) -> EmailMessage:
        """A plain-text message to the configured recipients."""
        o = self.options
        sender = parse_address(o.from_addr)
        msg = EmailMessage(policy=default_policy)
        msg["From"] = sender
        msg["To"] = [parse_address(a) for a in o.to]
        msg["Subject"] = header_safe(subject_text, 250)
        msg["Date"] = email.utils.formatdate(localtime=True)
        msg["Message-ID"] = email.utils.make_msgid("kerio-watch", domain=sender.domain or None)
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(body)
        return msg

    def deliver(self, msg: EmailMessage) -> None:
        """Connect, secure, log in and send.

        Raises:
            SinkError: with what failed and what to check.
        """
        o = self.options
        where = f"{o.host}:{self.port}"
        password = (
            read_secret("password", env=o.password_env or None, file=o.password_file or None)
            if o.username
            else ""
        )
        try:
            refused = self._transmit(msg, where, password)
        except SinkError:
            raise
        except OSError as exc:  # smtplib's and ssl's errors are OSErrors too
            raise _failure(exc, o, where) from None
        if refused:
            log.warning(
                "%s: %s accepted the mail but refused %s",
                self.name,
                where,
                printable(", ".join(refused)),
            )

    def _transmit(
        self, msg: EmailMessage, where: str, password: str
    ) -> dict[str, tuple[int, bytes]]:
        """Connect, secure, log in and send; the recipients refused (the others got it)."""
        o = self.options
        ctx = (
            tls_context("email", {"ca_file": o.ca_file}, o.verify) if o.security != "none" else None
        )
        if o.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(o.host, self.port, timeout=o.timeout, context=ctx)
        else:
            smtp = smtplib.SMTP(o.host, self.port, timeout=o.timeout)
        with smtp:
            smtp.ehlo()
            if o.security == "starttls":
                _starttls(smtp, ctx, where)
            if o.username:
                smtp.login(o.username, password)
            return smtp.send_message(msg)


def _failure(exc: OSError, o: EmailOptions, where: str) -> SinkError:
    """What failed in a delivery, and what to check."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        source = f"${o.password_env}" if o.password_env else (o.password_file or "?")
        return SinkError(
            f"{where} refused the login of {o.username}: {_reply(exc)} "
            f"(check username and the password in {source})"
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        detail = "; ".join(f"{r}: {_reply_of(c, m)}" for r, (c, m) in exc.recipients.items())
        return SinkError(f"{where} refused every recipient: {printable(detail)}")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return SinkError(f"{where} refused the sender {o.from_addr}: {_reply(exc)}")
    if isinstance(exc, smtplib.SMTPResponseException):
        return SinkError(f"{where} answered {_reply(exc)}")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return SinkError(
            f"{where}: the server's TLS certificate is not trusted ({exc.verify_message}); "
            "set ca_file to the CA that signed it"
        )
    if isinstance(exc, ssl.SSLError):
        return SinkError(
            f'{where}: TLS failed ({exc.reason or exc}); port 465 needs security = "tls", '
            'port 587 needs security = "starttls"'
        )
    if isinstance(exc, smtplib.SMTPException):
        return SinkError(f"{where}: {printable(str(exc))}")
    if isinstance(exc, TimeoutError):
        return SinkError(f"{where}: no answer within {o.timeout:g} s")
    if isinstance(exc, socket.gaierror):
        return SinkError(f"cannot resolve {o.host}: {exc.strerror or exc}")
    if isinstance(exc, ConnectionRefusedError):
        return SinkError(f"{where}: connection refused (is an SMTP server listening?)")
    return SinkError(f"{where}: {exc.strerror or exc}")


def _starttls(smtp: smtplib.SMTP, ctx: ssl.SSLContext | None, where: str) -> None:
    """Upgrade to TLS; never fall back to plain text."""
    if not smtp.has_extn("starttls"):
        raise SinkError(
            f'{where} does not offer STARTTLS (use security = "tls" for port 465, or '
            'security = "none" for a relay without login)'
        )
    smtp.starttls(context=ctx)
    smtp.ehlo()


def _reply_of(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return printable(f"{code} {text}")[:300]


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return _reply_of(exc.smtp_code, exc.smtp_error)
