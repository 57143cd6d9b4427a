"""An emulator of the subset of Kerio Connect's Administration API that kerio-watch uses.

A real HTTPS server on loopback (JSON-RPC 2.0 at ``/admin/api/jsonrpc/``) for tests and
benchmarks; no Kerio server can run here. It follows what the public clients show (see
docs/kerio-api.md): ``Session.login`` returns a token and sets a session cookie, later
calls must carry both (``X-Token`` header, ``Cookie``), an expired session answers error
-32001, errors are JSON-RPC error objects with Kerio's ``data.messageParameters``.

Faults can be injected per method: a slow answer (the call is carried out, the answer
waits), JSON-RPC errors, HTTP errors, dropped connections, or the whole server down.
Usage::

    cert, key = make_self_signed(folder)
    emulator = KerioEmulator(KerioState(), cert, key, {"admin": "secret"})
    emulator.start()   # emulator.url, emulator.fingerprint
    ...
    emulator.stop()
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import shutil
import ssl
import subprocess
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kerio_watch.simulate.kerio_methods import METHODS, Fail
from kerio_watch.simulate.kerio_state import KerioState

PATH = "/admin/api/jsonrpc/"
COOKIE = "SESSION_CONNECT_WEBADMIN"


def make_self_signed(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, made with ``openssl``.

    Raises:
        RuntimeError: the openssl command is not installed.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("the openssl command is needed to make a test certificate")
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "kerio-cert.pem", folder / "kerio-key.pem"
    subprocess.run(  # noqa: S603 (fixed arguments)
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out", str(cert),
            "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def fingerprint_of(cert: Path) -> str:
    """SHA-256 of a PEM certificate's DER form (lower-case hex)."""
    der = ssl.PEM_cert_to_DER_cert(cert.read_text(encoding="ascii"))
    return hashlib.sha256(der).hexdigest()


@dataclass
class Session:
    """One logged-in session."""

    token: str
    user: str
    expires: float


@dataclass
class Faults:
    """What goes wrong, per method name (``"*"``: every method)."""

    delay: dict[str, float] = field(default_factory=dict)
    """Seconds to hold the answer after carrying the call out."""
    fail: dict[str, deque[tuple[str, int, str]]] = field(default_factory=dict)
    """Queued failures: ("rpc", code, message), ("http", status, ""), ("drop", 0, "")."""
    down: bool = False
    """Close every connection without answering."""

    def next_failure(self, method: str) -> tuple[str, int, str] | None:
        """The next failure queued for ``method`` (or for every method)."""
        for key in (method, "*"):
            queue = self.fail.get(key)
            if queue:
                return queue.popleft()
        return None

    def add(self, method: str, kind: str, code: int = 0, message: str = "", times: int = 1) -> None:
        """Queue ``times`` failures for ``method``."""
        self.fail.setdefault(method, deque()).extend([(kind, code, message)] * times)


