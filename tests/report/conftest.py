"""Fixtures for report tests: a small Kerio site's logs, scanned into a state database."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest


def load_sitelogs() -> ModuleType:
    """``tests/report/sitelogs.py`` (test folders are not packages under importlib mode)."""
    name = "kerio_watch_test_sitelogs"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("sitelogs.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


sitelogs = load_sitelogs()


@dataclass(frozen=True)
class Site:
    """A scanned site: its logs folder, config file and state database."""

    logs: Path
    config: Path
    db: Path


@pytest.fixture(scope="session")
def scanned_site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """Built once per session; tests that write use :func:`site` instead."""
    return Site(*sitelogs.build_site(tmp_path_factory.mktemp("site")))


@pytest.fixture
def site(scanned_site: Site, tmp_path: Path) -> Site:
    """A private copy of the scanned site (safe to modify)."""
    db = tmp_path / "state.db"
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(scanned_site.db) + suffix)
        if src.exists():
            shutil.copy(src, str(db) + suffix)
    return Site(scanned_site.logs, scanned_site.config, db)
