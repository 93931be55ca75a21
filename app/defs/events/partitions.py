"""Partition definitions shared by the partitioned assets."""

import datetime as dt

import dagster as dg

from app.lib.shop_data import REGIONS

# Partitions are whole days; the newest one is yesterday (end_offset=0), because
# today's events are still arriving.
daily_partitions = dg.DailyPartitionsDefinition(start_date="2026-01-01", timezone="UTC")

region_partitions = dg.StaticPartitionsDefinition(list(REGIONS))

# Keys look like "2026-01-01|eu" (dimensions sorted by name: date, then region).
date_region_partitions = dg.MultiPartitionsDefinition({"date": daily_partitions, "region": region_partitions})

# A date range is one run (`dagster asset materialize --partition-range A...B`, or a backfill
# from the UI): one process and one code load instead of one run per day. The IO managers
# split and read ranges by each asset's partition_expr. (`backfill_policy=` is beta in 1.13.)
RANGE_IN_ONE_RUN = dg.BackfillPolicy.single_run()


def days_of(window: dg.TimeWindow) -> list[dt.date]:
    """The days of a time window: one for a single daily partition, several for a range."""
    first, end = window.start.date(), window.end.date()
    return [first + dt.timedelta(days=n) for n in range((end - first).days)]
