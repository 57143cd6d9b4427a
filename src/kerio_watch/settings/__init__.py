"""Settings: the configuration file as typed, validated sections.

Below everything but the foundation (events, errors, severity...): it imports no
registry. :mod:`~kerio_watch.settings.schema` is the one converter from TOML tables to
frozen dataclasses; one module per group of sections declares them;
:mod:`~kerio_watch.settings.config` is the whole file. Detectors and sinks declare their
options in their own modules and convert them with the same converter;
:mod:`kerio_watch.app.config` loads a file and has every registry check its section.
"""
