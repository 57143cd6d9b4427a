"""docs/detectors.md covers every rule and option the code has."""

from __future__ import annotations

from pathlib import Path

import pytest

from kerio_watch.detect import DETECTORS
from kerio_watch.settings.schema import defaults

DOC = (Path(__file__).resolve().parents[2] / "docs" / "detectors.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_every_detector_rule_and_option_is_documented(name: str) -> None:
    """Each detector has a section listing its rules and options with their defaults."""
    cls = DETECTORS[name]
    section = DOC.split(f"### `{name}`", 1)
    assert len(section) == 2, f"no section for {name}"
    body = section[1].split("\n### ", 1)[0]
    for rule in cls.rules:
        assert f"`{rule.id}`" in body, rule.id
        assert rule.what in body, f"{rule.id}: 'what' differs from the code"
    for option, default in defaults(cls.options_class).items():
        row = f"| `{option}` | `{str(default).lower()}` |"
        assert row in body, f"{name}.{option}: documented default differs ({row})"
