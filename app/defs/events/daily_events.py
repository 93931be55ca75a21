"""Daily-partitioned clickstream events and their per-day summary."""

import dagster as dg
import pandas as pd

from app.defs.events.partitions import daily_partitions
from app.lib.previews import frame_metadata
from app.owners import DATA_ENGINEERING
from app.resources.shop_source import ShopSource

GROUP = "events"
# DuckDBPandasIOManager (dev) finds a partition's rows through this column;
# the S3 Parquet IO manager (other environments) stores one object per partition.
PARTITION_EXPR = {"partition_expr": "event_date"}


@dg.asset(
    group_name=GROUP,
    partitions_def=daily_partitions,
    owners=[DATA_ENGINEERING],
    kinds={"python", "pandas"},
    metadata=PARTITION_EXPR,
    description="Clickstream events of one day (one partition per day).",
)
def daily_events(context: dg.AssetExecutionContext, shop: ShopSource) -> dg.MaterializeResult[pd.DataFrame]:
    """Extract the events of the partition's day."""
    day = context.partition_time_window.start.date()
    frame = shop.events(day)
    context.log.info(f"daily_events {day}: {len(frame)} events")
    return dg.MaterializeResult(value=frame, metadata=frame_metadata(frame))


@dg.asset(
    group_name=GROUP,
    partitions_def=daily_partitions,
    owners=[DATA_ENGINEERING],
    kinds={"python", "pandas"},
    metadata=PARTITION_EXPR,
    description="Event counts per type for one day.",
)
def daily_event_counts(daily_events: pd.DataFrame) -> dg.MaterializeResult[pd.DataFrame]:
    """Count the day's events per event type (same partition as the upstream)."""
    frame = daily_events.groupby(["event_date", "event_type"], as_index=False).agg(
        events=("event_id", "count"), customers=("customer_id", "nunique")
    )
    return dg.MaterializeResult(value=frame, metadata=frame_metadata(frame))
