"""Hatch build hook: compile the native core (``native/``, Rust) into the wheel when it can.

With ``cargo`` on ``PATH`` the hook runs ``cargo build --release`` on the crate and puts
the extension in the wheel as ``kerio_watch/_native.abi3.so`` (one wheel for CPython
3.11 and later, tagged for this platform). For an editable install
(``pip install -e .``) it copies the extension into ``src/kerio_watch/`` instead, where
the editable install imports the package from.

Without cargo, or when the build fails (no network for crates.io, an old toolchain),
the hook says so and the wheel is pure Python: kerio-watch then runs its Python engine,
and ``kerio-watch --version`` tells which engine runs.

``KERIO_WATCH_NATIVE`` steers it: ``auto`` (the default), ``0`` (never build: pure
Python), ``1`` (build or fail the install: CI uses this).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

CRATE = "native"
LIBRARIES = {"linux": "libkerio_native.so", "darwin": "libkerio_native.dylib"}
MODULE = "_native.abi3.so"


def _note(message: str) -> None:
    print(f"kerio-watch build: {message}", file=sys.stderr, flush=True)


class NativeBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Builds the Rust extension when cargo is there; pure Python otherwise."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Build the extension and add it to the wheel (or the source tree, editable)."""
        if self.target_name != "wheel":
            return
        mode = os.environ.get("KERIO_WATCH_NATIVE", "auto").strip().lower()
        root = Path(self.root)
        installed = root / "src" / "kerio_watch" / MODULE
        if version == "editable":
            installed.unlink(missing_ok=True)  # never leave a stale build behind
        if mode in {"0", "off", "no", "false"}:
            _note("KERIO_WATCH_NATIVE=0: pure-Python engine only")
            return
        library = self._build(root, required=mode in {"1", "on", "yes", "true", "require"})
        if library is None:
            return
        if version == "editable":
            # A new file, not an overwrite: a running kerio-watch keeps its mapped copy.
            partial = installed.with_suffix(".partial")
            shutil.copyfile(library, partial)
            partial.replace(installed)
        else:
            build_data["force_include"][str(library)] = f"kerio_watch/{MODULE}"
        build_data["pure_python"] = False
        platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
        build_data["tag"] = f"cp311-abi3-{platform}"

    def _build(self, root: Path, required: bool) -> Path | None:
        """Run cargo; the built library, or None (with a note) when it cannot."""
        manifest = root / CRATE / "Cargo.toml"
        cargo = shutil.which("cargo")
        library_name = LIBRARIES.get(sys.platform)
        why = None
        if not manifest.exists():
            why = f"{manifest} is missing"
        elif cargo is None:
            why = "cargo is not on PATH"
        elif library_name is None:
            why = f"no native build for {sys.platform} yet"
        if why is not None or cargo is None or library_name is None:
            self._skip(f"{why}: building the pure-Python engine only", required)
            return None
        env = dict(os.environ)
        env["PYO3_PYTHON"] = sys.executable
        env["PYO3_BUILD_EXTENSION_MODULE"] = "1"
        command = [cargo, "build", "--release", "--locked", "--features", "python"]
        command += ["--manifest-path", str(manifest)]
        _note("building the native core: " + " ".join(command[1:]))
        start = time.monotonic()
        try:
            subprocess.run(command, check=True, env=env, cwd=root / CRATE)  # noqa: S603
        except (OSError, subprocess.CalledProcessError) as exc:
            self._skip(f"cargo failed ({exc}): building the pure-Python engine only", required)
            return None
        library = root / CRATE / "target" / "release" / library_name
        if not library.exists():
            self._skip(f"{library} was not built: pure-Python engine only", required)
            return None
        _note(f"native core built in {time.monotonic() - start:.0f} s")
        return library

    @staticmethod
    def _skip(message: str, required: bool) -> None:
        _note(message)
        if required:
            raise RuntimeError(f"KERIO_WATCH_NATIVE=1 but {message}")
