"""What the sinks' delivery queue says (see :mod:`.router`): per sink health, and the
report of what one run delivered."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.markup import escape

from kerio_watch.alerts.base import Sink
from kerio_watch.log import ROUTER, get_logger
from kerio_watch.store.base import Store
from kerio_watch.textsafe import printable
from kerio_watch.values.delivery import COLLECTED, FAILED, HELD, PENDING, SENDING, SENT

log = get_logger(ROUTER)


def sink_health(store: Store, sinks: dict[str, Sink[Any]]) -> list[dict[str, object]]:
    """Per sink: name, type, enabled, ok, last_error, pending, sent, failed, held,
    collected."""
    try:
        counts = store.delivery_counts()
    except Exception:
        log.exception("cannot read the delivery queue")
        counts = {}
    out: list[dict[str, object]] = []
    for name, sink in sinks.items():
        n = counts.get(name, {})
        try:
            last = store.deliveries(sink=name, order="tried", limit=1)
        except Exception:
            last = []
        tried = last[0] if last and last[0].last_try is not None else None
        error = tried.last_error if tried is not None else None
        out.append(
            {
                "name": name,
                "type": sink.type,
                "enabled": sink.options.enabled,
                "ok": error is None,
                "last_error": error,
                "pending": n.get(PENDING, 0) + n.get(SENDING, 0),
                "sent": n.get(SENT, 0),
                "failed": n.get(FAILED, 0),
                "held": n.get(HELD, 0),
                "collected": n.get(COLLECTED, 0),
                "last_try": tried.last_try if tried is not None else None,
            }
        )
    return out


def delivery_report(before: list[dict[str, object]], after: list[dict[str, object]]) -> list[str]:
    """One line per sink saying what a run delivered and what is still waiting.

    Args:
        before: :meth:`Router.health` at the start of the run.
        after: :meth:`Router.health` at the end.
    """
    prev = {h["name"]: h for h in before}

    def delta(h: dict[str, object], key: str) -> int:
        return max(0, _int(h[key]) - _int(prev.get(h["name"], {}).get(key, 0)))

    lines = []
    for h in after:
        parts = [f"{delta(h, 'sent')} sent"]
        if h["pending"]:
            parts.append(f"{h['pending']} waiting (cooldown or retry)")
        if h["held"]:
            parts.append(f"{h['held']} held back by max_per_hour (summarised after the hour)")
        if h["collected"]:
            parts.append(f"{h['collected']} kept for the next digest")
        if delta(h, "failed"):
            parts.append(f"{delta(h, 'failed')} given up after 24 h of retries")
        line = f"sink {h['name']} ({h['type']}): " + ", ".join(parts)
        if not h["ok"]:
            line += f"; last error: {h['last_error']}"
        lines.append(line)
    return lines


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def status_markup(sink: Mapping[str, Any]) -> str:
    """One sink of :func:`sink_health` as ``kerio-watch status`` prints it (rich markup;
    its name and error are escaped: a server's answer may hold brackets)."""
    error = escape(printable(str(sink["last_error"])))
    ok = "[green]ok[/green]" if sink["ok"] else f"[red]failing[/red]: {error}"
    if sink.get("enabled") is False:
        ok = "[yellow]disabled[/yellow] (enabled = false)"
    return (
        f"sink {escape(printable(str(sink['name'])))}: {ok}; {sink['pending']} pending, "
        f"{sink['sent']} sent, {sink['failed']} failed"
    )
