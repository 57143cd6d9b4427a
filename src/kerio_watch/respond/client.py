"""A JSON-RPC 2.0 session with Kerio Connect's Administration API, over verified HTTPS.

Standard library only (``http.client`` and ``ssl``). One keep-alive connection, one
session: ``Session.login`` returns a token, sent back in the ``X-Token`` header with the
session cookie the login set. When the server says the session expired (error -32001)
the client logs in again and repeats the call once; any other error is raised as
:class:`RpcError` with Kerio's code and message.

TLS is always verified: against the system's CAs, a CA file, or a pinned SHA-256
fingerprint of the server's certificate (Kerio installs a self-signed one). The
password is read only when logging in and never appears in errors or logs.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from kerio_watch import __version__
from kerio_watch.errors import KerioWatchError
from kerio_watch.exitcodes import ExitStatus

SESSION_EXPIRED = -32001
"""Kerio's JSON-RPC error code for an expired or unknown session (see docs/kerio-api.md)."""
IDLE_RECONNECT = 5.0
"""Seconds after which a kept-alive connection is replaced before a call (servers close
idle connections; a write must not be sent on a dead one)."""
SECRET_PARAMS = frozenset(("password",))


class ApiError(KerioWatchError):
    """The API could not be used. ``kind``: unreachable, timeout, tls, http, protocol,
    refused (login failed) or rpc (an error object).

    Exit status 5 (what a command needs to read cannot be used), as for a log path."""

    exit_status = ExitStatus.INPUT_ERROR

    def __init__(self, kind: str, message: str, sent: bool = False) -> None:
        self.kind = kind
        self.sent = sent
        """Whether the request may have reached the server (its outcome is unknown)."""
        super().__init__(message)


class RpcError(ApiError):
    """A JSON-RPC error object: the server answered and refused the call."""

    def __init__(self, code: int, message: str, method: str) -> None:
        self.code = code
        self.method = method
        super().__init__("rpc", f"{method}: {message} (code {code})")


@dataclass(frozen=True)
class Endpoint:
    """Where the API is and how to trust it."""

    url: str
    ca_file: str | None = None
    fingerprint: str | None = None
    timeout: float = 10.0


def tls_context(ca_file: str | None, fingerprint: str | None) -> ssl.SSLContext:
    """Verify against the system CAs or ``ca_file``; with a pinned fingerprint the chain
    is not verified but the certificate itself is (:meth:`ApiClient._check_pin`)."""
    if fingerprint:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx = ssl.create_default_context(cafile=ca_file)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def mask(params: Any) -> Any:
    """A copy of call parameters with passwords replaced (for logs and the journal)."""
    if isinstance(params, dict):
        return {k: "********" if k in SECRET_PARAMS else mask(v) for k, v in params.items()}
    if isinstance(params, list):
        return [mask(v) for v in params]
    return params


def rpc_message(error: dict[str, Any]) -> str:
    """Kerio's message with its ``%1``... placeholders filled in."""
    message = str(error.get("message") or "error")
    data = error.get("data")
    if isinstance(data, dict):
        params = (data.get("messageParameters") or {}).get("positionalParameters") or []
        for i, value in enumerate(params, 1):
            message = message.replace(f"%{i}", str(value))
    return message


