"""An account's hours as inline SVG: the hour-of-week heatmap, and hourly sending against
the account's norm. Built like every chart (:mod:`kerio_watch.report.charts`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

from kerio_watch.report.charts import FAILED, GRID, INK, NORM, SENT, nice_max, num, svg, svg_text
from kerio_watch.report.servertime import DAY_NAMES, ServerTime


def _cell_colour(value: int, vmax: int) -> str:
    if value <= 0:
        return "#f3f4f6"
    t = math.sqrt(value / max(vmax, 1))
    lo, hi = (219, 234, 254), (30, 58, 138)
    r, g, b = (round(lo[i] + (hi[i] - lo[i]) * t) for i in range(3))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(
    values: Sequence[int],
    label: str,
    usual: Sequence[int] | None = None,
    quiet_share: float = 0.01,
    cell: int = 17,
) -> Markup:
    """A 7 x 24 hour-of-week grid (Monday first). With ``usual``, hours where the
    account normally sends almost nothing are outlined in red when ``values`` has mail.
    """
    left, top = 34, 26
    width = left + 24 * (cell + 2) + 4
    height = top + 7 * (cell + 2) + 4
    vmax = max(values) if values else 0
    usual_total = sum(usual) if usual is not None else 0
    body = [svg_text(0, 12, label, 12, fill=INK, weight="bold")]
    for h in range(0, 24, 3):
        body.append(svg_text(left + h * (cell + 2) + cell / 2, top - 4, f"{h:02d}", 9, "middle"))
    for d in range(7):
        y = top + d * (cell + 2)
        body.append(svg_text(left - 6, y + cell - 4, DAY_NAMES[d], 10, "end"))
        for h in range(24):
            how = d * 24 + h
            v = values[how]
            x = left + h * (cell + 2)
            odd = False
            tip = f"{DAY_NAMES[d]} {h:02d}:00: {v} message{'s' if v != 1 else ''}"
            if usual is not None:
                near = sum(usual[(how + k) % 168] for k in (-1, 0, 1))
                odd = v > 0 and usual_total > 0 and near / usual_total < quiet_share
                tip += f" (usually {usual[how]} in total)"
            stroke = f' stroke="{FAILED}" stroke-width="2"' if odd else ""
            body.append(
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" rx="2" '
                f'fill="{_cell_colour(v, vmax)}"{stroke}><title>{escape(tip)}'
                f"{' - unusual hour' if odd else ''}</title></rect>"
            )
    return svg(width, height, label, body, "chart heatmap")


def volume_chart(
    hours: Sequence[tuple[int, int, float, float]], since: int, until: int, st: ServerTime
) -> Markup:
    """Messages per hour against the account's norm for each hour of the week.

    Args:
        hours: (hour start, messages, norm median, norm MAD) for the hours with mail;
            the others are drawn as zero against their norm of zero.
    """
    width, height = 960, 200
    left, right, top, plot_h = 52, 12, 28, 130
    peak = max([m for _, m, _, _ in hours] + [med + 3 * mad for _, _, med, mad in hours] + [1])
    ymax = nice_max(peak)
    base = top + plot_h
    body = [
        f'<rect x="{left}" y="8" width="10" height="10" rx="2" fill="{SENT}"/>',
        svg_text(left + 14, 17, "messages sent per hour", 11, fill=INK),
        f'<rect x="{left + 170}" y="12" width="14" height="3" fill="{NORM}"/>',
        svg_text(left + 188, 17, "usual for that hour of the week (median)", 11, fill=INK),
    ]
    for frac in (0, 0.5, 1):
        y = base - frac * plot_h
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{num(y)}" y2="{num(y)}" stroke="{GRID}"/>'
        )
        body.append(svg_text(left - 6, y + 4, num(ymax * frac), 10, "end"))
    body += _volume_bars(hours, (since, until), st, (left, width - right), (base, plot_h, ymax))
    body += _volume_days(st, (since, until), (left, width - right), (top, base))
    return svg(width, height, "Hourly sending against the account's norm", body)


def _volume_bars(
    hours: Sequence[tuple[int, int, float, float]],
    times: tuple[int, int],
    st: ServerTime,
    edges: tuple[int, int],
    scale: tuple[int, int, float],
) -> list[str]:
    """A bar per hour with mail (red above the norm) and the norm as a line. ``edges``
    are the plot's left and right x, ``scale`` its baseline y, height and top value."""
    since, until = times
    left, right = edges
    base, plot_h, ymax = scale
    n = max(1, (until - since) // 3600)
    bw = (right - left) / n
    by_hour = {h: (m, med, mad) for h, m, med, mad in hours}
    body: list[str] = []
    norm_points = []
    for i in range(n):
        ts = since - since % 3600 + i * 3600
        m, med, mad = by_hour.get(ts, (0, 0.0, 0.0))
        x = left + i * bw
        if m:
            h = m / ymax * plot_h
            odd = m > med + max(3 * mad, 2)
            colour = FAILED if odd else SENT
            body.append(
                f'<rect x="{num(x)}" y="{num(base - h)}" width="{num(max(bw, 0.8))}" '
                f'height="{num(h)}" fill="{colour}"><title>{escape(st.fmt_hour(ts))}: {m} '
                f"sent, usually {num(med)}</title></rect>"
            )
        norm_points.append(f"{num(x)},{num(base - med / ymax * plot_h)}")
        norm_points.append(f"{num(x + bw)},{num(base - med / ymax * plot_h)}")
    body.append(
        f'<polyline points="{" ".join(norm_points)}" fill="none" stroke="{NORM}" stroke-width="2"/>'
    )
    return body


def _volume_days(
    st: ServerTime, times: tuple[int, int], edges: tuple[int, int], rows: tuple[int, int]
) -> list[str]:
    """Day ticks at local midnight, labelled where there is room; ``edges`` are the
    plot's left and right x, ``rows`` the top and bottom y of the lines."""
    since, until = times
    left, right = edges
    top, base = rows
    body: list[str] = []
    first_local = st.local(since)
    tick = since - (first_local.hour * 3600 + first_local.minute * 60) + 86400
    while tick < until:
        local = st.local(tick)
        x = left + (tick - since) / max(1, until - since) * (right - left)
        body.append(
            f'<line x1="{num(x)}" x2="{num(x)}" y1="{top}" y2="{base}" '
            f'stroke="{GRID}" stroke-dasharray="2,3"/>'
        )
        if x < right - 60:
            body.append(
                svg_text(
                    x + 3, base + 16, f"{DAY_NAMES[local.weekday()]} {local.strftime('%d %b')}", 10
                )
            )
        tick += 86400
    return body
