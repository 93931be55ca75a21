"""Example Dagster code location of the platform template (loaded via ``app.definitions``)."""
