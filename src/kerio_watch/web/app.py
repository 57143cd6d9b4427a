"""The dashboard: a Flask application over the state database.

Pages: the incident pages (:mod:`kerio_watch.web.incident_views`), deciding and undoing
(:mod:`kerio_watch.web.decide_views`), an outside address (:mod:`kerio_watch.web.address_views`),
accounts and one account's charts and timeline, search by account, IP or Queue-ID, and
the period report (also as an offline HTML file or JSON), and releasing a containment
(:mod:`kerio_watch.web.respond`). Every page needs a login (:mod:`kerio_watch.web.login`,
:mod:`kerio_watch.web.security`). The store is opened read-only per request
(:mod:`kerio_watch.web.context`); only a decision writes, through
:mod:`kerio_watch.incidents.ack`, exactly like ``kerio-watch ack``, and a release,
through :mod:`kerio_watch.respond`, exactly like ``kerio-watch release``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import secrets
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined
from werkzeug.wrappers import Response as BaseResponse

from kerio_watch import __version__
from kerio_watch.config import Config
from kerio_watch.report.build import DAY, default_period, resolve_period
from kerio_watch.report.html import inert_value, render_html, report_charts, stylesheet
from kerio_watch.report.model import IncidentRow, Period, jsonable
from kerio_watch.report.timeline import account_view
from kerio_watch.store.base import Store
from kerio_watch.textsafe import json_text
from kerio_watch.web import address_views, context, decide_views, incident_views, respond, security
from kerio_watch.web.cache import ReportCache
from kerio_watch.web.context import period_report, server_time, store
from kerio_watch.web.incident_views import account_charts, parse_local
from kerio_watch.web.login import logged_in, register_login
from kerio_watch.web.sessions import Sessions
from kerio_watch.web.settings import WebSettings

PUBLIC_ENDPOINTS = frozenset(("login", "static", "report_css"))
_QUEUE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{8}$", re.IGNORECASE)


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
    token = settings.token or start_token
    sessions = Sessions(db_path, security.SESSION_HOURS * 3600)
    register_login(app, settings, token, sessions)
    css = stylesheet()
    reports = ReportCache(db_path)
    app.extensions["kerio_watch.reports"] = reports
    context.install(app, context.Deps(db_path, config, mail_server, reports))
    incident_views.register(app)
    decide_views.register(app)
    address_views.register(app)

    @app.teardown_appcontext
    def close_store(_exc: BaseException | None) -> None:
        s = g.pop("store", None)
        if s is not None:
            s.close()

    @app.before_request
    def require_login() -> BaseResponse | None:
        if request.method == "POST":
            security.check_csrf(https=settings.secure_cookie)
        if request.endpoint in PUBLIC_ENDPOINTS or logged_in(sessions):
            return None
        return redirect(url_for("login", next=request.full_path.rstrip("?")))

    @app.after_request
    def headers(response: Response) -> Response:
        return security.add_headers(response)

    @app.context_processor
    def helpers() -> dict[str, Any]:
        return {
            "csrf_token": security.csrf_token,
            "version": __version__,
            "account_url": account_url,
            "severity_order": ("critical", "high", "medium", "low", "info"),
        }

    def account_url(account: str) -> str:
        if account.startswith("#"):
            return url_for("incident", incident_id=int(account[1:]))
        return url_for("account", address=account)

    @app.get("/assets/report.css")
    def report_css() -> Response:
        return Response(css, mimetype="text/css", headers={"Cache-Control": "max-age=3600"})

    # -- accounts ---------------------------------------------------------------
    @app.get("/accounts")
    def accounts() -> str:
        s = store()
        period = default_period(s, st=server_time())
        totals: dict[str, dict[str, int]] = {}
        for account, kind, n in s.account_totals(
            period.since, period.until, ("send", "rcpt", "login", "fail", "bounce")
        ):
            totals.setdefault(account, {})[kind] = n
        open_by: dict[str, list[IncidentRow]] = {}
        for i in s.incidents(status="open", limit=1000):
            if i.user:
                open_by.setdefault(i.user, []).append(IncidentRow.of(i))
        names = sorted(set(s.accounts()) | {a for a in totals if a})
        rows = [(a, totals.get(a, {}), open_by.get(a, [])) for a in names]
        rows.sort(key=lambda r: (not r[2], -r[1].get("send", 0), r[0]))
        return render_template("accounts.html", st=server_time(), rows=rows, period=period)

    @app.get("/accounts/<path:address>")
    def account(address: str) -> str:
        s = store()
        st = server_time()
        days = request.args.get("days", "7")
        if not days.isdigit() or not 1 <= int(days) <= 90:
            abort(400, "days must be 1-90")
        base = account_view(s, config, st, address)
        end = base.period.until
        view = account_view(s, config, st, address, Period(end - int(days) * DAY, end))
        if view.normal is None and not view.entries:
            abort(404, "no such account in the state database")
        return render_template(
            "account.html",
            st=st,
            view=view,
            charts=account_charts(view, st),
            days=int(days),
            entries=list(reversed(view.entries))[:1000],
        )

    # -- search -----------------------------------------------------------------
    @app.get("/search")
    def search() -> str:
        q = request.args.get("q", "").strip()[:200]
        results: dict[str, Any] = {"accounts": [], "incidents": [], "activity": [], "is_ip": False}
        if q:
            results = _search(store(), q)
        return render_template("search.html", st=server_time(), q=q, **results)

    # -- report -----------------------------------------------------------------
    def _period_from_args() -> Period:
        st = server_time()
        try:
            since = parse_local(request.args.get("since"), st)
            until = parse_local(request.args.get("until"), st)
            return resolve_period(store(), since, until, st)
        except ValueError as exc:
            abort(400, str(exc))

    @app.get("/report")
    def report() -> str:
        st = server_time()
        period = _period_from_args()
        r = period_report(period)
        return render_template(
            "report.html",
            st=st,
            r=r,
            charts=report_charts(r, st),
            since=st.local(period.since).strftime("%Y-%m-%dT%H:%M"),
            until=st.local(period.until).strftime("%Y-%m-%dT%H:%M"),
        )

    @app.get("/report.html")
    def report_file() -> Response:
        st = server_time()
        period = _period_from_args()
        r = period_report(period)
        name = f"kerio-watch-report-{st.local(period.until).strftime('%Y-%m-%d')}.html"
        return Response(
            render_html(r, st),
            mimetype="text/html",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @app.get("/report.json")
    def report_json() -> Response:
        st = server_time()
        period = _period_from_args()
        r = period_report(period)
        return Response(json_text(jsonable(r, st.iso)), mimetype="application/json")

    def error_page(exc: Any) -> tuple[str, int]:
        code = int(getattr(exc, "code", 500) or 500)
        return render_template(
            "error.html", code=code, message=str(getattr(exc, "description", "") or "")
        ), code

    for code in (400, 403, 404, 405, 409):
        app.register_error_handler(code, error_page)
    respond.add_routes(app, db_path, config)

    return app


def _search(s: Store, q: str) -> dict[str, Any]:
    lowered = q.lower()
    accounts = [a for a in s.accounts() if lowered in a][:100]
    incidents = []
    for inc in s.incidents_containing(q, limit=100):
        lines = [line for line in inc.evidence if lowered in line.lower()][:10]
        incidents.append((IncidentRow.of(inc), lines))
    activity: list[tuple[int, str, str, str, int]] = []
    is_ip = True
    try:
        ipaddress.ip_address(q)
    except ValueError:
        is_ip = False
    if is_ip or (not _QUEUE_ID.match(q) and len(q) >= 3):
        activity = s.activity_containing(q, ("login", "send", "fail", "blocked"), limit=300)
    return {"accounts": accounts, "incidents": incidents, "activity": activity, "is_ip": is_ip}
