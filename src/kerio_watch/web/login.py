"""The dashboard's ``/login`` and ``/logout``.

- A right password or token always logs in, whatever happened before: nobody can lock
  the administrator out by failing logins from the same address (a shared NAT, the
  reverse proxy, the server itself).
- Only a real login (a POST of the form with a password or token) is counted as a
  failure. ``GET /login?token=...`` (the login link ``serve`` prints) logs in when the
  token is right and is otherwise just refused: any page or local user can make a
  browser fetch a URL, so a GET must never count against anyone.
- After ``LoginThrottle.limit`` failures from one address within its window, each
  further wrong attempt is answered ``429 Too Many Requests`` with ``Retry-After``.
- Logging out revokes the session on the server (:mod:`kerio_watch.web.sessions`).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response as BaseResponse

from kerio_watch.web import security
from kerio_watch.web.sessions import Sessions
from kerio_watch.web.settings import WebSettings

SID = "sid"
"""The session key holding the server-side session id."""

KEY = "kerio_watch.login"


@dataclass(frozen=True)
class Access:
    """What logging in checks against, kept on the application."""

    settings: WebSettings
    token: str | None
    sessions: Sessions
    throttle: security.LoginThrottle


def register_login(
    app: Flask, settings: WebSettings, token: str | None, sessions: Sessions
) -> security.LoginThrottle:
    """Add ``/login`` and ``/logout`` to the dashboard; returns the failure throttle."""
    throttle = security.LoginThrottle()
    app.extensions[KEY] = Access(settings, token, sessions, throttle)
    app.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    app.add_url_rule("/logout", "logout", logout, methods=["POST"])
    return throttle


def access() -> Access:
    """The current application's login settings, sessions and throttle."""
    found: Access = current_app.extensions[KEY]
    return found


def _client() -> str:
    return request.remote_addr or "?"


def _page(error: str | None, status: int) -> tuple[str, int]:
    a = access()
    return render_template(
        "login.html", error=error, password=bool(a.settings.password_hash), token=bool(a.token)
    ), status


def _start_session() -> BaseResponse:
    session.clear()
    session.permanent = True
    session["auth"] = True
    session[SID] = access().sessions.new()
    security.csrf_token()
    access().throttle.succeeded(_client())
    return redirect(security.safe_next(request.values.get("next")))


def login() -> ResponseReturnValue:
    """``GET /login`` (the form, or a login link's token) and ``POST /login``."""
    a = access()
    if request.method == "GET":
        given = request.args.get("token")
        if given is None:
            return _page(None, 200)
        if security.token_ok(a.token, given):
            return _start_session()
        return _page("This login link is not valid.", 403)  # not counted: see above
    given = request.form.get("token", "")
    password = request.form.get("password", "")
    if security.token_ok(a.token, given) or security.password_ok(
        a.settings.password_hash, password
    ):
        return _start_session()  # right: accepted even when this address is throttled
    if not given and not password:
        return _page("Enter the password or the token.", 400)
    blocked = a.throttle.blocked(_client())  # this address already failed too often
    a.throttle.failed(_client())
    if blocked:
        text, status = _page("Too many failed attempts from your address: wait a while.", 429)
        return text, status, {"Retry-After": str(int(a.throttle.window))}
    return _page("Wrong password or token.", 403)


def logout() -> BaseResponse:
    """``POST /logout``: revoke the session on the server."""
    access().sessions.revoke(session.get(SID))
    session.clear()
    return redirect(url_for("login"))


def logged_in(sessions: Sessions) -> bool:
    """The request carries a session that logged in and was not revoked."""
    return session.get("auth") is True and sessions.valid(session.get(SID))
