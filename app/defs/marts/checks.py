"""Recency of the orders mart: how old is the newest order it holds?

The mart's ``FreshnessPolicy`` says when the *table* was last rebuilt; this check says
how old its *data* is. A mart rebuilt every hour from a feed that stopped yesterday is
fresh by policy and stale by recency. The synthetic shop's orders end in March 2026, so
in the example this check warns: that is what it reports when a source stops.
"""

import datetime as dt

import dagster as dg
import pandas as pd

from app.defs.marts.customer_lifetime_value import customer_lifetime_value
from app.resources.warehouse_backend import warehouse_pool

# Orders arrive daily; two days without a new one means the feed stopped.
MAX_NEWEST_ORDER_AGE = dt.timedelta(days=2)


def newest_order_age(last_order_dates: pd.Series, now: pd.Timestamp) -> tuple[pd.Timestamp, dt.timedelta]:
    """The newest order date (naive dates count as UTC) and its age at ``now`` (NaT when empty)."""
    newest = pd.to_datetime(last_order_dates, utc=True).max()
    return newest, now - newest


@dg.asset_check(
    asset=customer_lifetime_value,
    name="orders_recency",
    description=f"The newest order in the mart is at most {MAX_NEWEST_ORDER_AGE} old.",
    pool=warehouse_pool(),  # reads the DuckDB file, which allows no reader beside a writer
)
def customer_lifetime_value_orders_recency(customer_lifetime_value: pd.DataFrame) -> dg.AssetCheckResult:
    """WARN when the newest order is older than ``MAX_NEWEST_ORDER_AGE`` (the feed stopped)."""
    newest, age = newest_order_age(customer_lifetime_value["last_order_date"], pd.Timestamp.now(tz="UTC"))
    metadata = {"max_age_hours": dg.MetadataValue.float(MAX_NEWEST_ORDER_AGE.total_seconds() / 3600)}
    if pd.isna(newest):
        return dg.AssetCheckResult(
            passed=False, severity=dg.AssetCheckSeverity.WARN, metadata={**metadata, "newest_order": "no orders"}
        )
    return dg.AssetCheckResult(
        passed=bool(age <= MAX_NEWEST_ORDER_AGE),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            **metadata,
            "newest_order": dg.MetadataValue.text(newest.isoformat()),
            "age_hours": dg.MetadataValue.float(round(age.total_seconds() / 3600, 1)),
        },
    )
