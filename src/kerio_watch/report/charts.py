"""Charts as self-contained inline SVG, drawn on the server (no script, no web font).

Colours are presentation attributes, not CSS, so a chart looks the same in the
offline report file and in the dashboard (whose Content-Security-Policy forbids inline
styles). Every text that comes from the logs goes through :func:`markupsafe.escape`;
the functions return :class:`markupsafe.Markup` that templates insert as it is. One
account's charts (heatmap, hourly volume) are in :mod:`kerio_watch.report.account_charts`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from kerio_watch.report.model import IncidentRow, TrafficBin
from kerio_watch.report.servertime import DAY_NAMES, ServerTime

SEVERITY_COLOURS = {
    "critical": "#7f1d1d",
    "high": "#dc2626",
    "medium": "#d97706",
    "low": "#0891b2",
    "info": "#64748b",
}
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
SENT = "#2563eb"
INBOUND = "#059669"
FAILED = "#dc2626"
BOUNCE = "#d97706"
NORM = "#f59e0b"
FONT = (
    'font-family="-apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, DejaVu Sans, sans-serif"'
)


def num(x: float) -> str:
    """A coordinate or value with at most one decimal."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value``."""
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return float(step * exp)
    return float(10 * exp)


def svg_text(
    x: float,
    y: float,
    body: str,
    size: int = 11,
    anchor: str = "start",
    fill: str = MUTED,
    weight: str = "normal",
) -> str:
    """A ``<text>`` element; ``body`` is escaped."""
    return (
        f'<text x="{num(x)}" y="{num(y)}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}" font-weight="{weight}">{escape(body)}</text>'
    )


def svg(width: int, height: int, label: str, body: list[str], cls: str = "chart") -> Markup:
    """The chart: ``body`` inside an ``<svg>`` with its label and title."""
    # Every text part was escaped where it was built (svg_text, escape() around titles).
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(label)}" {FONT} '
        f'preserveAspectRatio="xMidYMid meet" class="{cls}">'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )


def traffic_chart(
    bins: Sequence[TrafficBin], incidents: Sequence[IncidentRow], st: ServerTime
) -> Markup:
    """The server's mail per time bin, failed logins below, incidents marked."""
    width, height = 960, 300
    left, right, top = 52, 12, 34
    main_h, gap, low_h = 150, 34, 50
    plot_w = width - left - right
    body: list[str] = []
    if not bins:
        body.append(svg_text(width / 2, height / 2, "no activity in this period", 13, "middle"))
        return svg(width, height, "Mail traffic", body)
    start = bins[0].ts
    end = bins[-1].ts + bins[-1].seconds
    span = max(1, end - start)

    def x_of(ts: int) -> float:
        return left + (ts - start) / span * plot_w

    base = top + main_h
    low_base = base + gap + low_h
    body += _traffic_legend(bins, left, width - right)
    body += _traffic_main(bins, st, (left, width - right), (base, main_h))
    body += _traffic_low(bins, st, (left, width - right), (low_base, low_h))
    body += _traffic_days(st, (start, end), x_of, (top, low_base), width - right - 60)
    # incidents: medium and above get a line and a label; the rest a tick on the axis
    shown = [i for i in incidents if start <= i.opened < end]
    body += incident_markers(shown, x_of, st, (top, low_base, width - right))
    return svg(width, height, "Mail traffic with incidents", body)


def _traffic_legend(bins: Sequence[TrafficBin], left: int, right: int) -> list[str]:
    """The traffic chart's legend, and the size of its bins at the right edge."""
    body: list[str] = []
    lx = float(left)
    for colour, label in (
        (SENT, "sent by accounts"),
        (INBOUND, "received from outside"),
        (FAILED, "failed logins"),
        (BOUNCE, "bounces"),
    ):
        body.append(f'<rect x="{lx}" y="8" width="10" height="10" rx="2" fill="{colour}"/>')
        body.append(svg_text(lx + 14, 17, label, 11, fill=INK))
        lx += 24 + 6.4 * len(label)
    bin_label = "per hour" if bins[0].seconds == 3600 else f"per {bins[0].seconds // 3600} h"
    body.append(svg_text(right, 17, bin_label, 11, "end"))
    return body


