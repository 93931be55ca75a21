"""Single-run range backfills: one run writes and reads many partitions, in every environment.

A run tagged with a partition range is what ``dagster asset materialize --partition-range``
and a ``BackfillPolicy.single_run()`` backfill launch.
"""

import datetime as dt

import dagster as dg
import pandas as pd
import pytest
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from app.defs.events.daily_events import daily_event_counts, daily_events
from app.defs.events.regional_orders import daily_regional_revenue, regional_orders
from app.lib.shop_data import REGIONS
from app.resources.shop_source import ShopSource

DAYS = [f"2026-01-{day:02d}" for day in range(1, 8)]


def _range(first: str, last: str) -> dict[str, str]:
    """Run tags of a partition range (first and last key included)."""
    return {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}


def test_partitioned_assets_backfill_a_range_in_one_run():
    """The daily and date x region assets all declare the single-run backfill policy."""
    for asset in (daily_events, daily_event_counts, regional_orders, daily_regional_revenue):
        assert asset.backfill_policy == dg.BackfillPolicy.single_run(), asset.key


def test_a_week_is_one_run_and_one_object_per_day(instance, s3_resources, s3_io_manager, s3_view):
    """Seven days in one run: seven objects per asset, each holding only its day's rows."""
    result = dg.materialize(
        [daily_events, daily_event_counts], resources=s3_resources, instance=instance, tags=_range(DAYS[0], DAYS[-1])
    )
    assert result.success
    assert len(instance.get_run_records()) == 1
    assert instance.get_materialized_partitions(daily_event_counts.key) == set(DAYS)
    for asset in ("daily_events", "daily_event_counts"):
        assert s3_view.keys(s3_io_manager.bucket, f"{asset}/") == {f"{asset}/{day}.parquet" for day in DAYS}
    one_day = dg.materialize(
        [daily_events, daily_event_counts],
        selection=[daily_event_counts],
        resources=s3_resources,
        partition_key=DAYS[3],
    )
    counts = one_day.asset_value("daily_event_counts")
    assert set(counts["event_date"].dt.strftime("%Y-%m-%d")) == {DAYS[3]}


def test_a_date_by_region_range_writes_every_slice_and_rolls_up_per_day(s3_resources, s3_io_manager, s3_view):
    """Three days x three regions in one run; the daily roll-up reads all nine in one run."""
    days = DAYS[:3]
    upstream = dg.materialize(
        [regional_orders], resources=s3_resources, tags=_range(f"{days[0]}|eu", f"{days[-1]}|apac")
    )
    assert upstream.success
    assert s3_view.keys(s3_io_manager.bucket, "regional_orders/") == {
        f"regional_orders/{day}/{region}.parquet" for day in days for region in REGIONS
    }
    rollup = dg.materialize(
        [regional_orders, daily_regional_revenue],
        selection=[daily_regional_revenue],
        resources=s3_resources,
        tags=_range(days[0], days[-1]),
    )
    revenue = rollup.asset_value("daily_regional_revenue")
    assert len(revenue) == len(days) * len(REGIONS)
    assert s3_view.keys(s3_io_manager.bucket, "daily_regional_revenue/") == {
        f"daily_regional_revenue/{d}.parquet" for d in days
    }


def test_a_range_in_dev_lands_in_duckdb_by_partition_expr(dev_resources):
    """The same range run in dev: DuckDBPandasIOManager stores and reads it by the same column."""
    result = dg.materialize([daily_events, daily_event_counts], resources=dev_resources, tags=_range(DAYS[0], DAYS[2]))
    assert result.success
    counts = result.asset_value("daily_event_counts")
    assert sorted(counts["event_date"].dt.strftime("%Y-%m-%d").unique()) == DAYS[:3]


def test_rows_outside_the_run_partitions_are_refused(s3_resources):
    """An asset returning a day it was not asked for fails instead of losing those rows."""

    @dg.asset(
        name="daily_events",
        partitions_def=daily_events.partitions_def,
        metadata={"partition_expr": "event_date"},
        backfill_policy=dg.BackfillPolicy.single_run(),
    )
    def wrong_days(shop: ShopSource) -> pd.DataFrame:
        return shop.events(dt.date(2026, 2, 1))

    with pytest.raises(ValueError, match="belong to no partition"):
        dg.materialize([wrong_days], resources=s3_resources, tags=_range(DAYS[0], DAYS[1]))
