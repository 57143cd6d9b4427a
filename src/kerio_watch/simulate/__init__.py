"""Deterministic simulator of a Kerio Connect site's logs, with planted hijacks.

Used by ``kerio-watch demo``, by tests and by benchmarks::

    from kerio_watch.simulate import SimConfig, simulate
    result = simulate(SimConfig(seed=7, users=20), Path("demo-logs"))
    result.scenarios  # ground truth, also written to demo-logs/truth.json
"""

from kerio_watch.simulate.core import CONFIG_FILE, TRUTH_FILE, simulate
from kerio_watch.simulate.model import (
    BENIGN_KINDS,
    HIJACK_KINDS,
    LOG_FILES,
    SCENARIO_KINDS,
    Scenario,
    SimConfig,
    SimResult,
)

__all__ = [
    "BENIGN_KINDS",
    "CONFIG_FILE",
    "HIJACK_KINDS",
    "LOG_FILES",
    "SCENARIO_KINDS",
    "TRUTH_FILE",
    "Scenario",
    "SimConfig",
    "SimResult",
    "simulate",
]
