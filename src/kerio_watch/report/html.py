"""The report as one self-contained HTML file: inline CSS and inline SVG, no script.

Jinja2 with autoescaping on: every value from the logs is escaped. The file also
carries a Content-Security-Policy that forbids scripts, so even a mistake in escaping
could not run code in the reader's browser.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from kerio_watch import __version__
from kerio_watch.report.charts import heatmap, traffic_chart
from kerio_watch.report.model import Report
from kerio_watch.report.servertime import ServerTime


def stylesheet() -> str:
    """The shared stylesheet (the report inlines it, the dashboard serves it)."""
    return (resources.files("kerio_watch.report") / "static" / "report.css").read_text("utf-8")


def template_environment() -> Environment:
    """The report's Jinja2 environment (autoescape on for every template)."""
    return Environment(
        loader=PackageLoader("kerio_watch.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def report_charts(report: Report, st: ServerTime) -> dict[str, Any]:
    """The SVG charts of a report."""
    return {
        "traffic": traffic_chart(report.traffic, report.incidents, st),
        "heatmaps": [
            {
                "account": h.account,
                "active_hours": h.active_hours,
                "usual": heatmap(h.usual, "Usually (learned)"),
                "period": heatmap(h.period, "This period", usual=h.usual),
            }
            for h in report.heatmaps
        ],
    }


def render_html(report: Report, st: ServerTime) -> str:
    """The whole report as one HTML document."""
    env = template_environment()
    return env.get_template("report_page.html").render(
        r=report,
        st=st,
        charts=report_charts(report, st),
        # Our own stylesheet, not log content: escaping it would break its quotes.
        css=Markup(stylesheet()),  # noqa: S704
        version=__version__,
    )
