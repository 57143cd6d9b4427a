"""Commands suggested to the user, spelled so that they work where kerio-watch was installed.

After ``python3.11 -m venv .venv && .venv/bin/pip install .`` the user runs
``.venv/bin/kerio-watch``: a suggested ``kerio-watch incidents`` would say "command not
found", and ``pip install 'kerio-watch[web]'`` would reach for the package index instead
of the checkout the user installed from. These helpers name the program as it was run
and the source it was installed from.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import click
from click.core import ParameterSource

SCRIPT_NAMES = ("kerio-watch", "kerio-watch.exe", "kerio-watch-script.py")


def _short(path: Path) -> str:
    """``path`` relative to the working directory when it is below it, else absolute
    (a relative path keeps a slash, so a shell runs it rather than searching PATH)."""
    try:
        rel = path.relative_to(Path.cwd())
    except ValueError:
        return str(path)
    return str(rel) if rel.parent != Path() else f"./{rel}"


def invocation(argv0: str | None = None) -> str:
    """How to run kerio-watch again: ``kerio-watch`` when that is the program on the
    PATH, else the path the user typed (``.venv/bin/kerio-watch``), else ``python -m``.
    """
    arg = argv0 if argv0 is not None else (sys.argv[0] if sys.argv else "")
    if Path(arg).name in SCRIPT_NAMES:
        typed = Path(arg).absolute()
        found = shutil.which("kerio-watch")
        if found and Path(found).resolve() == typed.resolve():
            return "kerio-watch"
        return shlex.quote(_short(typed))
    return f"{shlex.quote(_short(Path(sys.executable)))} -m kerio_watch"


STORE_OPTIONS = (("db_path", "--db"), ("config_path", "-c"))
"""The parameters that say which database and configuration a command used, with the
option that gives them."""


def same_store() -> str:
    """The ``--db`` and ``-c`` the running command was given on its command line, as
    options to append to a suggested command (``""`` when none was given).

    ``ack 172 --undo`` suggested after ``ack 172 --db demo/state.db --resolve`` ran on
    the default database: "no such database", or worse, another incident numbered 172.
    A value from the environment ($KERIO_WATCH_DB) needs nothing: the suggestion runs
    with the same environment.
    """
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return ""
    given = []
    for name, option in STORE_OPTIONS:
        value = ctx.params.get(name)
        if value is not None and ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE:
            given.append(f" {option} {shlex.quote(str(value))}")
    return "".join(given)


def install_source() -> str:
    """What to give pip to reinstall this kerio-watch: the checkout it came from
    (``.`` when that is the working directory) or the package name."""
    # imported here: ``importlib.metadata`` (and the ``email`` package it loads) would
    # cost every command's start-up, for a hint only a few error messages give
    from importlib import metadata  # noqa: PLC0415

    try:
        text = metadata.distribution("kerio-watch").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        text = None
    if text:
        try:
            url = urlparse(str(json.loads(text).get("url", "")))
        except ValueError:
            url = None
        if url is not None and url.scheme == "file":
            path = Path(unquote(url.path))
            return "." if path == Path.cwd() else _short(path)
    return "kerio-watch"


def pip_install(extra: str | None = None) -> str:
    """``<this python> -m pip install '<source>[extra]'``."""
    source = install_source()
    target = f"{source}[{extra}]" if extra else source
    return f"{shlex.quote(_short(Path(sys.executable)))} -m pip install {shlex.quote(target)}"
