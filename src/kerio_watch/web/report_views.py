"""The period report: as a page, as one offline HTML file, as JSON, and its stylesheet."""

from __future__ import annotations

from flask import Flask, Response, abort, current_app, render_template, request

from kerio_watch.report.build import resolve_period
from kerio_watch.report.html import render_html, report_charts, stylesheet
from kerio_watch.report.model import Period, jsonable
from kerio_watch.textsafe import json_text
from kerio_watch.web.context import period_report, server_time, store
from kerio_watch.web.incident_views import parse_local

CSS_KEY = "kerio_watch.report_css"


def report_css() -> Response:
    """The report's stylesheet (the dashboard's pages share it)."""
    css: str = current_app.extensions[CSS_KEY]
    return Response(css, mimetype="text/css", headers={"Cache-Control": "max-age=3600"})


def period_from_args() -> Period:
    """The period of ``?since=&until=`` (400 if bad)."""
    st = server_time()
    try:
        since = parse_local(request.args.get("since"), st)
        until = parse_local(request.args.get("until"), st)
        return resolve_period(store(), since, until, st)
    except ValueError as exc:
        abort(400, str(exc))


def report() -> str:
    """The report page."""
    st = server_time()
    period = period_from_args()
    r = period_report(period)
    return render_template(
        "report.html",
        st=st,
        r=r,
        charts=report_charts(r, st),
        since=st.local(period.since).strftime("%Y-%m-%dT%H:%M"),
        until=st.local(period.until).strftime("%Y-%m-%dT%H:%M"),
    )


def report_file() -> Response:
    """The report as one offline HTML file, to download."""
    st = server_time()
    period = period_from_args()
    r = period_report(period)
    name = f"kerio-watch-report-{st.local(period.until).strftime('%Y-%m-%d')}.html"
    return Response(
        render_html(r, st),
        mimetype="text/html",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def report_json() -> Response:
    """The report as JSON."""
    st = server_time()
    period = period_from_args()
    r = period_report(period)
    return Response(json_text(jsonable(r, st.iso)), mimetype="application/json")


def register_css(app: Flask) -> None:
    """Add ``/assets/report.css``, rendered once now."""
    app.extensions[CSS_KEY] = stylesheet()
    app.add_url_rule("/assets/report.css", "report_css", report_css)


def register(app: Flask) -> None:
    """Add the report pages to the application."""
    app.add_url_rule("/report", "report", report)
    app.add_url_rule("/report.html", "report_file", report_file)
    app.add_url_rule("/report.json", "report_json", report_json)
