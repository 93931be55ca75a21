"""S3ParquetIOManager against a real S3 server: key scheme, round trips, S3 outages."""

import datetime as dt
import io
import time

import dagster as dg
import pandas as pd
import pyarrow.parquet as pq
import pytest

from app.defs.events.daily_events import daily_events
from app.defs.events.regional_orders import daily_regional_revenue, regional_orders
from app.defs.orders.assets import raw_orders, staged_orders
from app.io_managers.s3_parquet import S3ParquetIOManager, object_key
from app.lib.shop_data import REGIONS
from dagster_platform.s3_store import S3Store


@pytest.mark.parametrize(
    ("path", "partition", "is_multi", "expected"),
    [
        (["raw_orders"], None, False, "raw_orders.parquet"),
        (["shop", "customers"], None, False, "shop/customers.parquet"),
        (["daily_events"], "2026-01-01", False, "daily_events/2026-01-01.parquet"),
        (["regional_orders"], "2026-01-01|eu", True, "regional_orders/2026-01-01/eu.parquet"),
        (["landed_orders"], "batch 7/../x?.csv", False, "landed_orders/batch_7/_/x_.csv.parquet"),
    ],
)
def test_object_key_scheme(path, partition, is_multi, expected):
    """Documented layout; unsafe characters and '..' never escape the asset's folder."""
    assert object_key(path, partition, is_multi) == expected


def _read(io_manager, key: str) -> pd.DataFrame:
    """A lake object, read back with a client of the test's own (not the IO manager's reader)."""
    body = io_manager.store.client().get_object(Bucket=io_manager.bucket, Key=key)["Body"].read()
    return pq.read_table(io.BytesIO(body)).to_pandas()


def test_unpartitioned_round_trip(s3_resources, s3_io_manager):
    """raw_orders is written as one Parquet object and read back by staged_orders."""
    result = dg.materialize([raw_orders, staged_orders], resources=s3_resources)
    assert result.success
    stored = _read(s3_io_manager, "raw_orders.parquet")
    pd.testing.assert_frame_equal(stored, result.asset_value("raw_orders"), check_dtype=False)
    uri = result.asset_materializations_for_node("raw_orders")[0].metadata["uri"].value
    assert uri == f"s3://{s3_io_manager.bucket}/raw_orders.parquet"
    assert len(_read(s3_io_manager, "staged_orders.parquet")) == s3_resources["shop"].row_count


def test_daily_partitions_are_separate_objects(s3_resources, s3_io_manager):
    """Each day is its own object, holding only that day's rows."""
    for day in ("2026-01-01", "2026-01-02"):
        assert dg.materialize([daily_events], resources=s3_resources, partition_key=day).success
    for day in ("2026-01-01", "2026-01-02"):
        stored = _read(s3_io_manager, f"daily_events/{day}.parquet")
        assert set(stored["event_date"].dt.strftime("%Y-%m-%d")) == {day}


def test_downstream_loads_several_multi_partitions_as_one_frame(s3_resources, s3_io_manager):
    """daily_regional_revenue for a date reads the three (date, region) objects of that date."""
    for region in REGIONS:
        key = f"2026-01-05|{region}"
        assert dg.materialize([regional_orders], resources=s3_resources, partition_key=key).success
        assert not _read(s3_io_manager, f"regional_orders/2026-01-05/{region}.parquet").empty
    result = dg.materialize(
        [regional_orders, daily_regional_revenue],
        selection=[daily_regional_revenue],
        resources=s3_resources,
        partition_key="2026-01-05",
    )
    revenue = result.asset_value("daily_regional_revenue")
    assert sorted(revenue["region"]) == sorted(REGIONS)
    assert (revenue["orders"] > 0).all()


def _every_kind_of_column() -> pd.DataFrame:
    """A frame with the column types assets return: nulls in each, sub-second and zoned times."""
    return pd.DataFrame(
        {
            "id": pd.Series([1, 2, 2**62], dtype="int64"),
            "small": pd.Series([1, -2, 3], dtype="int32"),
            "nullable": pd.array([1, None, 3], dtype="Int64"),
            "amount": [1.5, float("nan"), -0.0],
            "flag": [True, False, True],
            "text": ["a", None, "ü €"],
            "at": pd.to_datetime(
                ["2026-01-01T10:00:00.123456789", "1970-01-01T00:00:00", "2262-04-11T00:00:00"], format="ISO8601"
            ),
            # Either side of a daylight-saving change.
            "zoned": pd.to_datetime(
                ["2026-03-29T01:30:00", "2026-03-29T03:30:00", "2026-10-25T03:30:00"], format="ISO8601"
            ).tz_localize("Europe/Berlin"),
            "day": [dt.date(2026, 1, 1), None, dt.date(1, 1, 1)],
            "region": pd.Categorical(["eu", "us", "eu"]),
        }
    )


