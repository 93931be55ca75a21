"""Alerting on failed runs."""
