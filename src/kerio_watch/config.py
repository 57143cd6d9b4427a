"""The configuration's types, as the rest of the package names them.

The sections live in :mod:`kerio_watch.settings`; loading a file with every section
checked (detectors and sinks included) is :mod:`kerio_watch.app.config`.
"""

from __future__ import annotations

from kerio_watch.settings.config import Config
from kerio_watch.settings.schema import scalar_matches
from kerio_watch.settings.sections import EnrichConfig, FirewallConfig, StateConfig
from kerio_watch.settings.site import SiteConfig, UserConfig, parse_office_hours
from kerio_watch.settings.web import WebConfig

__all__ = [
    "Config",
    "EnrichConfig",
    "FirewallConfig",
    "SiteConfig",
    "StateConfig",
    "UserConfig",
    "WebConfig",
    "parse_office_hours",
    "scalar_matches",
]
