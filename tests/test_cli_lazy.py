"""The command line imports a command's module only when that command runs."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

from kerio_watch.cli import COMMANDS, command
from kerio_watch.enrich.geocache import CACHE_ENV
from logtools import SAMPLES


def test_the_table_names_every_command_of_every_module() -> None:
    """``COMMANDS`` and the modules' ``COMMANDS`` lists agree, both ways."""
    declared = {}
    for module in set(COMMANDS.values()):
        for cmd in importlib.import_module(f"kerio_watch.cli.{module}").COMMANDS:
            declared[cmd.name] = module
    assert declared == COMMANDS
    for name in COMMANDS:
        found = command(name)
        assert found is not None
        assert found.name == name
    assert command("no-such-command") is None


def test_scan_does_not_import_the_dashboard_or_the_follower() -> None:
    """Starting the program imports no command module; running one imports its own."""
    code = (
        "import sys\n"
        "from kerio_watch.cli import main\n"
        "before = {m for m in sys.modules if m.startswith('kerio_watch.cli.')}\n"
        "main(['scan', '--help'], standalone_mode=False)\n"
        "after = {m for m in sys.modules if m.startswith('kerio_watch.')}\n"
        "print(sorted(before))\n"
        "print('kerio_watch.web' in after or 'kerio_watch.web.app' in after,"
        " 'kerio_watch.cli.follow' in after, 'kerio_watch.cli.scan' in after)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    assert out[-2] == "[]"
    assert out[-1] == "False False True"


NOT_FOR_A_SCAN = (
    "kerio_watch.service",  # the follower
    "kerio_watch.respond",  # containment through Kerio's API
    "kerio_watch.alerts.registry",  # the sinks, and what they load:
    "smtplib",
    "ssl",
    "urllib.request",
    "subprocess",
    "importlib.metadata",  # an install hint of a few error messages
    "rich.progress",  # the bar, on a terminal only
    "geoip2fast",  # its data file is read by the geo table
)
"""Modules a scan without ``[[sinks]]`` or a progress bar has no use for."""


def test_a_scan_imports_no_sink_follower_or_bar(tmp_path: Path) -> None:
    """A whole scan (every sample log, outside addresses looked up in the geo table)
    imports none of :data:`NOT_FOR_A_SCAN`: they were a quarter of its start-up."""
    code = (
        "import sys\n"
        "from kerio_watch.cli import main\n"
        "try:\n"
        f"    main(['scan', '--no-progress', '--db', {str(tmp_path / 'state.db')!r},"
        f" {str(SAMPLES)!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"names = {NOT_FOR_A_SCAN!r}\n"
        "print(sorted(n for n in names if n in sys.modules))\n"
        "print('kerio_watch.enrich.geotable' in sys.modules)\n"
    )
    env = {**os.environ, CACHE_ENV: str(tmp_path / "cache")}
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env
    ).stdout.splitlines()
    assert out[-2] == "[]"
    assert out[-1] == "True"  # the geo table was loaded: the scan met outside addresses
