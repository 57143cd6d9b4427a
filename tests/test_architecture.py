"""The layering contract of docs/architecture.md, checked on every run of the suite.

The contract lives in ``pyproject.toml`` (``[tool.importlinter]``): each top-level part of
the package has a layer, and a part imports only from its own layer and the layers below,
directly or through other modules (import-linter follows indirect chains too). A new
top-level module without a layer breaks it (``exhaustive``), so the map stays complete.
"""

from __future__ import annotations

from pathlib import Path

from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_layers_are_kept() -> None:
    """No import from a lower layer up, and so no import circle between parts."""
    assert lint_imports(config_filename=str(PYPROJECT), no_cache=True) == 0
