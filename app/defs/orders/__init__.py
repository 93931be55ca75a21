"""Orders ingestion: the orders API feed, deduplicated (run by ingest_orders_job)."""
