"""``kerio-watch test-sink``: send a sample alert to one configured sink."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from kerio_watch.alerts.base import Digest, DigestSink, Sink
from kerio_watch.alerts.digest import build_digest
from kerio_watch.alerts.render import sample_alert
from kerio_watch.alerts.router import build_sinks
from kerio_watch.alerts.workers import send_with_deadline
from kerio_watch.cli.common import config_problem, load
from kerio_watch.cli.options import config_option, severity_choice
from kerio_watch.errors import ConfigError, SinkError
from kerio_watch.exitcodes import ExitStatus
from kerio_watch.severity import Severity


def _sample_digest(severity: Severity, sink: Sink[Any], zone: Any) -> Digest:
    now = time.time()
    digest = build_digest(
        [sample_alert(severity, now)], [], lambda _i: "open", now - 86400, now, zone
    )
    return Digest("TEST " + digest.subject, digest.text)


@click.command("test-sink")
@config_option
@click.option(
    "--severity",
    type=severity_choice(),
    default="high",
    show_default=True,
    help="Severity of the sample alert.",
)
@click.argument("name", required=False)
def test_sink(config_path: Path | None, severity: str, name: str | None) -> None:
    """Send a sample alert to the sink NAME to check that delivery works.

    Without NAME, list the configured sinks (secrets masked). The sample is marked as
    a test and goes straight to the sink: min_severity, cooldown, the hourly cap and
    the delivery queue do not apply, and nothing is written to the state database.
    For a digest sink, a sample digest is sent. Exits 5 when delivery fails.

    Example: kerio-watch test-sink --config /etc/kerio-watch/kerio-watch.toml ops-mail
    """
    config = load(config_path)
    sinks = build_sinks(config)
    if not sinks:
        raise config_problem(config, "no [[sinks]] configured", "see docs/alerts.md for examples")
    if name is None:
        for sink in sinks:
            click.echo(sink.describe())
        return
    by_name = {s.name: s for s in sinks}
    if name not in by_name:
        raise ConfigError(
            [f"no sink named {name!r} in {config.source} (configured: {', '.join(by_name)})"]
        )
    sink = by_name[name]
    level = Severity.parse(severity)
    digest_at = sink.digest_time() if isinstance(sink, DigestSink) else None
    payload = _sample_digest(level, sink, config.site.zone()) if digest_at else sample_alert(level)
    what = "a sample digest" if digest_at else f"a {level.label} test alert"
    click.echo(f"sending {what} to {sink.describe()}", err=True)
    if not sink.options.enabled:
        click.echo("note: this sink is disabled (enabled = false); testing it anyway", err=True)
    if not digest_at and level < sink.options.min_severity:
        click.echo(
            f"note: real alerts below {sink.options.min_severity.label} are not sent to this "
            "sink (min_severity)",
            err=True,
        )
    try:
        elapsed = send_with_deadline(sink, payload)
    except SinkError as exc:
        click.echo(f"FAILED: {exc}", err=True)
        sys.exit(int(ExitStatus.INPUT_ERROR))
    click.echo(f"OK: {sink.name} accepted it in {elapsed:.1f} s", err=True)
    if digest_at:
        click.echo(f"(real digests go out daily at {digest_at})", err=True)


COMMANDS = [test_sink]
