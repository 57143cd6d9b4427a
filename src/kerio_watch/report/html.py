"""The report as one self-contained HTML file: inline CSS and inline SVG, no script.

Jinja2 with autoescaping on: every value from the logs is escaped, and freed of
terminal control characters (:func:`inert_value`). The file also
carries a Content-Security-Policy that forbids scripts, so even a mistake in escaping
could not run code in the reader's browser.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from kerio_watch import __version__
from kerio_watch.report.account_charts import heatmap
from kerio_watch.report.charts import traffic_chart
from kerio_watch.report.model import Report
from kerio_watch.report.servertime import ServerTime
from kerio_watch.textsafe import inert


def stylesheet() -> str:
    """The shared stylesheet (the report inlines it, the dashboard serves it)."""
    return (resources.files("kerio_watch.report") / "static" / "report.css").read_text("utf-8")


def inert_value(value: Any) -> Any:
    """Jinja ``finalize``: every value a template prints loses its control characters.

    HTML escaping leaves ESC, CR and the C1 and bidi controls alone, and log content may
    carry them: in a page they would only be odd, but ``cat report.html`` hands them to
    the terminal. They become visible escapes (``\\x1b``); markup (charts, macros)
    stays markup.
    """
    if hasattr(value, "__html__"):
        return Markup(inert(str(value.__html__())))  # noqa: S704 (markup we made, controls removed)
    if value is None or isinstance(value, int | float):
        return value
    return inert(str(value))


def template_environment() -> Environment:
    """The report's Jinja2 environment (autoescape on for every template, and every
    printed value freed of control characters)."""
    return Environment(
        loader=PackageLoader("kerio_watch.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=inert_value,
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
