"""The dashboard's incident pages: the home page, the incident lists and one incident.

- **Home**: open incidents by severity (they wait for a decision), the traffic of a
  chosen time range (1, 7 or 28 days, or from/to) with the incidents marked.
- **Incidents**: filtered by status and severity, sorted by any column, a page at a
  time; the closed ones too.
- **Incident**: why, the evidence, what to do now (high and critical), the decision
  history, and the decisions (see :mod:`kerio_watch.web.decide_views`).

The home page and the lists reload themselves every minute with a ``<meta refresh>``
(no script: the Content-Security-Policy allows none); ``?refresh=off`` stops it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, abort, render_template, request
from markupsafe import Markup

from kerio_watch.incidents import lifecycle
from kerio_watch.incidents.ack import preview
from kerio_watch.incidents.changes import from_facts
from kerio_watch.incidents.playbook import applies, is_machine, steps
from kerio_watch.report.account_charts import heatmap, volume_chart
from kerio_watch.report.build import DAY
from kerio_watch.report.charts import traffic_chart
from kerio_watch.report.model import IncidentRow, Period
from kerio_watch.report.periods import combine, days_before, newest_until
from kerio_watch.report.servertime import ServerTime
from kerio_watch.report.timeline import AccountView, account_view
from kerio_watch.web.context import deps, networks, period_report, server_time, store
from kerio_watch.web.listing import (
    SEVERITY_FILTERS,
    STATUSES,
    Pager,
    here,
    list_args,
    refresh_seconds,
)

RANGES = (1, 7, 28)
HOME_ROWS = 20
ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


def parse_local(text: str | None, st: ServerTime) -> int | None:
    """A ``datetime-local`` form value on the server's clock, as UTC epoch seconds.

    Raises:
        ValueError: not a time.
    """
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"expected a time like 2026-03-23T00:00, got {text[:40]!r}") from None
    if value.tzinfo is not None:
        return int(value.timestamp())
    return st.timebase().to_utc(int(value.replace(tzinfo=dt.UTC).timestamp()))


def home_period(st: ServerTime) -> tuple[Period, int | None]:
    """The home page's range: ``?days=1|7|28`` or ``?since=&until=`` (400 if bad)."""
    days_text = request.args.get("days", "")
    days = int(days_text) if days_text.isdigit() else None
    if days_text and days not in RANGES:
        abort(400, f"days must be one of {', '.join(map(str, RANGES))}")
    try:
        since = parse_local(request.args.get("since"), st)
        until = parse_local(request.args.get("until"), st)
        custom = since is not None or until is not None
        days = None if custom else (days or 7)
        period = combine(since, until, days, lambda: newest_until(store()), st)
    except ValueError as exc:
        abort(400, str(exc))
    return period, days


def index() -> str:
    """The home page."""
    st = server_time()
    open_rows = [IncidentRow.of(i) for i in store().incidents(status="open", limit=1000)]
    open_rows.sort(key=lambda r: (ORDER.get(r.severity, 5), -r.updated))
    period, days = home_period(st)
    report = period_report(period)
    return render_template(
        "index.html",
        st=st,
        counts={label: sum(r.severity == label for r in open_rows) for label in ORDER},
        incidents=open_rows[:HOME_ROWS],
        total_open=len(open_rows),
        report=report,
        traffic=traffic_chart(report.traffic, report.incidents, st),
        days=days,
        ranges=RANGES,
        since=st.local(period.since).strftime("%Y-%m-%dT%H:%M"),
        until=st.local(period.until).strftime("%Y-%m-%dT%H:%M"),
        refresh=refresh_seconds(),
        here=here,
    )


def incidents() -> str:
    """Incidents filtered, sorted and a page at a time."""
    args = list_args()
    s = store()
    query = args.query()
    total = s.count_incidents(query)
    pager = Pager(args.page, query.limit, total)
    if args.page > pager.pages:
        abort(404, f"there are only {pager.pages} pages")
    rows = [IncidentRow.of(i) for i in s.incident_page(query)]
    return render_template(
        "incidents.html",
        st=server_time(),
        args=args,
        statuses=STATUSES,
        severities=SEVERITY_FILTERS,
        incidents=rows,
        pager=pager,
        refresh=refresh_seconds(),
        here=here,
    )


def account_charts(view: AccountView, st: ServerTime) -> dict[str, Markup]:
    """The volume chart and the two heatmaps of an account page."""
    usual = view.normal.how if view.normal is not None else [0] * 168
    return {
        "usual": heatmap(usual, "Usually (learned)"),
        "period": heatmap(view.period_how, "This period", usual=usual),
        "volume": volume_chart(
            [(h.ts, h.messages, h.norm, h.mad) for h in view.hourly],
            view.period.since,
            view.period.until,
            st,
        ),
    }


def incident(incident_id: int) -> str:
    """One incident."""
    s = store()
    st = server_time()
    inc = s.incident(incident_id)
    if inc is None:
        abort(404, f"no incident {incident_id}")
    view: AccountView | None = None
    charts: dict[str, Markup] = {}
    if inc.user:
        end = inc.updated - inc.updated % 3600 + 3600
        view = account_view(s, deps().config, st, inc.user, days_before(end, 7, st))
        charts = account_charts(view, st)
    start = inc.first_signal or inc.opened
    context: dict[str, Any] = {
        "inc": inc,
        "row": IncidentRow.of(inc),
        "status": lifecycle.status_text(inc, st.fmt),
        "data": inc.to_dict(),
        "view": view,
        "charts": charts,
        "nearby": [e for e in view.entries if start - DAY <= e.ts <= inc.updated + 3600]
        if view
        else [],
        "todo": steps(
            inc.user,
            inc.worked_from(),
            networks().is_trusted,
            from_facts(inc.facts, st.fmt),
            is_machine(inc.key),
        )
        if applies(inc.severity)
        else [],
        "decisions": s.decisions(incident_id),
        "lesson": preview(s, inc) if inc.status in ("open", "closed") else {},
    }
    return render_template("incident.html", st=st, **context)


def register(app: Flask) -> None:
    """Add the incident pages to the application."""
    app.add_url_rule("/", "index", index)
    app.add_url_rule("/incidents", "incidents", incidents)
    app.add_url_rule("/incidents/<int:incident_id>", "incident", incident)
