"""Load the configuration with every section checked, the registries' included.

:mod:`kerio_watch.settings` converts the sections it owns; each registry then converts
its own (detectors, sinks, the network identity sources), and every problem of the
file is reported at once, each naming the file, the key and what is expected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kerio_watch.alerts import validate_sink, validate_sink_names
from kerio_watch.detect import detector_options
from kerio_watch.enrich.geo import enrich_problems
from kerio_watch.errors import ConfigError
from kerio_watch.settings.config import Config, convert, read_toml
from kerio_watch.settings.schema import Report


def check_registries(config: Config, add: Report) -> None:
    """Have each registry convert its section of ``config``; problems go to ``add``."""
    for i, sink in enumerate(config.sinks):
        for message in validate_sink(sink):
            add(f"sinks[{i}]", message)
    for message in validate_sink_names(list(config.sinks)):
        key, _, rest = message.partition(": ")
        add(key, rest)
    enrich_problems(config.enrich, add)
    detector_options(config.detectors, add)


def config_from_dict(data: dict[str, Any], source: str = "<dict>") -> Config:
    """Validate a parsed TOML document.

    Raises:
        ConfigError: listing every problem found.
    """
    config, problems = convert(data, source)
    check_registries(config, problems.add)
    if problems.items:
        raise ConfigError(problems.items)
    return config


def load_config(path: Path | None) -> Config:
    """Load and validate a TOML file, or the defaults when ``path`` is None (and
    ``$KERIO_WATCH_CONFIG`` is not set).

    Raises:
        ConfigError: the file is missing, unreadable, not TOML, or invalid.
    """
    document = read_toml(path)
    if document is None:
        return Config()
    return config_from_dict(*document)