def test_the_lake_returns_what_dev_returns(s3_resources, dev_resources):
    """Asset code sees the same values and dtypes from the S3 lake as from dev's DuckDB lake;
    the objects are plain Parquet another engine (pyarrow here) reads to the same values."""

    @dg.asset
    def every_kind() -> pd.DataFrame:
        """The frame under test."""
        return _every_kind_of_column()

    @dg.asset
    def loaded(every_kind: pd.DataFrame) -> pd.DataFrame:
        """What a downstream asset receives."""
        return every_kind

    seen = {}
    for name, resources in (("s3", s3_resources), ("dev", dev_resources)):
        result = dg.materialize([every_kind, loaded], resources=resources)
        seen[name] = result.asset_value("loaded")
    # Parquet has no enum type: a categorical comes back as its values, in both lakes alike
    # except that DuckDB's own table keeps an ENUM (dev returns a categorical).
    pd.testing.assert_frame_equal(seen["s3"].drop(columns="region"), seen["dev"].drop(columns="region"))
    assert seen["s3"]["region"].tolist() == seen["dev"]["region"].tolist() == ["eu", "us", "eu"]
    original = _every_kind_of_column()
    assert seen["s3"]["at"].tolist() == original["at"].tolist()  # nanoseconds kept
    assert (seen["s3"]["zoned"] == original["zoned"]).all()  # the same instants (in UTC)
    assert seen["s3"]["nullable"].isna().tolist() == [False, True, False]
    stored = _read(s3_resources["io_manager"], "every_kind.parquet")
    assert stored["id"].tolist() == original["id"].tolist()
    assert stored["text"].tolist() == original["text"].tolist()


def test_missing_partition_is_an_error_naming_the_object(s3_resources, s3_io_manager):
    """Reading partitions that were never written fails, naming every missing object."""
    assert dg.materialize([regional_orders], resources=s3_resources, partition_key="2026-01-06|eu").success
    with pytest.raises(
        FileNotFoundError,
        match=r"2 object.*regional_orders/2026-01-06/apac.parquet, regional_orders/2026-01-06/us.parquet",
    ):
        dg.materialize(
            [regional_orders, daily_regional_revenue],
            selection=[daily_regional_revenue],
            resources=s3_resources,
            partition_key="2026-01-06",
        )


def test_the_outage_budget_rides_through_30_seconds_and_fails_within_90():
    """The default schedule (docs/faults.md): a retry lands after a 30 s outage, and the last
    one is over by ~80 s of waiting, so a real outage fails the step instead of hanging."""
    policy = S3Store().outage_retry_policy()
    waits = [policy.calculate_delay(attempt) for attempt in range(1, policy.max_retries + 1)]
    starts = [sum(waits[: n + 1]) for n in range(len(waits))]
    assert any(30 < start < 40 for start in starts), starts
    assert 60 <= starts[-1] <= 90, starts


def test_an_outage_beyond_the_budget_fails_the_step_naming_the_endpoint(s3_resources, unreachable_store, fresh_bucket):
    """With S3 refusing connections, the lake write is retried exactly the configured number of
    times, then the step fails with an error naming the endpoint and the object; nothing is stored."""
    io_manager = S3ParquetIOManager(store=unreachable_store, bucket=fresh_bucket("lake"))
    started = time.monotonic()
    result = dg.materialize([raw_orders], resources={**s3_resources, "io_manager": io_manager}, raise_on_error=False)
    assert not result.success and time.monotonic() - started < 30
    events = [e.event_type_value for e in result.all_events]
    assert events.count("STEP_UP_FOR_RETRY") == unreachable_store.outage_step_retries
    assert events.count("STEP_FAILURE") == 1 and "ASSET_MATERIALIZATION" not in events
    failure = result.failure_data_for_node("raw_orders").error
    assert f"Exceeded max_retries of {unreachable_store.outage_step_retries}" in failure.message
    assert failure.cause.cls_name == "S3UnavailableError", failure
    assert f"S3 unreachable at {unreachable_store.endpoint_url} while writing s3://" in failure.cause.message
