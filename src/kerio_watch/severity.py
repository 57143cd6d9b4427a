"""Severity levels shared by signals, incidents, alerts and sinks."""

from __future__ import annotations

import enum


class Severity(enum.IntEnum):
    """How bad something is; ordered so that ``Severity.HIGH > Severity.MEDIUM``."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        """The lower-case name used in output and configuration (``"high"``)."""
        return self.name.lower()

    @classmethod
    def parse(cls, value: str | Severity) -> Severity:
        """Turn ``"high"`` (any case) into ``Severity.HIGH``.

        Raises:
            ValueError: the name is not a severity.
        """
        if isinstance(value, Severity):
            return value
        try:
            return cls[value.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"expected one of {names}, got {value!r}") from None


SEVERITY_NAMES: tuple[str, ...] = tuple(s.label for s in Severity)
