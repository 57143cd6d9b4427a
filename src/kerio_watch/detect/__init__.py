"""Detectors, registered by name.

To add one: write ``detect/<name>.py`` (see :mod:`kerio_watch.detect.base`), add one
line to :data:`DETECTORS`, and add ``tests/detect/test_<name>.py``.
"""

from __future__ import annotations

from typing import Any

from kerio_watch.detect.auth import AuthDetector
from kerio_watch.detect.base import Detector, RuleDoc, option
from kerio_watch.detect.bounces import BouncesDetector
from kerio_watch.detect.context import Context
from kerio_watch.detect.direct_smtp import DirectSmtpDetector
from kerio_watch.detect.from_mismatch import FromMismatchDetector
from kerio_watch.detect.new_host import NewHostDetector
from kerio_watch.detect.new_recipients import NewRecipientsDetector
from kerio_watch.detect.odd_hours import OddHoursDetector
from kerio_watch.detect.one_to_many import OneToManyDetector
from kerio_watch.detect.queue_api import QueueApiDetector
from kerio_watch.detect.queue_backlog import QueueBacklogDetector
from kerio_watch.detect.unusual_service import UnusualServiceDetector
from kerio_watch.detect.volume import VolumeDetector
from kerio_watch.errors import ConfigError

DETECTORS: dict[str, Any] = {
    "from_mismatch": FromMismatchDetector,
    "auth": AuthDetector,
    "new_host": NewHostDetector,
    "unusual_service": UnusualServiceDetector,
    "odd_hours": OddHoursDetector,
    "new_recipients": NewRecipientsDetector,
    "one_to_many": OneToManyDetector,
    "volume": VolumeDetector,
    "bounces": BouncesDetector,
    "queue_backlog": QueueBacklogDetector,
    "direct_smtp": DirectSmtpDetector,
    "queue_api": QueueApiDetector,
}
"""Detector name -> class (called as ``cls(ctx, options)``)."""


def all_rules() -> list[RuleDoc]:
    """Every documented rule of every registered detector."""
    return [rule for cls in DETECTORS.values() for rule in cls.rules]


def detector_problems(options: dict[str, Any]) -> list[str]:
    """Problems with ``[detectors.<name>]`` tables: unknown names, options or types."""
    problems: list[str] = []
    for name, opts in options.items():
        cls = DETECTORS.get(name)
        if cls is None:
            valid = ", ".join(sorted(DETECTORS))
            problems.append(f"detectors.{name}: unknown detector (valid: {valid})")
            continue
        if not isinstance(opts, dict):
            problems.append(f"detectors.{name}: expected a table")
            continue
        enabled = opts.get("enabled", True)
        if not isinstance(enabled, bool):
            problems.append(f"detectors.{name}.enabled: expected true or false, got {enabled!r}")
        for key, value in opts.items():
            if key == "enabled":
                continue
            if key not in cls.defaults:
                valid = ", ".join(["enabled", *sorted(cls.defaults)])
                problems.append(f"detectors.{name}.{key}: unknown option (valid: {valid})")
                continue
            try:
                option({key: value}, key, cls.defaults[key])
            except ValueError as exc:
                problems.append(f"detectors.{name}.{exc}")
    return problems


def build_detectors(ctx: Context) -> list[Detector]:
    """Instantiate the enabled detectors with their ``[detectors.<name>]`` options.

    Raises:
        ConfigError: an unknown detector name or a bad option.
    """
    options = ctx.config.detectors
    problems = [f"{ctx.config.source}: {p}" for p in detector_problems(options)]
    if problems:
        raise ConfigError(problems)
    return [
        cls(ctx, {k: v for k, v in options.get(name, {}).items() if k != "enabled"})
        for name, cls in DETECTORS.items()
        if options.get(name, {}).get("enabled", True)
    ]
