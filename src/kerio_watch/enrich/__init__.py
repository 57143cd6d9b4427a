"""Enrichment: what a line means beyond its fields (networks, messages, sessions)."""
