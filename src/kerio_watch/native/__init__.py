"""The engine: the native core (Rust, ``kerio_watch._native``) or pure Python.

kerio-watch always works in pure Python. When the extension was built at install time
(cargo was available, see ``hatch_build.py``), ``auto`` selects it; ``--engine`` (or the
``KERIO_WATCH_ENGINE`` environment variable) forces either engine. Both give the same
results: the native engine reads, frames and parses lines, pre-filters the ``Sent:``
lines no detector needs, keeps the profiles' address books and sums the hourly
activity, faster (``docs/native.md``).
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from types import ModuleType

from kerio_watch.errors import KerioWatchError
from kerio_watch.exitcodes import ExitStatus

ABI = 12
"""The boundary version this Python code speaks (``_native.ABI`` must match)."""
ENGINES = ("auto", "python", "native")
ENV = "KERIO_WATCH_ENGINE"

_requested: str | None = None


class EngineError(KerioWatchError):
    """The requested engine cannot run here."""

    exit_status = ExitStatus.CONFIG_ERROR


@dataclass(frozen=True)
class Engine:
    """The engine a run uses: its name, the extension (native) and a note why."""

    name: str
    module: ModuleType | None
    note: str

    def describe(self) -> str:
        """One line for ``--version`` and ``status``."""
        return f"{self.name} ({self.note})"


def load_extension() -> tuple[ModuleType | None, str]:
    """The native extension, or None and why it cannot be used."""
    try:
        module = importlib.import_module("kerio_watch._native")
    except ImportError as exc:
        return None, f"the native extension is not built: {exc}"
    abi = getattr(module, "ABI", None)
    if abi != ABI:
        return None, f"the native extension speaks boundary {abi}, not {ABI}: reinstall"
    return module, f"Rust core {getattr(module, '__version__', '?')}"


def set_engine(choice: str | None) -> None:
    """Select the engine for this process (the CLI's ``--engine``)."""
    global _requested  # noqa: PLW0603 (one process-wide choice, like an env var)
    _requested = choice


def requested() -> str:
    """What was asked for: ``--engine``, else ``KERIO_WATCH_ENGINE``, else ``auto``."""
    choice = _requested or os.environ.get(ENV, "") or "auto"
    return choice.strip().lower()


def resolve(choice: str | None = None) -> Engine:
    """The engine to run for ``choice`` (default: :func:`requested`).

    Raises:
        EngineError: an unknown choice, or ``native`` where the extension is not built.
    """
    choice = choice or requested()
    if choice not in ENGINES:
        raise EngineError(
            f"unknown engine {choice!r} (from --engine or {ENV}): use {', '.join(ENGINES)}"
        )
    if choice == "python":
        return Engine("python", None, "pure Python, as requested")
    module, note = load_extension()
    if module is not None:
        return Engine("native", module, note)
    if choice == "native":
        raise EngineError(
            f"the native engine was requested but {note} "
            "(install with cargo on PATH, or use --engine python)"
        )
    return Engine("python", None, note)


def describe() -> str:
    """Which engine runs, for ``--version`` (never raises)."""
    try:
        return resolve().describe()
    except EngineError as exc:
        return f"unavailable: {exc}"