class ApiClient:
    """One session with the Administration API (not thread-safe: one per thread).

    Args:
        endpoint: URL and TLS trust.
        username: the administrator account.
        password: called when logging in; returns the password.
        login_field: the Session.login parameter for the user name.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        username: str,
        password: Callable[[], str],
        login_field: str = "userName",
    ) -> None:
        parts = urlsplit(endpoint.url)
        if parts.scheme != "https" or not parts.hostname:
            raise ApiError("protocol", f"expected an https:// URL, got {endpoint.url!r}")
        self.endpoint = endpoint
        self.host = parts.hostname
        self.port = parts.port or 443
        self.path = parts.path or "/"
        self.username = username
        self._password = password
        self.login_field = login_field
        self.context = tls_context(endpoint.ca_file, endpoint.fingerprint)
        self.token: str | None = None
        self.cookies: dict[str, str] = {}
        self.logins = 0
        self.calls = 0
        self._conn: http.client.HTTPSConnection | None = None
        self._used = 0.0
        self._id = 0

    # -- public ---------------------------------------------------------------------------
    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Call a method (logging in first if needed); its ``result`` object.

        Raises:
            RpcError: the server returned an error object.
            ApiError: the server could not be reached or answered nonsense.
        """
        if self.token is None:
            self.login()
        try:
            return self._rpc(method, params)
        except RpcError as exc:
            if exc.code != SESSION_EXPIRED:
                raise
        self.token = None
        self.login()
        return self._rpc(method, params)

    def login(self) -> None:
        """Open a new session.

        Raises:
            ApiError: with kind ``refused`` when the server rejects the credentials.
        """
        self.token = None
        self.cookies.clear()
        params = {
            self.login_field: self.username,
            "password": self._password(),
            "application": {"name": "kerio-watch", "vendor": "kerio-watch", "version": __version__},
        }
        try:
            result = self._rpc("Session.login", params)
        except RpcError as exc:
            raise ApiError("refused", f"login as {self.username} refused: {exc}") from None
        token = result.get("token")
        if not isinstance(token, str) or not token:
            raise ApiError("protocol", "Session.login answered without a token")
        self.token = token
        self.logins += 1

    def logout(self) -> None:
        """End the session (errors ignored: the session expires on its own)."""
        if self.token is not None:
            with contextlib.suppress(ApiError):
                self._rpc("Session.logout", None)
            self.token = None
        self.close()

    def close(self) -> None:
        """Close the connection (the session stays valid until it expires)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- transport ------------------------------------------------------------------------
    def _connection(self) -> http.client.HTTPSConnection:
        now = time.monotonic()
        if self._conn is not None and now - self._used > IDLE_RECONNECT:
            self.close()
        if self._conn is None:
            conn = http.client.HTTPSConnection(
                self.host, self.port, timeout=self.endpoint.timeout, context=self.context
            )
            try:
                conn.connect()
            except ssl.SSLCertVerificationError as exc:
                conn.close()
                raise ApiError("tls", f"{self._where()}: certificate not trusted: "
                               f"{exc.verify_message or exc}") from None  # fmt: skip
            except ssl.SSLError as exc:
                conn.close()
                raise ApiError("tls", f"{self._where()}: TLS failed: {exc}") from None
            except TimeoutError:
                conn.close()
                raise ApiError("timeout", f"{self._where()}: no answer within "
                               f"{self.endpoint.timeout:g} s") from None  # fmt: skip
            except OSError as exc:
                conn.close()
                raise ApiError("unreachable", f"{self._where()}: {_os_reason(exc)}") from None
            self._check_pin(conn)
            self._conn = conn
        self._used = now
        return self._conn

    def _check_pin(self, conn: http.client.HTTPSConnection) -> None:
        pin = self.endpoint.fingerprint
        if not pin:
            return
        sock = conn.sock
        der = sock.getpeercert(binary_form=True) if isinstance(sock, ssl.SSLSocket) else None
        got = hashlib.sha256(der).hexdigest() if der else "none"
        if got != pin:
            conn.close()
            raise ApiError(
                "tls",
                f"{self._where()}: certificate fingerprint {_colons(got)} is not the pinned "
                f"{_colons(pin)}",
            )

    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    def _post(self, body: bytes) -> tuple[int, bytes]:
        conn = self._connection()
        headers = {
            "Content-Type": "application/json-rpc; charset=UTF-8",
            "Accept": "application/json-rpc",
            "User-Agent": f"kerio-watch/{__version__}",
        }
        if self.token is not None:
            headers["X-Token"] = self.token
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request("POST", self.path, body, headers)
            resp = conn.getresponse()
            data = resp.read()
        except TimeoutError:
            self.close()
            raise ApiError("timeout", f"{self._where()}: no answer within "
                           f"{self.endpoint.timeout:g} s", sent=True) from None  # fmt: skip
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise ApiError("unreachable", f"{self._where()}: connection lost: "
                           f"{_os_reason(exc)}", sent=True) from None  # fmt: skip
        for header in resp.headers.get_all("Set-Cookie") or []:
            self._remember_cookie(header)
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        return resp.status, data

    def _remember_cookie(self, header: str) -> None:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            return
        for name, morsel in jar.items():
            self.cookies[name] = morsel.value

    def _rpc(self, method: str, params: dict[str, Any] | None) -> dict[str, Any]:
        self._id += 1
        request: dict[str, Any] = {"jsonrpc": "2.0", "id": self._id, "method": method}
        if params is not None:
            request["params"] = params
        self.calls += 1
        status, data = self._post(json.dumps(request, ensure_ascii=False).encode("utf-8"))
        if status != 200:
            raise ApiError("http", f"{method}: HTTP {status} from {self._where()}", sent=True)
        try:
            answer = json.loads(data)
        except ValueError:
            raise ApiError("protocol", f"{method}: the answer is not JSON", sent=True) from None
        if not isinstance(answer, dict):
            raise ApiError("protocol", f"{method}: the answer is not a JSON-RPC object", True)
        error = answer.get("error")
        if isinstance(error, dict):
            code = error.get("code")
            raise RpcError(int(code) if isinstance(code, int) else 0, rpc_message(error), method)
        result = answer.get("result")
        if result is None:
            return {}
        if not isinstance(result, dict):
            raise ApiError("protocol", f"{method}: the result is not an object", sent=True)
        return result


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the name ({exc.strerror})"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the API port open?)"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(text)


def _colons(hexdigest: str) -> str:
    return ":".join(hexdigest[i : i + 2] for i in range(0, len(hexdigest), 2)).upper()
