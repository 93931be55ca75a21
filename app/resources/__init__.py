"""Dagster resource classes. They are bound to keys per environment in ``app/defs/resources.py``."""
