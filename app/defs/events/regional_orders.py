"""Multi-dimensional partitions: orders per (date, region), rolled up per date."""

import datetime as dt

import dagster as dg
import pandas as pd

from app.defs.events.partitions import RANGE_IN_ONE_RUN, daily_partitions, date_region_partitions
from app.lib.previews import frame_metadata
from app.owners import DATA_ENGINEERING
from app.resources.shop_source import ShopSource

GROUP = "regional"


@dg.asset(
    group_name=GROUP,
    partitions_def=date_region_partitions,
    owners=[DATA_ENGINEERING],
    kinds={"python", "pandas"},
    # One column per partition dimension, for both IO managers (see daily_events.py).
    metadata={"partition_expr": {"date": "order_date", "region": "region"}},
    backfill_policy=RANGE_IN_ONE_RUN,
    description="Orders of one day in one region, as each regional shop exports them.",
)
def regional_orders(context: dg.AssetExecutionContext, shop: ShopSource) -> dg.MaterializeResult[pd.DataFrame]:
    """Extract the run's (date, region) slices: one, or every slice of a date range."""
    slices = [key.keys_by_dimension for key in context.partition_keys]
    frame = pd.concat(
        [shop.regional_orders(dt.date.fromisoformat(s["date"]), s["region"]) for s in slices], ignore_index=True
    )
    return dg.MaterializeResult(value=frame, metadata=frame_metadata(frame))


@dg.asset(
    group_name=GROUP,
    partitions_def=daily_partitions,
    owners=[DATA_ENGINEERING],
    kinds={"python", "pandas"},
    metadata={"partition_expr": "order_date"},
    backfill_policy=RANGE_IN_ONE_RUN,
    # One date partition downstream reads the three region partitions of that date
    # (MultiToSingleDimensionPartitionMapping is marked beta in Dagster 1.13).
    ins={
        "regional_orders": dg.AssetIn(
            partition_mapping=dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="date")
        )
    },
    description="Revenue and order count per region for one day (reads all regions of the date).",
)
def daily_regional_revenue(regional_orders: pd.DataFrame) -> dg.MaterializeResult[pd.DataFrame]:
    """Sum orders per day and region (one day, or each day of a range)."""
    frame = regional_orders.groupby(["order_date", "region"], as_index=False).agg(
        orders=("order_id", "count"), revenue=("amount", "sum")
    )
    return dg.MaterializeResult(value=frame, metadata=frame_metadata(frame))
