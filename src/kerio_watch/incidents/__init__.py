"""Incidents: correlated signals per account, their lifecycle and what admins decide."""
