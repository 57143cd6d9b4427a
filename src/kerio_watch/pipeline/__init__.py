"""The pipeline: sources -> parse -> events -> enrich -> detect -> incidents -> alerts.

- :mod:`.core`: :class:`Pipeline`, one run's stages over one store, and its saves;
- :mod:`.parsing`: framed lines to events (the pre-parse filter in :mod:`.prefilter`),
  on the UTC time line, through the time guard (:mod:`.timeguard`);
- :mod:`.detection`: events and submissions to the detectors, signals to incidents;
- :mod:`.marks`: the log-time watermarks that make a re-run skip what it processed;
- :mod:`.persist`: the enrichment state saved between runs, and pruning;
- :mod:`.runstats`: what a run counted;
- :mod:`.runner`: the one builder of a pipeline for ``scan``, ``follow``, ``demo`` and
  ``db recover``.

Enrichment is its own stage (:mod:`kerio_watch.enrich.stage`); see docs/architecture.md.
"""

from kerio_watch.pipeline.core import (
    IP_STATE_DAYS,
    SENT_MARK,
    AlertListener,
    Pipeline,
    RunStats,
    SaveHook,
)

__all__ = ["IP_STATE_DAYS", "SENT_MARK", "AlertListener", "Pipeline", "RunStats", "SaveHook"]
