"""Partitioned assets: daily clickstream events and date x region orders."""
