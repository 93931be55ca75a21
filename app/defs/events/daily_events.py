"""Daily-partitioned clickstream events and their per-day summary."""

import dagster as dg
import pandas as pd

from app.defs.events.partitions import RANGE_IN_ONE_RUN, daily_partitions, days_of
from app.lib.previews import frame_metadata
from app.owners import DATA_ENGINEERING
from app.resources.shop_source import ShopSource

GROUP = "events"
# The column holding each row's partition: DuckDBPandasIOManager (dev) selects by it, and the
# S3 Parquet IO manager splits a multi-day step into one object per day by it.
PARTITION_METADATA = {"partition_expr": "event_date"}


@dg.asset(
    group_name=GROUP,
    partitions_def=daily_partitions,
    owners=[DATA_ENGINEERING],
    kinds={"python", "pandas"},
    metadata=PARTITION_METADATA,
    backfill_policy=RANGE_IN_ONE_RUN,
    description="Clickstream events of one day (one partition per day).",
)
def daily_events(context: dg.AssetExecutionContext, shop: ShopSource) -> dg.MaterializeResult[pd.DataFrame]:
    """Extract the events of the run's day(s): one, or a whole range in one run."""
    days = days_of(context.partition_time_window)
    frame = pd.concat([shop.events(day) for day in days], ignore_index=True)
    context.log.info(f"daily_events {days[0]}..{days[-1]}: {len(frame)} events")
    return dg.MaterializeResult(value=frame, metadata=frame_metadata(frame))


@dg.asset(
    group_name=GROUP,
    partitions_def=daily_partitions,
    owners=[DATA_ENGINEERING],
    kinds={"python", "pandas"},
    metadata=PARTITION_METADATA,
    backfill_policy=RANGE_IN_ONE_RUN,
    description="Event counts per type for one day.",
)
def daily_event_counts(daily_events: pd.DataFrame) -> dg.MaterializeResult[pd.DataFrame]:
    """Count events per day and type (same partitions as the upstream, one or many days)."""
    frame = daily_events.groupby(["event_date", "event_type"], as_index=False).agg(
        events=("event_id", "count"), customers=("customer_id", "nunique")
    )
    return dg.MaterializeResult(value=frame, metadata=frame_metadata(frame))
