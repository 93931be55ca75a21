"""customer_lifetime_value: a warehouse mart that refreshes itself after ingestion."""

import datetime as dt

import dagster as dg
import pandas as pd

from app.lib.previews import frame_metadata
from app.owners import ANALYTICS
from app.resources.warehouse_backend import WAREHOUSE_IO_MANAGER_KEY, current_warehouse_backend, warehouse_pool

# The warehouse IO manager (DuckDB or Snowflake) writes the table marts.customer_lifetime_value.
SCHEMA = "marts"

# Replaces the old `auto_materialize_policy=AutoMaterializePolicy.eager()`: run whenever
# an upstream updates, but not while upstream blocking checks (staged_orders) fail.
AUTOMATION = dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()

# Replaces the old `FreshnessPolicy(maximum_lag_minutes=...)` (a TypeError in 1.13) and
# `build_last_update_freshness_checks`: ingestion runs daily, so warn after a missed day.
FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(hours=30), warn_window=dt.timedelta(hours=25))


@dg.asset(
    group_name="marts",
    owners=[ANALYTICS],
    kinds={current_warehouse_backend().value, "pandas"},
    description="Revenue, order count and first/last order per customer (warehouse table marts.customer_lifetime_value).",
    ins={"customers": dg.AssetIn(key=["shop", "customers"])},
    io_manager_key=WAREHOUSE_IO_MANAGER_KEY,
    metadata={"schema": SCHEMA},
    automation_condition=AUTOMATION,
    freshness_policy=FRESHNESS,
    pool=warehouse_pool(),  # DuckDB: one writer at a time; Snowflake: none needed
)
def customer_lifetime_value(staged_orders: pd.DataFrame, customers: pd.DataFrame) -> dg.MaterializeResult[pd.DataFrame]:
    """Aggregate orders per customer and join customer attributes (published by the IO manager)."""
    per_customer = staged_orders.groupby("customer_id", as_index=False).agg(
        order_count=("order_id", "count"),
        lifetime_value=("amount", "sum"),
        first_order_date=("order_date", "min"),
        last_order_date=("order_date", "max"),
    )
    mart = (
        customers[["customer_id", "name", "region"]]
        .merge(per_customer, on="customer_id", how="left")
        .fillna({"order_count": 0, "lifetime_value": 0.0})
        .astype({"order_count": "int64"})
        .round({"lifetime_value": 2})
        .sort_values("lifetime_value", ascending=False)
        .reset_index(drop=True)
    )
    return dg.MaterializeResult(value=mart, metadata=frame_metadata(mart))
