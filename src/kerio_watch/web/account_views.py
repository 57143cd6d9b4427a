"""The accounts page and one account's page: its charts and timeline beside its norm."""

from __future__ import annotations

from flask import Flask, abort, render_template, request

from kerio_watch.report.build import default_period
from kerio_watch.report.model import IncidentRow
from kerio_watch.report.periods import days_before
from kerio_watch.report.timeline import account_view
from kerio_watch.web.context import deps, server_time, store
from kerio_watch.web.incident_views import account_charts


def accounts() -> str:
    """Every account, those with open incidents first, then by mail sent."""
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


def account(address: str) -> str:
    """One account over ``?days=`` (1-90, default 7)."""
    s = store()
    st = server_time()
    days = request.args.get("days", "7")
    if not days.isdigit() or not 1 <= int(days) <= 90:
        abort(400, "days must be 1-90")
    config = deps().config
    base = account_view(s, config, st, address)
    end = base.period.until
    view = account_view(s, config, st, address, days_before(end, int(days), st))
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


def register(app: Flask) -> None:
    """Add the account pages to the application."""
    app.add_url_rule("/accounts", "accounts", accounts)
    app.add_url_rule("/accounts/<path:address>", "account", account)