def _traffic_main(
    bins: Sequence[TrafficBin], st: ServerTime, edges: tuple[int, int], panel: tuple[int, int]
) -> list[str]:
    """The main panel: bars of mail sent, a line of mail received. ``edges`` are the
    plot's left and right x, ``panel`` its baseline y and height."""
    left, right = edges
    base, main_h = panel
    bw = (right - left) / len(bins)
    body: list[str] = []
    ymax = nice_max(max(*(b.sent for b in bins), *(b.inbound for b in bins)))
    for frac in (0, 0.5, 1):
        y = base - frac * main_h
        body.append(
            f'<line x1="{left}" x2="{right}" y1="{num(y)}" y2="{num(y)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(svg_text(left - 6, y + 4, num(ymax * frac), 10, "end"))
    for i, b in enumerate(bins):
        if b.sent:
            h = b.sent / ymax * main_h
            body.append(
                f'<rect x="{num(left + i * bw + bw * 0.1)}" y="{num(base - h)}" '
                f'width="{num(max(bw * 0.8, 0.8))}" height="{num(h)}" fill="{SENT}">'
                f"<title>{escape(st.fmt_hour(b.ts))}: {b.sent} sent, {b.recipients} recipients, "
                f"{b.inbound} received</title></rect>"
            )
    points = " ".join(
        f"{num(left + (i + 0.5) * bw)},{num(base - b.inbound / ymax * main_h)}"
        for i, b in enumerate(bins)
    )
    body.append(
        f'<polyline points="{points}" fill="none" stroke="{INBOUND}" '
        f'stroke-width="1.5" stroke-linejoin="round"/>'
    )
    return body


def _traffic_low(
    bins: Sequence[TrafficBin], st: ServerTime, edges: tuple[int, int], panel: tuple[int, int]
) -> list[str]:
    """The low panel: failed logins and bounces. ``edges`` are the plot's left and right
    x, ``panel`` its baseline y and height."""
    left, right = edges
    low_base, low_h = panel
    low_top = low_base - low_h
    bw = (right - left) / len(bins)
    body: list[str] = []
    fmax = nice_max(max(*(b.failed_logins for b in bins), *(b.bounces for b in bins), 1))
    body.append(f'<line x1="{left}" x2="{right}" y1="{low_base}" y2="{low_base}" stroke="{GRID}"/>')
    body.append(svg_text(left - 6, low_top + 4, num(fmax), 10, "end"))
    body.append(svg_text(left - 6, low_base + 4, "0", 10, "end"))
    for i, b in enumerate(bins):
        for value, colour, offset in ((b.failed_logins, FAILED, 0.1), (b.bounces, BOUNCE, 0.5)):
            if value:
                h = value / fmax * low_h
                body.append(
                    f'<rect x="{num(left + i * bw + bw * offset)}" y="{num(low_base - h)}" '
                    f'width="{num(max(bw * 0.4, 0.6))}" height="{num(h)}" fill="{colour}">'
                    f"<title>{escape(st.fmt_hour(b.ts))}: {b.failed_logins} failed logins, "
                    f"{b.bounces} bounces</title></rect>"
                )
    return body


def _traffic_days(
    st: ServerTime,
    times: tuple[int, int],
    x_of: Callable[[int], float],
    rows: tuple[int, int],
    label_limit: int,
) -> list[str]:
    """Day ticks at local midnight (every day, week or month, by the span), labelled
    left of ``label_limit``; ``rows`` are the top and bottom y of the lines."""
    start, end = times
    top, low_base = rows
    body: list[str] = []
    first_local = st.local(start)
    midnight = start - (first_local.hour * 3600 + first_local.minute * 60 + first_local.second)
    days = max(1, end - start) / 86400
    step = 1 if days <= 16 else 7 if days <= 120 else 30
    tick = midnight + 86400
    while tick < end:
        local = st.local(tick)
        if local.hour != 0:  # daylight-saving day: realign
            tick -= local.hour * 3600 if local.hour < 12 else (local.hour - 24) * 3600
            local = st.local(tick)
        if (tick - midnight) // 86400 % step == 0:
            x = x_of(tick)
            body.append(
                f'<line x1="{num(x)}" x2="{num(x)}" y1="{top}" y2="{low_base}" '
                f'stroke="{GRID}" stroke-dasharray="2,3"/>'
            )
            if x < label_limit:
                body.append(
                    svg_text(
                        x + 3,
                        low_base + 16,
                        f"{DAY_NAMES[local.weekday()]} {local.strftime('%d %b')}",
                        10,
                    )
                )
        tick += 86400
    return body


MARKER_GAP = 14.0
"""Markers closer than this (pixels) are drawn as one, listing every incident."""
TICK_GAP = 4.0
LABEL_GAP = 40.0
_ORDER = ("info", "low", "medium", "high", "critical")


def _clusters(
    incidents: Sequence[IncidentRow], x_of: Callable[[int], float], gap: float
) -> list[tuple[float, list[IncidentRow]]]:
    """Incidents grouped so that no two groups are closer than ``gap`` pixels; each
    group at the position of its first incident."""
    groups: list[tuple[float, list[IncidentRow]]] = []
    for inc in sorted(incidents, key=lambda i: (i.opened, i.id)):
        x = x_of(inc.opened)
        if groups and x - groups[-1][0] < gap:
            groups[-1][1].append(inc)
        else:
            groups.append((x, [inc]))
    return groups


def _tip(group: list[IncidentRow], st: ServerTime) -> str:
    lines = [
        f"#{i.id} {i.severity} {i.key} at {st.fmt(i.opened)}: {i.summary[:200]}" for i in group[:12]
    ]
    if len(group) > 12:
        lines.append(f"and {len(group) - 12} more")
    return "\n".join(lines)


def incident_markers(
    incidents: Sequence[IncidentRow],
    x_of: Callable[[int], float],
    st: ServerTime,
    frame: tuple[float, float, float],
) -> list[str]:
    """Incident markers that never overlap: a line and a triangle per group of medium or
    worse incidents (labelled when there is room), a tick on the axis per group of the
    others. ``frame`` is (top, bottom, right edge) of the plot."""
    top, bottom, right = frame
    out: list[str] = []
    serious = [i for i in incidents if i.severity not in ("low", "info")]
    minor = [i for i in incidents if i.severity in ("low", "info")]
    for x, group in _clusters(minor, x_of, TICK_GAP):
        worst = max(group, key=lambda i: _ORDER.index(i.severity)).severity
        out.append(
            f'<g class="incident-marker"><title>{escape(_tip(group, st))}</title>'
            f'<rect x="{num(x - 1)}" y="{num(bottom - 6)}" width="2" height="10" '
            f'fill="{SEVERITY_COLOURS.get(worst, MUTED)}"/></g>'
        )
    last_label = -1e9
    for x, group in _clusters(serious, x_of, MARKER_GAP):
        worst = max(group, key=lambda i: _ORDER.index(i.severity)).severity
        colour = SEVERITY_COLOURS.get(worst, MUTED)
        label = ""
        if x - last_label >= LABEL_GAP:
            last_label = x
            text = f"#{group[0].id}" + (f" +{len(group) - 1}" if len(group) > 1 else "")
            label = (
                svg_text(x + 8, top + 10, text, 11, fill=colour, weight="bold")
                if x < right - 60
                else svg_text(x - 8, top + 10, text, 11, "end", colour, "bold")
            )
        out.append(
            f'<g class="incident-marker"><title>{escape(_tip(group, st))}</title>'
            f'<line x1="{num(x)}" x2="{num(x)}" y1="{top}" y2="{bottom}" stroke="{colour}" '
            f'stroke-width="1.5" stroke-dasharray="4,2"/>'
            f'<path d="M{num(x - 6)},{top - 10} L{num(x + 6)},{top - 10} L{num(x)},{top} Z" '
            f'fill="{colour}"/>{label}</g>'
        )
    return out
