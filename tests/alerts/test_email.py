"""The e-mail sink against a real local SMTP server (aiosmtpd): STARTTLS, TLS, AUTH."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from kerio_watch.alerts.base import Digest
from kerio_watch.alerts.email import EmailSink
from kerio_watch.errors import SinkError
from kerio_watch.severity import Severity
from kerio_watch.values.alert import Alert

from .conftest import SMTP_PASSWORD, SMTP_USER, SMTPServer, free_port

RECIPIENTS = ["admin@example.com", "soc@msp.example", "oncall@example.org"]


def email_sink(port: int, cert: Path | None = None, **extra: Any) -> EmailSink:
    """An e-mail sink for the local server, logging in with the password from the env."""
    table: dict[str, Any] = {
        "type": "email",
        "name": "ops-mail",
        "host": "127.0.0.1",
        "port": port,
        "security": "starttls",
        "username": SMTP_USER,
        "password_env": "KW_TEST_SMTP_PASSWORD",
        "from": "kerio-watch <alerts@example.com>",
        "to": RECIPIENTS,
        "timeout": 5,
    }
    if cert is not None:
        table["ca_file"] = str(cert)
    table.update(extra)
    table = {k: v for k, v in table.items() if v is not None}
    sink = EmailSink.from_table(table)
    assert isinstance(sink, EmailSink)
    return sink


def parsed(data: bytes) -> EmailMessage:
    """The message as a mail client would read it."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


