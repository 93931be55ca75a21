"""Partition definitions shared by the partitioned assets."""

import dagster as dg

from app.lib.shop_data import REGIONS

# Partitions are whole days; the newest one is yesterday (end_offset=0), because
# today's events are still arriving.
daily_partitions = dg.DailyPartitionsDefinition(start_date="2026-01-01", timezone="UTC")

region_partitions = dg.StaticPartitionsDefinition(list(REGIONS))

# Keys look like "2026-01-01|eu" (dimensions sorted by name: date, then region).
date_region_partitions = dg.MultiPartitionsDefinition({"date": daily_partitions, "region": region_partitions})
