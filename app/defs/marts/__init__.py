"""Marts published to the DuckDB warehouse, refreshed by declarative automation."""
