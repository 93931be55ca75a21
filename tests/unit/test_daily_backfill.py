"""daily_events_job over a date range, one run per day, as a CLI backfill launches it."""

import dagster as dg

from app.defs.events.daily_events import daily_event_counts, daily_events
from app.defs.events.jobs import daily_events_job

BACKFILL_DAYS = ["2026-01-01", "2026-01-02", "2026-01-03"]


def test_each_day_of_a_range_lands_in_its_own_partition(instance, s3_resources, s3_io_manager, s3_view):
    """Three partitions, three successful runs, three distinct lake objects per asset."""
    defs = dg.Definitions(assets=[daily_events, daily_event_counts], jobs=[daily_events_job], resources=s3_resources)
    job = defs.resolve_job_def("daily_events_job")
    assert job.partitions_def.get_partition_keys()[:3] == BACKFILL_DAYS
    for day in BACKFILL_DAYS:
        assert job.execute_in_process(partition_key=day, instance=instance).success

    materialized = instance.get_materialized_partitions(daily_event_counts.key)
    assert materialized == set(BACKFILL_DAYS)
    keys = s3_view.keys(s3_io_manager.bucket, "daily_")
    assert keys == {
        f"{asset}/{day}.parquet" for asset in ("daily_events", "daily_event_counts") for day in BACKFILL_DAYS
    }
