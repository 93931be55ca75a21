"""Landing zone: CSV files dropped in S3, picked up by a sensor, one partition per file."""
