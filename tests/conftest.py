"""Shared fixtures: writing Kerio log files, running the CLI, a small scanned site."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

import sitelogs
from kerio_watch.cli import main
from kerio_watch.enrich.geocache import CACHE_ENV
from logtools import SAMPLES, SHARED_SAMPLES  # noqa: F401 (re-exported for tests)
from sitelogs import Site


@pytest.fixture(autouse=True, scope="session")
def _geo_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The geo table's cache file (:mod:`kerio_watch.enrich.geocache`) goes to the
    session's temporary folder, not the user's cache."""
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(tmp_path_factory.mktemp("cache"))
    yield
    if before is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = before


@pytest.fixture(autouse=True)
def _service_log_reset() -> Iterator[None]:
    """Every test starts with kerio-watch's log as a fresh process has it.

    A command run in-process (``follow``, possibly in a thread that outlives its test)
    points the log at its own stream and stops it propagating, so a later test's
    ``caplog`` would see nothing.
    """
    _reset_log()
    yield
    _reset_log()


def _reset_log() -> None:
    logger = logging.getLogger("kerio_watch")
    logger.handlers.clear()
    logger.setLevel(logging.NOTSET)
    logger.propagate = True
    for name, child in logging.Logger.manager.loggerDict.items():
        if name.startswith("kerio_watch") and isinstance(child, logging.Logger):
            child.disabled = False


# Deadlines and the too_slow health check judge the machine, not the property: a loaded
# 2-CPU CI machine misses them, and so does the first test that draws text on a fresh
# checkout (Hypothesis builds its Unicode tables then: 2-3 s; ``pytest tests/respond``
# failed there every time). No run has them. CI also runs on a fixed seed so that a run
# is reproducible; locally the property tests explore new examples every time.
settings.register_profile(
    "kerio-watch", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("ci", settings.get_profile("kerio-watch"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "kerio-watch")


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
def deny_reading(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], None]:
    """Make files unreadable to kerio-watch's Python code, as a file without read
    permission is to a user without it (tests may run as root, who reads any file).

    Opening a denied file with :meth:`Path.open` (how kerio-watch's Python reader and
    its checks open logs) raises :class:`PermissionError`.
    """
    denied: set[Path] = set()
    real_open = Path.open

    def guarded(self: Path, *args: object, **kwargs: object) -> object:
        if self.resolve() in denied:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", guarded)
    return lambda path: denied.add(path.resolve())


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., Result]:
    """Run ``kerio-watch`` in-process with a fresh state database unless --db is given."""

    def run(*args: str, input: str | bytes | None = None) -> Result:
        argv = list(args)
        if argv and argv[0] in {"scan"} and "--db" not in argv:
            argv[1:1] = ["--db", str(tmp_path / "state.db")]
        return CliRunner().invoke(main, argv, input=input, catch_exceptions=False)

    return run


@pytest.fixture(scope="session")
def scanned_site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """Built once per session; tests that write use :func:`site` instead."""
    return Site(*sitelogs.build_site(tmp_path_factory.mktemp("site")))


@pytest.fixture
def site(scanned_site: Site, tmp_path: Path) -> Site:
    """A private copy of the scanned site (safe to modify, e.g. acknowledgements)."""
    db = tmp_path / "state.db"
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(scanned_site.db) + suffix)
        if src.exists():
            shutil.copy(src, str(db) + suffix)
    return Site(scanned_site.logs, scanned_site.config, db)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``kerio-watch demo`` once per session (about 5 s): its folder and its output.

    Read-only: tests that change the database copy it with :func:`demo_copy`.
    """
    folder = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(main, ["demo", "--dir", str(folder)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return folder, result.output


@pytest.fixture(scope="session")
def demo_site(demo_run: tuple[Path, str]) -> Path:
    """The demo's folder: logs, kerio-watch.toml, truth.json and state.db."""
    return demo_run[0]


@pytest.fixture(scope="session")
def demo_output(demo_run: tuple[Path, str]) -> str:
    """What ``kerio-watch demo`` printed (stdout and stderr)."""
    return demo_run[1]


@pytest.fixture
def demo_copy(demo_site: Path, tmp_path: Path) -> Path:
    """A private copy of the demo's database (safe to acknowledge in)."""
    db = tmp_path / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(demo_site / "state.db") + suffix)
        if src.exists():
            shutil.copy(src, str(db) + suffix)
    return db
