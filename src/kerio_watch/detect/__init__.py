"""Detectors, registered by name.

To add one: write ``detect/<name>.py`` (see :mod:`kerio_watch.detect.base`), add one
line to :data:`DETECTORS`, and add ``tests/detect/test_<name>.py``.
"""

from __future__ import annotations

from typing import Any

from kerio_watch.detect.base import Detector, RuleDoc
from kerio_watch.detect.context import Context
from kerio_watch.detect.from_mismatch import FromMismatchDetector
from kerio_watch.errors import ConfigError

DETECTORS: dict[str, Any] = {
    "from_mismatch": FromMismatchDetector,
}
"""Detector name -> class (called as ``cls(ctx, options)``)."""


def all_rules() -> list[RuleDoc]:
    """Every documented rule of every registered detector."""
    return [rule for cls in DETECTORS.values() for rule in cls.rules]


def build_detectors(ctx: Context) -> list[Detector]:
    """Instantiate the enabled detectors with their ``[detectors.<name>]`` options.

    Raises:
        ConfigError: an unknown detector name or a bad option.
    """
    options = ctx.config.detectors
    problems: list[str] = []
    for name in options:
        if name not in DETECTORS:
            valid = ", ".join(sorted(DETECTORS))
            problems.append(
                f"{ctx.config.source}: detectors.{name}: unknown detector (valid: {valid})"
            )
    built: list[Detector] = []
    for name, cls in DETECTORS.items():
        opts = dict(options.get(name, {}))
        enabled = opts.pop("enabled", True)
        if not isinstance(enabled, bool):
            problems.append(
                f"{ctx.config.source}: detectors.{name}.enabled: expected true or "
                f"false, got {enabled!r}"
            )
            continue
        if not enabled:
            continue
        unknown = sorted(set(opts) - set(cls.defaults))
        for key in unknown:
            valid = ", ".join(["enabled", *sorted(cls.defaults)])
            problems.append(
                f"{ctx.config.source}: detectors.{name}.{key}: unknown option (valid: {valid})"
            )
        if unknown:
            continue
        try:
            built.append(cls(ctx, opts))
        except ValueError as exc:
            problems.append(f"{ctx.config.source}: detectors.{name}.{exc}")
    if problems:
        raise ConfigError(problems)
    return built
