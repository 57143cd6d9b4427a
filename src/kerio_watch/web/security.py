"""Login, sessions, CSRF and response headers for the dashboard.

- Login with the configured password (checked against its scrypt/pbkdf2 hash) or a
  token (configured, or generated at start and printed with the login URL); token
  comparison is constant-time. Failed logins are counted per client address; a right
  credential is always accepted (see :mod:`kerio_watch.web.login`).
- Sessions are Flask's signed cookies: HttpOnly, SameSite=Strict (Secure with
  ``[web] secure_cookie``), 12 hours, revocable on the server
  (:mod:`kerio_watch.web.sessions`).
- Every POST carries the session's CSRF token in a form field; requests whose
  ``Origin`` is another site are refused as well.
- Headers: a Content-Security-Policy that allows no script at all and no inline
  style, ``X-Frame-Options: DENY``, ``Referrer-Policy: no-referrer``, no caching.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from urllib.parse import urlsplit

from flask import Response, abort, request, session
from werkzeug.security import check_password_hash, generate_password_hash

CSRF_FIELD = "csrf"
SESSION_HOURS = 12
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def hash_password(password: str) -> str:
    """A salted scrypt hash for ``[web] password_hash``."""
    return generate_password_hash(password, method="scrypt")


def password_ok(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches the configured hash."""
    if not stored_hash or not password:
        return False
    try:
        return check_password_hash(stored_hash, password)
    except ValueError:
        return False


def token_ok(expected: str | None, given: str | None) -> bool:
    """Constant-time token comparison."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def csrf_token() -> str:
    """This session's CSRF token (created on first use)."""
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def check_csrf(https: bool = False) -> None:
    """Abort a state-changing request without this session's token, or from another site.

    Args:
        https: the browser reaches the dashboard over HTTPS (a TLS reverse proxy in front
            of it), whatever scheme the request arriving here has.
    """
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        mine = urlsplit(request.host_url)
        theirs = urlsplit(origin)
        scheme = "https" if https else mine.scheme
        if (theirs.scheme, theirs.netloc) != (scheme, mine.netloc):
            abort(403, "cross-site request refused")
    expected = session.get(CSRF_FIELD)
    given = request.form.get(CSRF_FIELD, "")
    if not isinstance(expected, str) or not token_ok(expected, given):
        abort(400, "the form has expired or did not come from this dashboard: reload the page")


def add_headers(response: Response) -> Response:
    """Security headers on every response; pages are not cached."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype in {"text/html", "application/json"}:
        response.headers["Cache-Control"] = "no-store"
    return response


def safe_next(target: str | None) -> str:
    """A local path to go to after login (never another site).

    >>> safe_next("/accounts/a@b.test"), safe_next("//evil.test/"), safe_next("https://x/")
    ('/accounts/a@b.test', '/', '/')
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


class LoginThrottle:
    """Failed logins per client address: ``blocked`` after ``limit`` in ``window`` seconds."""

    def __init__(self, limit: int = 5, window: float = 300.0) -> None:
        self.limit = limit
        self.window = window
        self.failures: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        q = self.failures.setdefault(client, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def blocked(self, client: str) -> bool:
        """Too many recent failures from this client."""
        with self.lock:
            return len(self._recent(client, time.monotonic())) >= self.limit

    def failed(self, client: str) -> None:
        """Count a failure."""
        with self.lock:
            self._recent(client, time.monotonic()).append(time.monotonic())
            if len(self.failures) > 10_000:
                self.failures.clear()

    def succeeded(self, client: str) -> None:
        """Forget a client's failures."""
        with self.lock:
            self.failures.pop(client, None)
