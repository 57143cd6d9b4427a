"""Detectors, registered by name.

To add one: write ``detect/<name>.py`` (see :mod:`kerio_watch.detect.base`), add one
line to :data:`DETECTORS`, and add ``tests/detect/test_<name>.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kerio_watch.detect.admin_changes import AdminChangesDetector
from kerio_watch.detect.auth import AuthDetector
from kerio_watch.detect.base import Detector, RuleDoc
from kerio_watch.detect.bounces import BouncesDetector
from kerio_watch.detect.context import Context
from kerio_watch.detect.cover_up import CoverUpDetector
from kerio_watch.detect.direct_smtp import DirectSmtpDetector
from kerio_watch.detect.forwarding import ForwardingDetector
from kerio_watch.detect.from_mismatch import FromMismatchDetector
from kerio_watch.detect.internal_fanout import InternalFanoutDetector
from kerio_watch.detect.new_host import NewHostDetector
from kerio_watch.detect.new_recipients import NewRecipientsDetector
from kerio_watch.detect.odd_hours import OddHoursDetector
from kerio_watch.detect.one_to_many import OneToManyDetector
from kerio_watch.detect.queue_api import QueueApiDetector
from kerio_watch.detect.queue_backlog import QueueBacklogDetector
from kerio_watch.detect.unusual_service import UnusualServiceDetector
from kerio_watch.detect.volume import VolumeDetector
from kerio_watch.errors import ConfigError
from kerio_watch.settings.schema import Report, Style, build

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
    "forwarding": ForwardingDetector,
    "admin_changes": AdminChangesDetector,
    "cover_up": CoverUpDetector,
    "internal_fanout": InternalFanoutDetector,
}
"""Detector name -> class (called as ``cls(ctx, options)``)."""


def all_rules() -> list[RuleDoc]:
    """Every documented rule of every registered detector."""
    return [rule for cls in DETECTORS.values() for rule in cls.rules]


def _unknown_option(key: str, valid: Sequence[str]) -> str:
    return f"unknown option (valid: {', '.join(['enabled', *sorted(valid)])})"


OPTIONS_STYLE = Style(unknown=_unknown_option, skip=frozenset({"enabled"}))
"""How ``[detectors.NAME]`` tables read (each option's range is declared with it)."""


def detector_options(tables: Mapping[str, Any], add: Report) -> dict[str, Any]:
    """Each registered detector's options from its ``[detectors.<name>]`` table (the
    defaults without one); unknown names, options and wrong types go to ``add``."""
    for name, table in tables.items():
        if name not in DETECTORS:
            add(f"detectors.{name}", f"unknown detector (valid: {', '.join(sorted(DETECTORS))})")
        elif not isinstance(table, dict):
            add(f"detectors.{name}", "expected a table")
        elif not isinstance(table.get("enabled", True), bool):
            add(f"detectors.{name}.enabled", f"expected true or false, got {table['enabled']!r}")
    options: dict[str, Any] = {}
    for name, cls in DETECTORS.items():
        table = tables.get(name, {})
        table = table if isinstance(table, dict) else {}
        built = build(cls.options_class, table, f"detectors.{name}", add, OPTIONS_STYLE)
        options[name] = built if built is not None else cls.options_class()
    return options


def detector_enabled(tables: Mapping[str, Any], name: str) -> bool:
    """Whether ``[detectors.<name>] enabled`` leaves the detector on (the default)."""
    table = tables.get(name, {})
    return not isinstance(table, dict) or table.get("enabled", True) is not False


def build_detectors(ctx: Context) -> list[Detector]:
    """Instantiate the enabled detectors with their ``[detectors.<name>]`` options.

    Raises:
        ConfigError: an unknown detector name or a bad option.
    """
    tables = ctx.config.detectors
    problems: list[str] = []
    options = detector_options(
        tables, lambda key, message: problems.append(f"{ctx.config.source}: {key}: {message}")
    )
    if problems:
        raise ConfigError(problems)
    return [
        cls(ctx, options[name])
        for name, cls in DETECTORS.items()
        if tables.get(name, {}).get("enabled", True)
    ]
