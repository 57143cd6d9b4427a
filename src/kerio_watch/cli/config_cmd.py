"""``kerio-watch config check``: validate and show the resolved configuration."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kerio_watch.app.reference import reference_markdown
from kerio_watch.app.show import config_toml
from kerio_watch.cli.common import load
from kerio_watch.cli.options import config_option
from kerio_watch.settings.config import read_toml
from kerio_watch.web.settings import web_settings


@click.group("config")
def config_group() -> None:
    """Check and show the configuration."""


@config_group.command("check")
@config_option
def check(config_path: Path | None) -> None:
    """Validate the configuration and print it resolved as TOML, with secrets masked.

    Keys the file does not set are marked ``# default``. Exits 3 and lists every
    problem (file, key, what is expected) when it is invalid.
    """
    config = load(config_path)
    web_settings(config)  # the secrets [web] points to are read here, like serve does
    document = read_toml(config_path)
    click.echo(config_toml(config, document[0] if document else {}), nl=False)
    click.echo(f"configuration OK ({config.source})", err=True)


@config_group.command("reference")
def reference() -> None:
    """Print the configuration reference (Markdown, as in docs/configuration.md)."""
    sys.stdout.write(reference_markdown())


COMMANDS = [config_group]
