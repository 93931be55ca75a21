"""Dagster resource classes. They are bound to keys per environment in ``app/defs/environment_resources.py`` (from ``by_environment.py``)."""
