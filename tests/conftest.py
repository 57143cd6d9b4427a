"""Shared fixtures: writing Kerio log files and running the CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kerio_watch.cli import main
from logtools import SAMPLES, SHARED_SAMPLES  # noqa: F401 (re-exported for tests)


@pytest.fixture
def write_log(tmp_path: Path) -> Callable[..., Path]:
    """Write lines into ``tmp_path/logs/<name>`` and return the path."""

    def write(name: str, lines: list[str], directory: str = "logs") -> Path:
        folder = tmp_path / directory
        folder.mkdir(exist_ok=True)
        path = folder / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., Result]:
    """Run ``kerio-watch`` in-process with a fresh state database unless --db is given."""

    def run(*args: str, input: str | bytes | None = None) -> Result:
        argv = list(args)
        if argv and argv[0] in {"scan"} and "--db" not in argv:
            argv[1:1] = ["--db", str(tmp_path / "state.db")]
        return CliRunner().invoke(main, argv, input=input, catch_exceptions=False)

    return run
