"""``kerio-watch config check``: validate and show the resolved configuration."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kerio_watch.cli.common import load
from kerio_watch.cli.options import config_option
from kerio_watch.config import config_as_dict, reference_markdown
from kerio_watch.detect import DETECTORS
from kerio_watch.web.settings import web_settings


@click.group("config")
def config_group() -> None:
    """Check and show the configuration."""


@config_group.command("check")
@config_option
def check(config_path: Path | None) -> None:
    """Validate the configuration and print it resolved, with secrets masked.

    Exits 3 and lists every problem (file, key, what is expected) when it is invalid.
    """
    config = load(config_path)
    web_settings(config)  # [web] is validated (and its secrets read) here, like serve does
    data = config_as_dict(config)
    data["detectors"] = {
        name: {**cls.defaults, **config.detectors.get(name, {})} for name, cls in DETECTORS.items()
    }
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    click.echo(f"configuration OK ({config.source})", err=True)


@config_group.command("reference")
def reference() -> None:
    """Print the configuration reference (Markdown, as in docs/configuration.md)."""
    sys.stdout.write(reference_markdown())


COMMANDS = [config_group]
