"""Deterministic simulator of a Kerio Connect site's logs, with planted hijacks.

Used by ``kerio-watch demo``, by tests and by benchmarks::

    from kerio_watch.simulate import SimConfig, simulate
    result = simulate(SimConfig(seed=7, users=20), Path("demo-logs"))
    result.scenarios  # ground truth, also written to demo-logs/truth.json

``SimConfig(country="US", timezone="America/New_York")`` simulates a site in another
country (DE by default; US, FR, JP, CZ, IT): its people on that country's networks.
``remote``, ``webmail_proxy`` and ``shift_work`` give the site another shape (a
remote-first company, web logins behind a reverse proxy, shifts round the clock and a
branch abroad; :mod:`kerio_watch.simulate.shapes`), and so do ``hosting`` and
``role_mailboxes`` (a provider's server for several companies, staff in shared role
mailboxes; :mod:`kerio_watch.simulate.tenants`); ``ipv6`` puts a share of its outside
clients on IPv6 (:mod:`kerio_watch.simulate.ipv6`).
"""

from kerio_watch.simulate.core import CONFIG_FILE, TRUTH_FILE, simulate
from kerio_watch.simulate.model import (
    ADMIN_BENIGN_KINDS,
    ADMIN_HIJACK_KINDS,
    ATTACK_HIJACK_KINDS,
    BENIGN_KINDS,
    FIREWALL_FORMATS,
    FORWARD_BENIGN_KINDS,
    FORWARD_HIJACK_KINDS,
    HELDOUT2_BENIGN_KINDS,
    HELDOUT2_HIJACK_KINDS,
    HELDOUT3_BENIGN_KINDS,
    HELDOUT3_HIJACK_KINDS,
    HELDOUT4_BENIGN_KINDS,
    HELDOUT4_HIJACK_KINDS,
    HELDOUT5_BENIGN_KINDS,
    HELDOUT5_HIJACK_KINDS,
    HELDOUT6_BENIGN_KINDS,
    HELDOUT6_HIJACK_KINDS,
    HELDOUT7_BENIGN_KINDS,
    HELDOUT7_HIJACK_KINDS,
    HELDOUT8_BENIGN_KINDS,
    HELDOUT8_HIJACK_KINDS,
    HELDOUT_BENIGN_KINDS,
    HELDOUT_HIJACK_KINDS,
    HIJACK_KINDS,
    HOST_BENIGN_KINDS,
    HOST_KINDS,
    HOST_MALICIOUS_KINDS,
    LATERAL_BENIGN_KINDS,
    LATERAL_HIJACK_KINDS,
    LOG_FILES,
    NEWCOMER_BENIGN_KINDS,
    NOISE_BENIGN_KINDS,
    RECON_HIJACK_KINDS,
    SCENARIO_KINDS,
    SHIFT_BENIGN_KINDS,
    SHIFT_HIJACK_KINDS,
    HostScenario,
    Scenario,
    SimConfig,
    SimResult,
)

__all__ = [
    "ADMIN_BENIGN_KINDS",
    "ADMIN_HIJACK_KINDS",
    "ATTACK_HIJACK_KINDS",
    "BENIGN_KINDS",
    "CONFIG_FILE",
    "FIREWALL_FORMATS",
    "FORWARD_BENIGN_KINDS",
    "FORWARD_HIJACK_KINDS",
    "HELDOUT2_BENIGN_KINDS",
    "HELDOUT2_HIJACK_KINDS",
    "HELDOUT3_BENIGN_KINDS",
    "HELDOUT3_HIJACK_KINDS",
    "HELDOUT4_BENIGN_KINDS",
    "HELDOUT4_HIJACK_KINDS",
    "HELDOUT5_BENIGN_KINDS",
    "HELDOUT5_HIJACK_KINDS",
    "HELDOUT6_BENIGN_KINDS",
    "HELDOUT6_HIJACK_KINDS",
    "HELDOUT7_BENIGN_KINDS",
    "HELDOUT7_HIJACK_KINDS",
    "HELDOUT8_BENIGN_KINDS",
    "HELDOUT8_HIJACK_KINDS",
    "HELDOUT_BENIGN_KINDS",
    "HELDOUT_HIJACK_KINDS",
    "HIJACK_KINDS",
    "HOST_BENIGN_KINDS",
    "HOST_KINDS",
    "HOST_MALICIOUS_KINDS",
    "LATERAL_BENIGN_KINDS",
    "LATERAL_HIJACK_KINDS",
    "LOG_FILES",
    "NEWCOMER_BENIGN_KINDS",
    "NOISE_BENIGN_KINDS",
    "RECON_HIJACK_KINDS",
    "SCENARIO_KINDS",
    "SHIFT_BENIGN_KINDS",
    "SHIFT_HIJACK_KINDS",
    "TRUTH_FILE",
    "HostScenario",
    "Scenario",
    "SimConfig",
    "SimResult",
    "simulate",
]
