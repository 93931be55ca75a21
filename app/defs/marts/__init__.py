"""Marts published to the warehouse (DuckDB or Snowflake), refreshed by declarative automation."""
