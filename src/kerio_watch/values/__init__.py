"""Value types every layer shares: what the store keeps and the stages hand on.

One module per value (alerts, signals, incidents, profiles, deliveries, decisions, file
checkpoints...), importing nothing above the foundation layer, so that the store, the
sources, the incident engine and the alert router all import them from below.
"""