@pytest.fixture(autouse=True)
def smtp_password(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SMTP password comes from the environment, as in production."""
    monkeypatch.setenv("KW_TEST_SMTP_PASSWORD", SMTP_PASSWORD)


class TestDelivery:
    """Alerts reach every recipient over an encrypted, authenticated session."""

    def test_starttls_auth_several_recipients(
        self,
        smtp_server: Callable[[str], SMTPServer],
        tls_files: tuple[Path, Path],
        alert: Callable[..., Alert],
    ) -> None:
        """STARTTLS, then AUTH, then one message to all three recipients."""
        server = smtp_server("starttls")
        email_sink(server.port, tls_files[0]).send(alert())
        assert len(server.messages) == 1
        got = server.messages[0]
        assert got.tls and got.authenticated
        assert sorted(got.rcpt_tos) == sorted(RECIPIENTS)
        assert got.mail_from == "alerts@example.com"
        msg = parsed(got.data)
        assert msg["Subject"] == (
            "[kerio-watch] HIGH: alice@example.com - 412 messages in 60 minutes from "
            "185.220.101.7 (usually 3 an hour)"
        )
        assert [a.addr_spec for a in msg["To"].addresses] == RECIPIENTS
        assert msg["Auto-Submitted"] == "auto-generated"
        assert msg["X-Kerio-Watch-Severity"] == "high"
        assert msg["X-Kerio-Watch-Incident"] == "12"
        body = msg.get_content()
        assert "What happened:" in body and "ceo@evil.test" in body
        assert "> [23/Mar/2026 10:14:59] Recv:" in body
        assert "kerio-watch ack 12 --resolve" in body

    def test_implicit_tls_on_its_own_port(
        self,
        smtp_server: Callable[[str], SMTPServer],
        tls_files: tuple[Path, Path],
        alert: Callable[..., Alert],
    ) -> None:
        """security = "tls" speaks TLS from the first byte (port 465 style)."""
        server = smtp_server("tls")
        email_sink(server.port, tls_files[0], security="tls").send(alert())
        assert len(server.messages) == 1
        assert server.messages[0].tls and server.messages[0].authenticated

    def test_plain_relay_without_login(
        self, smtp_server: Callable[[str], SMTPServer], alert: Callable[..., Alert]
    ) -> None:
        """security = "none" without a username relays in plain text (a local MTA)."""
        server = smtp_server("none")
        sink = email_sink(
            server.port, security="none", username=None, password_env=None, to=["a@example.com"]
        )
        sink.send(alert())
        assert server.messages[0].rcpt_tos == ["a@example.com"]
        assert not server.messages[0].tls

    def test_password_from_a_file(
        self,
        smtp_server: Callable[[str], SMTPServer],
        tls_files: tuple[Path, Path],
        alert: Callable[..., Alert],
        tmp_path: Path,
    ) -> None:
        """password_file is read at each send (first line, trailing newline ignored)."""
        secret = tmp_path / "smtp-password"
        secret.write_text(SMTP_PASSWORD + "\n")
        server = smtp_server("starttls")
        sink = email_sink(server.port, tls_files[0], password_env=None, password_file=str(secret))
        sink.send(alert())
        assert server.messages[0].authenticated

    def test_digest_mail(
        self,
        smtp_server: Callable[[str], SMTPServer],
        tls_files: tuple[Path, Path],
    ) -> None:
        """A digest goes out with the prefix and its own subject and text."""
        server = smtp_server("starttls")
        sink = email_sink(server.port, tls_files[0], digest="daily")
        assert sink.digest_time() == "08:00"
        sink.send_digest(Digest("daily digest 2026-03-24: no new incidents", "All quiet.\n"))
        msg = parsed(server.messages[0].data)
        assert msg["Subject"] == "[kerio-watch] daily digest 2026-03-24: no new incidents"
        assert msg.get_content().splitlines() == ["All quiet."]


class TestInjection:
    """Log text in an alert can never add a header or a recipient."""

    def test_crlf_and_bcc_in_subject_and_body(
        self,
        smtp_server: Callable[[str], SMTPServer],
        tls_files: tuple[Path, Path],
        hostile: Callable[..., Alert],
    ) -> None:
        """CR/LF + "Bcc:" in the account and summary stay inside one Subject line."""
        server = smtp_server("starttls")
        email_sink(server.port, tls_files[0]).send(hostile())
        got = server.messages[0]
        assert sorted(got.rcpt_tos) == sorted(RECIPIENTS)
        assert b"victim@evil.test" not in b"".join(
            line
            for line in got.data.split(b"\n\n", 1)[0].splitlines()
            if line.lower().startswith(b"bcc")
        )
        msg = parsed(got.data)
        assert msg["Bcc"] is None and msg["X-Injected"] is None
        names = [k.lower() for k in msg]
        assert names.count("subject") == 1 and "bcc" not in names
        subject = str(msg["Subject"])
        assert "\r" not in subject and "\n" not in subject
        assert "\\x0d\\x0aBcc: victim@evil.test" in subject
        body = msg.get_content()
        assert "\x1b" not in body and "\u202e" not in body and "\x00" not in body

    def test_non_ascii_subject_is_encoded(
        self,
        smtp_server: Callable[[str], SMTPServer],
        tls_files: tuple[Path, Path],
        alert: Callable[..., Alert],
    ) -> None:
        """Non-ASCII goes out as RFC 2047 words and reads back unchanged."""
        server = smtp_server("starttls")
        reason = "Jürgen sent as «chef» from Zürich — 40 mails"
        email_sink(server.port, tls_files[0]).send(
            alert(user="jürgen@example.com", reasons=(reason,))
        )
        raw_headers = server.messages[0].data.split(b"\r\n\r\n", 1)[0]
        assert raw_headers.isascii()
        assert b"=?utf-8?" in raw_headers
        assert str(parsed(server.messages[0].data)["Subject"]).endswith(reason)

    def test_a_long_subject_folds_without_empty_encoded_words(
        self,
        smtp_server: Callable[[str], SMTPServer],
        tls_files: tuple[Path, Path],
        alert: Callable[..., Alert],
    ) -> None:
        """A long ASCII address and reason fold cleanly (a dash between them was
        folded into ``=?utf-8?q??=`` beside the dash's own encoded word)."""
        server = smtp_server("starttls")
        reason = "sent 147 messages to 800 recipients in 53 minutes, usually 1 on Thursdays"
        email_sink(server.port, tls_files[0]).send(
            alert(user="dominik.schroeder@example.com", reasons=(reason,))
        )
        raw_headers = server.messages[0].data.split(b"\r\n\r\n", 1)[0]
        assert b"?q??=" not in raw_headers and b"=?utf-8?" not in raw_headers
        assert str(parsed(server.messages[0].data)["Subject"]).endswith(reason)


class TestFailures:
    """Each failure says what went wrong and what to check; secrets never appear."""

    def test_wrong_password(
        self,
        smtp_server: Callable[[str], SMTPServer],
        tls_files: tuple[Path, Path],
        alert: Callable[..., Alert],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """A refused login names the user and where the password came from."""
        monkeypatch.setenv("KW_TEST_SMTP_PASSWORD", "wrong-password-xyz")
        server = smtp_server("starttls")
        with pytest.raises(SinkError) as info:
            email_sink(server.port, tls_files[0]).send(alert())
        message = str(info.value)
        assert "refused the login of alerts@example.com" in message
        assert "$KW_TEST_SMTP_PASSWORD" in message
        assert "wrong-password-xyz" not in message
        assert server.messages == []

    def test_missing_password_variable(
        self, alert: Callable[..., Alert], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An unset variable is reported before connecting."""
        monkeypatch.delenv("KW_TEST_SMTP_PASSWORD")
        with pytest.raises(SinkError, match="KW_TEST_SMTP_PASSWORD is not set"):
            email_sink(free_port()).send(alert())

    def test_untrusted_certificate(
        self, smtp_server: Callable[[str], SMTPServer], alert: Callable[..., Alert]
    ) -> None:
        """Without ca_file the self-signed certificate is refused, with the fix named."""
        server = smtp_server("starttls")
        with pytest.raises(SinkError, match=r"not trusted.*ca_file"):
            email_sink(server.port).send(alert())
        assert server.messages == []

    def test_missing_ca_file_is_named(
        self,
        smtp_server: Callable[[str], SMTPServer],
        alert: Callable[..., Alert],
        tmp_path: Path,
    ) -> None:
        """A ca_file that is not there fails the delivery naming the key and the path."""
        server = smtp_server("starttls")
        missing = tmp_path / "ca.pem"
        with pytest.raises(SinkError, match=f"email sink: ca_file {missing}: no such file"):
            email_sink(server.port, missing).send(alert())
        assert server.messages == []

    def test_no_starttls_offered_is_not_downgraded(
        self, smtp_server: Callable[[str], SMTPServer], alert: Callable[..., Alert]
    ) -> None:
        """A server without STARTTLS gets nothing (no silent plain-text fallback)."""
        server = smtp_server("none")
        with pytest.raises(SinkError, match="does not offer STARTTLS"):
            email_sink(server.port).send(alert())
        assert server.messages == []

    def test_connection_refused(self, alert: Callable[..., Alert]) -> None:
        """Nothing listening: a clear message with host and port."""
        port = free_port()
        with pytest.raises(SinkError, match=f"127.0.0.1:{port}: connection refused"):
            email_sink(port).send(alert())


class TestValidation:
    """Configuration mistakes are caught at load time with the key named."""

    def test_login_without_tls_is_refused(self) -> None:
        """security = "none" with a username would leak the password."""
        problems = EmailSink.validate(
            {"type": "email", "host": "h", "from": "a@b.c", "to": ["d@e.f"], "security": "none",
             "username": "u", "password_env": "P"}
        )  # fmt: skip
        assert any(p.startswith("security:") and "unencrypted" in p for p in problems)

    def test_inline_password_points_to_env_or_file(self) -> None:
        """``password = ...`` is not accepted; the message says what to use."""
        problems = EmailSink.validate(
            {"type": "email", "host": "h", "from": "a@b.c", "to": ["d@e.f"], "username": "u",
             "password": "hunter2"}
        )  # fmt: skip
        assert any(
            "password: unknown key (put the password in an environment" in p for p in problems
        )
        assert not any("hunter2" in p for p in problems)

    def test_addresses_are_checked(self) -> None:
        """Bad sender, bad recipient, a comma-joined recipient list, no recipients."""
        problems = EmailSink.validate(
            {"type": "email", "host": "h", "from": "not an address", "to": ["ok@example.com",
             "a@example.com, b@example.com"]}
        )  # fmt: skip
        assert any(p.startswith("from:") for p in problems)
        assert any(p.startswith("to[1]:") and "one e-mail address" in p for p in problems)
        assert any(p.startswith("to:") for p in EmailSink.validate(
            {"type": "email", "host": "h", "from": "a@b.c", "to": []}
        ))  # fmt: skip


class TestWhatToDoNow:
    """A high or critical alert says what to do in Kerio Connect, for this account."""

    def test_the_mail_names_the_account_and_the_address(
        self,
        smtp_server: Callable[[str], SMTPServer],
        tls_files: tuple[Path, Path],
        alert: Callable[..., Alert],
    ) -> None:
        """Password and sessions, forwarding and filters, the queue, the address, the
        machine: each with alice and 185.220.101.7 filled in."""
        server = smtp_server("starttls")
        email_sink(server.port, tls_files[0]).send(alert())
        body = parsed(server.messages[0].data).get_content()
        todo = body[body.index("What to do:") :]
        assert "Accounts > Users, edit alice@example.com and set a new password" in todo
        assert "Status > Active Connections" in todo
        assert "forwarding" in todo and "filter rules" in todo
        assert "Status > Message Queue" in todo and "Remove messages" in todo
        assert "block 185.220.101.7" in todo
        assert "outside your network (185.220.101.7)" in todo
        assert "kerio-watch incidents show 12" in todo

    def test_a_medium_alert_keeps_the_short_advice(
        self,
        smtp_server: Callable[[str], SMTPServer],
        tls_files: tuple[Path, Path],
        alert: Callable[..., Alert],
    ) -> None:
        """Below high there is no playbook, only what to check."""
        server = smtp_server("starttls")
        email_sink(server.port, tls_files[0]).send(alert(severity=Severity.MEDIUM))
        body = parsed(server.messages[0].data).get_content()
        assert "Status > Message Queue" not in body
        assert "treat the account as hijacked" in body

    def test_a_hostile_address_stays_on_its_line(
        self,
        smtp_server: Callable[[str], SMTPServer],
        tls_files: tuple[Path, Path],
        hostile: Callable[..., Alert],
    ) -> None:
        """An address with a line break cannot add a header or a line to the steps."""
        server = smtp_server("starttls")
        email_sink(server.port, tls_files[0]).send(hostile())
        msg = parsed(server.messages[0].data)
        assert msg["X-Injected"] is None
        body = msg.get_content()
        assert "\nX-Injected" not in body