class KerioEmulator:
    """The HTTPS server. ``accounts``: user name -> password of API users."""

    def __init__(
        self,
        state: KerioState,
        cert: Path,
        key: Path,
        accounts: dict[str, str],
        session_ttl: float = 600.0,
        login_field: str = "userName",
    ) -> None:
        self.state = state
        self.accounts = accounts
        self.session_ttl = session_ttl
        self.login_fields = (login_field,)
        self.faults = Faults()
        self.sessions: dict[str, Session] = {}
        self.calls: Counter[str] = Counter()
        """Requests received per method (including those a fault refused)."""
        self.log: list[tuple[float, str]] = []
        """(wall time, method) of every request received."""
        self.fingerprint = fingerprint_of(cert)
        self._ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ctx.load_cert_chain(str(cert), str(key))
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The API's URL."""
        return f"https://127.0.0.1:{self.port}{PATH}"

    @property
    def server(self) -> str:
        """``host:port`` for ``[kerio_api] server``."""
        return f"127.0.0.1:{self.port}"

    def start(self, port: int = 0) -> None:
        """Listen on loopback (an ephemeral port unless given)."""
        emulator = self
        self.faults.down = False

        class Handler(_Handler):
            owner = emulator

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        server.daemon_threads = True
        server.socket = self._ctx.wrap_socket(server.socket, server_side=True)
        self._server = server
        self.port = server.server_address[1]
        # looks for a stop request every 0.05 s: stop() returns that soon, not after
        # serve_forever's default 0.5 s (each test with an emulator waited for it)
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening (the port is refused afterwards, open connections are dropped)."""
        self.faults.down = True
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def expire_sessions(self) -> None:
        """Make every session expire now (the next call answers -32001)."""
        for session in self.sessions.values():
            session.expires = 0.0

    # -- one request ------------------------------------------------------------------------
    def handle(self, request: Any, cookie: str | None, token: str | None) -> tuple[Any, str | None]:
        """A JSON-RPC request -> (response object, Set-Cookie value or None)."""
        rid = request.get("id") if isinstance(request, dict) else None
        if not isinstance(request, dict) or request.get("jsonrpc") != "2.0":
            return _error(rid, -32600, "Invalid request."), None
        method = request.get("method")
        params = request.get("params") or {}
        if not isinstance(method, str) or not isinstance(params, dict):
            return _error(rid, -32600, "Invalid request."), None
        if method == "Session.login":
            return self._login(rid, params)
        session = self.sessions.get(cookie or "")
        if session is None or token != session.token or session.expires < time.monotonic():
            return _error(rid, -32001, "Session expired."), None
        session.expires = time.monotonic() + self.session_ttl
        if method == "Session.logout":
            self.sessions.pop(cookie or "", None)
            return {"jsonrpc": "2.0", "id": rid, "result": {}}, None
        handler = METHODS.get(method)
        if handler is None:
            return _error(rid, -32601, "Method not found."), None
        try:
            with self.state.lock:
                result = handler(self.state, params)
        except Fail as exc:
            return _error(rid, exc.code, exc.message, exc.params), None
        except (KeyError, TypeError, ValueError, AttributeError):
            return _error(rid, -32602, "Invalid params."), None
        return {"jsonrpc": "2.0", "id": rid, "result": result}, None

    def _login(self, rid: Any, params: dict[str, Any]) -> tuple[Any, str | None]:
        name = next((params[f] for f in self.login_fields if f in params), None)
        app = params.get("application")
        if not isinstance(name, str) or not isinstance(app, dict):
            return _error(rid, -32602, "Invalid params."), None
        if self.accounts.get(name) != params.get("password"):
            return _error(rid, 1003, "Wrong user name or password."), None
        sid, token = secrets.token_hex(16), secrets.token_hex(16)
        self.sessions[sid] = Session(token, name, time.monotonic() + self.session_ttl)
        cookie = f"{COOKIE}={sid}; Path=/admin/; Secure; HttpOnly"
        return {"jsonrpc": "2.0", "id": rid, "result": {"token": token}}, cookie


def _error(rid: Any, code: int, message: str, params: list[str] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if params:
        error["data"] = {"messageParameters": {"positionalParameters": params, "plurality": 1}}
    return {"jsonrpc": "2.0", "id": rid, "error": error}


class _Handler(BaseHTTPRequestHandler):
    owner: KerioEmulator
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    """The headers and the body go out in two writes: with Nagle's algorithm the body
    waited for the client's delayed ACK, some 40 ms per call on a kept-alive connection."""

    def do_POST(self) -> None:
        owner = self.owner
        faults = owner.faults
        if faults.down or self.path != PATH:
            self.close_connection = True
            if not faults.down:
                self._send(404, b"not found")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        try:
            request = json.loads(body)
        except ValueError:
            self._send(200, json.dumps(_error(None, -32700, "Parse error.")).encode())
            return
        method = str(request.get("method", "")) if isinstance(request, dict) else ""
        owner.calls[method] += 1
        owner.log.append((time.time(), method))
        failure = faults.next_failure(method)
        if failure is not None and failure[0] == "drop":
            self.close_connection = True
            return
        if failure is not None and failure[0] == "http":
            self._send(failure[1], b"error")
            return
        if failure is not None:
            answer: Any = _error(request.get("id"), failure[1], failure[2])
            cookie = None
        else:
            answer, cookie = owner.handle(request, self._cookie(), self.headers.get("X-Token"))
        delay = faults.delay.get(method, faults.delay.get("*", 0.0))
        if delay:
            time.sleep(delay)
        self._send(200, json.dumps(answer).encode(), cookie)

    def _cookie(self) -> str | None:
        for part in (self.headers.get("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE:
                return value
        return None

    def _send(self, status: int, body: bytes, cookie: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json-rpc; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        if cookie:
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""
