"""The dashboard: a Flask application over the state database.

Pages: the incident pages (:mod:`kerio_watch.web.incident_views`), deciding and undoing
(:mod:`kerio_watch.web.decide_views`), an outside address (:mod:`kerio_watch.web.address_views`),
accounts and one account's charts and timeline (:mod:`kerio_watch.web.account_views`),
search by account, IP or Queue-ID (:mod:`kerio_watch.web.search_views`), the period
report, also as an offline HTML file or JSON (:mod:`kerio_watch.web.report_views`), and
releasing a containment (:mod:`kerio_watch.web.respond`). Every page needs a login
(:mod:`kerio_watch.web.login`, :mod:`kerio_watch.web.security`). The store is opened
read-only per request (:mod:`kerio_watch.web.context`); only a decision writes, through
:mod:`kerio_watch.incidents.ack`, exactly like ``kerio-watch ack``, and a release,
through :mod:`kerio_watch.respond`, exactly like ``kerio-watch release``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, redirect, render_template, request, url_for
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined
from werkzeug.wrappers import Response as BaseResponse

from kerio_watch import __version__
from kerio_watch.config import Config
from kerio_watch.incidents import teach
from kerio_watch.report.html import inert_value
from kerio_watch.web import (
    account_views,
    address_views,
    context,
    decide_views,
    incident_views,
    login,
    report_views,
    respond,
    search_views,
    security,
)
from kerio_watch.web.cache import ReportCache
from kerio_watch.web.login import logged_in, register_login
from kerio_watch.web.sessions import Sessions
from kerio_watch.web.settings import WebSettings

PUBLIC_ENDPOINTS = frozenset(("login", "static", "report_css"))


def create_app(
    settings: WebSettings,
    db_path: Path,
    config: Config,
    mail_server: str | None = None,
    start_token: str | None = None,
) -> Flask:
    """The dashboard application.

    Args:
        settings: validated ``[web]`` settings.
        db_path: the state database.
        config: the configuration (time zone, trusted networks, office hours).
        mail_server: the mail server's address for the egress rule.
        start_token: a token generated at start, when no password or token is configured.
    """
    app = _flask(settings)
    token = settings.token or start_token
    sessions = Sessions(db_path, security.SESSION_HOURS * 3600)
    register_login(app, settings, token, sessions)
    reports = ReportCache(db_path)
    app.extensions["kerio_watch.reports"] = reports
    context.install(app, context.Deps(db_path, config, mail_server, reports))
    incident_views.register(app)
    decide_views.register(app)
    address_views.register(app)
    app.teardown_appcontext(close_store)
    app.before_request(require_login)
    app.after_request(headers)
    app.context_processor(helpers)
    report_views.register_css(app)
    account_views.register(app)
    search_views.register(app)
    report_views.register(app)
    for code in (400, 403, 404, 405, 409):
        app.register_error_handler(code, error_page)
    respond.add_routes(app)
    return app


def _flask(settings: WebSettings) -> Flask:
    """The Flask application with the dashboard's templates, Jinja settings and cookies."""
    here = Path(__file__).parent
    app = Flask("kerio_watch.web", static_folder=str(here / "static"), static_url_path="/static")
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(here / "templates")),
            PackageLoader("kerio_watch.report", "templates"),
        ]
    )
    app.jinja_env.undefined = StrictUndefined
    app.jinja_env.finalize = inert_value
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.config.update(
        SECRET_KEY=settings.secret_key or secrets.token_bytes(32),
        SESSION_COOKIE_NAME="kerio_watch_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings.secure_cookie,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=security.SESSION_HOURS),
        MAX_CONTENT_LENGTH=64 * 1024,
        TEMPLATES_AUTO_RELOAD=False,
    )
    return app


def close_store(_exc: BaseException | None) -> None:
    """Close the request's store, if it opened one."""
    s = g.pop("store", None)
    if s is not None:
        s.close()


def require_login() -> BaseResponse | None:
    """Every request: the CSRF check of a POST, then a login unless the page is public."""
    access = login.access()
    if request.method == "POST":
        security.check_csrf(https=access.settings.secure_cookie)
    if request.endpoint in PUBLIC_ENDPOINTS or logged_in(access.sessions):
        return None
    return redirect(url_for("login", next=request.full_path.rstrip("?")))


def headers(response: Response) -> Response:
    """The security headers of every response."""
    return security.add_headers(response)


def helpers() -> dict[str, Any]:
    """What every template may use."""
    return {
        "csrf_token": security.csrf_token,
        "version": __version__,
        "account_url": account_url,
        "fact_label": teach.label,
        "fact_values": teach.values_text,
        "severity_order": ("critical", "high", "medium", "low", "info"),
    }


def account_url(account: str) -> str:
    """The page of an account, or of an incident for ``#id``."""
    if account.startswith("#"):
        return url_for("incident", incident_id=int(account[1:]))
    return url_for("account", address=account)


def error_page(exc: Any) -> tuple[str, int]:
    """The error page of an HTTP error."""
    code = int(getattr(exc, "code", 500) or 500)
    return render_template(
        "error.html", code=code, message=str(getattr(exc, "description", "") or "")
    ), code
