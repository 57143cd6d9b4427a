"""Random draws and units shared by the simulator's traffic generators."""

from __future__ import annotations

import random
from math import exp, sqrt

HOUR = 3600


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (normal approximation for large means)."""
    if mean <= 0:
        return 0
    if mean > 20:
        return max(0, round(rng.gauss(mean, sqrt(mean))))
    limit, k, prod = exp(-mean), 0, rng.random()
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k
