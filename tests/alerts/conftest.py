"""Real local servers for the sink tests: SMTP (aiosmtpd), HTTP, syslog; alert builders."""

from __future__ import annotations

import dataclasses
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from kerio_watch.severity import Severity
from kerio_watch.values.alert import Alert

SMTP_USER = "alerts@example.com"
SMTP_PASSWORD = "s3cret-pw"

HOSTILE_USER = "eve@example.com\r\nBcc: victim@evil.test"
HOSTILE_SUMMARY = (
    "Subject: x\r\nBcc: victim@evil.test\r\n\r\n<!channel> <@U024BE7LH> <http://evil.test|click> "
    "<script>alert(1)</script> **bold** [link](http://evil.test) {{DATE(2017-02-14T06:08:00Z)}} "
    "\x1b[31mred\u202e & done"
)


def make_alert(**overrides: Any) -> Alert:
    """A realistic alert; keyword arguments replace fields."""
    base = Alert(
        id="12-3",
        incident_id=12,
        ts=1774257300,
        time="2026-03-23T10:15:00+01:00",
        user="alice@example.com",
        rule="kerio.mail.volume",
        severity=Severity.HIGH,
        score=85,
        summary="412 messages in 60 minutes from 185.220.101.7 (usually 3 an hour)",
        source_ip="185.220.101.7",
        evidence=(
            "[23/Mar/2026 10:14:59] Recv: Queue-ID: 65ffa2b3-00000001, Service: SMTP, "
            "From: <alice@example.com>, To: <x@victim.test>, User: alice@example.com",
        ),
        reasons=(
            "412 messages in 60 minutes from 185.220.101.7 (usually 3 an hour)",
            "alice@example.com sent as ceo@evil.test from 185.220.101.7 via SMTP",
        ),
        rules=("kerio.mail.volume", "kerio.mail.from_external"),
        status="escalated",
    )
    return dataclasses.replace(base, **overrides)


def hostile_alert(**overrides: Any) -> Alert:
    """An alert whose log-derived fields try header, markup and control-char injection."""
    fields: dict[str, Any] = {
        "user": HOSTILE_USER,
        "summary": HOSTILE_SUMMARY,
        "reasons": (HOSTILE_SUMMARY, "second ``` reason ``` with fences"),
        "evidence": ("line\r\nBcc: victim@evil.test", "<!everyone> \x00\x07 ``` end"),
        "source_ip": "203.0.113.9\r\nX-Injected: 1",
    }
    return make_alert(**(fields | overrides))


@pytest.fixture
def alert() -> Callable[..., Alert]:
    """Build an alert (see :func:`make_alert`)."""
    return make_alert


@pytest.fixture
def hostile() -> Callable[..., Alert]:
    """Build a hostile alert (see :func:`hostile_alert`)."""
    return hostile_alert


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- TLS ----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost made with openssl: (cert, key)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out", str(cert),
            "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def server_context(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    """The server side of the test certificate."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(tls_files[0]), str(tls_files[1]))
    return ctx


# -- SMTP ---------------------------------------------------------------------------------
@dataclass
class Received:
    """One message the SMTP server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    authenticated: bool
    tls: bool


@dataclass
class SMTPRecorder:
    """aiosmtpd handler keeping every message."""

    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        """Keep the message."""
        self.messages.append(
            Received(
                str(envelope.mail_from),
                [str(r) for r in envelope.rcpt_tos],
                bytes(envelope.original_content or b""),
                bool(session.authenticated),
                session.ssl is not None
                or server.transport.get_extra_info("ssl_object") is not None,
            )
        )
        return "250 OK"


def _authenticate(
    server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@dataclass
class SMTPServer:
    """A running SMTP server."""

    port: int
    recorder: SMTPRecorder

    @property
    def messages(self) -> list[Received]:
        """Messages accepted so far."""
        return self.recorder.messages


@pytest.fixture
def smtp_server(tls_files: tuple[Path, Path]) -> Iterator[Callable[[str], SMTPServer]]:
    """Start an SMTP server: ``starttls`` (AUTH after STARTTLS), ``tls`` (implicit TLS,
    AUTH) or ``none`` (plain, no AUTH)."""
    controllers: list[Controller] = []

    def start(mode: str) -> SMTPServer:
        recorder = SMTPRecorder()
        port = free_port()
        kwargs: dict[str, Any] = {"hostname": "127.0.0.1", "port": port}
        if mode == "starttls":
            kwargs |= {
                "tls_context": server_context(tls_files),
                "require_starttls": True,
                "authenticator": _authenticate,
                "auth_require_tls": True,
            }
        elif mode == "tls":
            kwargs |= {
                "ssl_context": server_context(tls_files),
                "authenticator": _authenticate,
                "auth_require_tls": False,
            }
        controller = Controller(recorder, **kwargs)
        controller.start()
        controllers.append(controller)
        return SMTPServer(port, recorder)

    yield start
    for c in controllers:
        c.stop()


# -- HTTP ---------------------------------------------------------------------------------
@dataclass
class HTTPRequest:
    """One request the HTTP server received."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HTTPServer:
    """A running webhook receiver."""

    url: str
    requests: list[HTTPRequest]
    statuses: list[int]
    delay: float = 0.0
    """Seconds before answering (may be changed while it runs)."""


@pytest.fixture
def http_server() -> Iterator[Callable[..., HTTPServer]]:
    """Start an HTTP server answering each POST with the next status of ``statuses``
    (the last one repeats); ``delay`` seconds before answering; 3xx redirects."""
    servers: list[ThreadingHTTPServer] = []

    def start(statuses: tuple[int, ...] = (200,), delay: float = 0.0) -> HTTPServer:
        state = HTTPServer("", [], list(statuses), delay)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                state.requests.append(HTTPRequest(self.path, dict(self.headers), body))
                status = state.statuses.pop(0) if len(state.statuses) > 1 else state.statuses[0]
                if state.delay:
                    time.sleep(state.delay)
                try:
                    self.send_response(status)
                    if 300 <= status < 400:
                        self.send_header("Location", "https://elsewhere.example/new")
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(b"ok" if status < 300 else b"invalid_payload")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        state.url = f"http://127.0.0.1:{server.server_port}/hooks/T000/secret-token-123"
        return state

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


# -- syslog -------------------------------------------------------------------------------
@pytest.fixture
def udp_receiver() -> Iterator[socket.socket]:
    """A UDP socket on 127.0.0.1 (read with ``recv``; 2 s timeout)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(2)
        yield sock


@pytest.fixture
def tcp_receiver() -> Iterator[socket.socket]:
    """A listening TCP socket on 127.0.0.1 (``accept`` after sending; 2 s timeout)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(5)
        sock.settimeout(2)
        yield sock


@pytest.fixture
def unix_receiver() -> Iterator[tuple[socket.socket, str]]:
    """A Unix datagram socket like /dev/log, in a short temporary path."""
    folder = tempfile.mkdtemp(prefix="kw-")
    path = str(Path(folder) / "log")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.settimeout(2)
        yield sock, path
    shutil.rmtree(folder, ignore_errors=True)
