"""What a landing run does with good, malformed and duplicate-id files (real S3 + DuckDB)."""

import dagster as dg

from app.defs.landing.assets import landed_orders, warehouse_landed_orders
from app.defs.landing.sensors import landing_zone_sensor
from app.lib.landing_files import make_malformed_orders_csv, make_orders_csv
from app.resources.landing_zone import REASON_SUFFIX, LandingZone

# Where the warehouse IO manager publishes landed files: <schema metadata>.<asset name>.
TABLE = "landing.warehouse_landed_orders"


def test_malformed_files_are_quarantined_and_good_ones_still_load(land, warehouse, keys, reason):
    """Bad header / bad rows go to quarantine/ with a reason; the good file is published."""
    results = land(
        {
            "good.csv": make_orders_csv(8),
            "bad-header.csv": make_malformed_orders_csv("bad_header"),
            "bad-rows.csv": make_malformed_orders_csv("bad_rows"),
        }
    )
    assert results["good.csv"].success
    assert not results["bad-header.csv"].success and not results["bad-rows.csv"].success

    assert keys("incoming/") == set()
    assert keys("processed/") == {"processed/good.csv"}
    assert keys("quarantine/") == {
        "quarantine/bad-header.csv",
        f"quarantine/bad-header.csv{REASON_SUFFIX}",
        "quarantine/bad-rows.csv",
        f"quarantine/bad-rows.csv{REASON_SUFFIX}",
    }
    assert reason("bad-header.csv").startswith("bad header")
    published = warehouse.query(f"SELECT source_file, count(*) AS n FROM {TABLE} GROUP BY 1")
    assert published.to_dict("records") == [{"source_file": "good.csv", "n": 8}]


def test_duplicate_order_ids_fail_the_blocking_check_and_skip_publishing(land, landing_zone, warehouse, keys, reason):
    """A well-formed file with repeated order_ids lands, fails unique_order_ids, is not published
    and is quarantined (not "processed") with the duplicate ids as its reason."""
    results = land({"dupes.csv": make_orders_csv(6, duplicate_order_ids=True), "clean.csv": make_orders_csv(4)})
    dupes = results["dupes.csv"]
    [check] = dupes.get_asset_check_evaluations()
    assert (check.check_name, check.passed, check.severity) == ("unique_order_ids", False, dg.AssetCheckSeverity.ERROR)
    assert check.metadata["duplicate_count"].value == 3
    landed = {e.asset_key.to_user_string() for e in dupes.get_asset_materialization_events()}
    assert landed == {"landed_orders"}  # warehouse_landed_orders was skipped
    assert not dupes.success  # the run fails (DagsterAssetCheckFailedError), so alerts fire
    assert keys("processed/") == {"processed/clean.csv"}
    assert "quarantine/dupes.csv" in keys("quarantine/")
    assert reason("dupes.csv").startswith("duplicate order_id: 3 repeated row(s), e.g. 1, 2, 3")
    published = warehouse.query(f"SELECT DISTINCT source_file FROM {TABLE}")
    assert published["source_file"].tolist() == ["clean.csv"]


def test_rerunning_a_landed_file_is_idempotent(land, instance, s3_resources, warehouse):
    """Re-executing a partition reads the file from processed/ and replaces its rows."""
    results = land({"again.csv": make_orders_csv(5)})
    run_config = results["again.csv"].dagster_run.run_config
    rerun = dg.materialize(
        [landed_orders, warehouse_landed_orders],
        partition_key="again.csv",
        run_config=run_config,
        resources=s3_resources,
        instance=instance,
    )
    assert rerun.success
    assert warehouse.query(f"SELECT count(*) AS n FROM {TABLE}")["n"][0] == 5


def test_empty_and_oversized_files_are_quarantined_with_their_reason(land, landing_zone, s3_resources, keys, reason):
    """An empty file and one over max_file_bytes (judged from its S3 size) are quarantined."""
    small_limit = LandingZone(store=landing_zone.store, bucket=landing_zone.bucket, max_file_bytes=2_000)
    big = make_orders_csv(200)
    assert len(big) > small_limit.max_file_bytes
    results = land(
        {"empty.csv": b"", "big.csv": big, "small.csv": make_orders_csv(5)},
        resources={**s3_resources, "landing_zone": small_limit},
    )
    assert not results["empty.csv"].success and not results["big.csv"].success
    assert results["small.csv"].success
    assert reason("empty.csv").startswith("empty file")
    assert reason("big.csv").startswith(f"file too large: {len(big):,} bytes, over the landing limit of 2,000")
    assert keys("incoming/") == set()


def test_a_file_is_processed_only_after_it_is_published(land, instance, s3_resources, warehouse, keys):
    """The warehouse rejects the publish after landed_orders ran: the file stays in incoming/,
    not processed/. After the fix, a re-run publishes it exactly once and only then files it."""
    with warehouse.connect() as conn:  # a table the landed rows cannot go into
        conn.execute(f"CREATE SCHEMA {TABLE.split('.')[0]}; CREATE TABLE {TABLE} (source_file INTEGER)")
    results = land({"late.csv": make_orders_csv(7)})
    failed = results["late.csv"]
    assert not failed.success
    assert {e.asset_key.to_user_string() for e in failed.get_asset_materialization_events()} == {"landed_orders"}
    assert keys("incoming/") == {"incoming/late.csv"}
    assert keys("processed/") == set()

    with warehouse.connect() as conn:  # the fix
        conn.execute(f"DROP TABLE {TABLE}")
    for _ in range(2):  # a retry after the fix, then a second (manual) re-run
        rerun = dg.materialize(
            [landed_orders, warehouse_landed_orders],
            partition_key="late.csv",
            run_config=failed.dagster_run.run_config,
            resources=s3_resources,
            instance=instance,
        )
        assert rerun.success
    assert keys("incoming/") == set()
    assert keys("processed/") == {"processed/late.csv"}
    assert warehouse.query(f"SELECT count(*) AS n FROM {TABLE}")["n"][0] == 7


def test_a_run_lands_only_the_version_the_sensor_saw(landing_zone, instance, s3_resources, keys):
    """LandingFileConfig.etag is the integrity check: a file replaced between the sensor tick and
    the run fails that run clearly (S3 If-Match), unpublished; the new upload stays in incoming/
    for the run the sensor requests for it."""
    landing_zone.drop("replaced.csv", make_orders_csv(3))
    with dg.build_sensor_context(instance=instance, resources={"landing_zone": landing_zone}) as context:
        [request] = landing_zone_sensor(context).run_requests
    instance.add_dynamic_partitions("landing_files", [request.partition_key])
    landing_zone.drop("replaced.csv", make_orders_csv(5))  # a new version under the same name

    result = dg.materialize(
        [landed_orders, warehouse_landed_orders],
        partition_key=request.partition_key,
        run_config=request.run_config,
        resources=s3_resources,
        instance=instance,
        raise_on_error=False,
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.step_key == "landed_orders"
    assert "incoming/replaced.csv was replaced after this run was requested" in str(failure.event_specific_data.error)
    assert result.get_asset_materialization_events() == []
    assert keys("incoming/") == {"incoming/replaced.csv"} and keys("processed/") == set()


def test_odd_but_valid_names_are_published_each_under_its_own_name(land, landing_zone, warehouse, keys):
    """Non-ASCII, case-only differences and separators land as separate partitions."""
    names = ["zürich-订单.csv", "Case.csv", "case.csv", "a,b.csv"]
    results = land({name: make_orders_csv(2 + i, first_order_id=100 * i) for i, name in enumerate(names)})
    assert all(result.success for result in results.values()), results
    published = warehouse.query(f"SELECT source_file, count(*) AS n FROM {TABLE} GROUP BY 1")
    assert dict(zip(published["source_file"], published["n"], strict=True)) == {
        name: 2 + i for i, name in enumerate(names)
    }
    assert keys("processed/") == {f"processed/{name}" for name in names}


def test_an_unreachable_s3_is_retried_with_an_error_naming_it(instance, landing_zone, unreachable_store, keys):
    """Reading the file while S3 is down requests step retries (not a quarantine: the file is
    fine) until the outage budget is spent, and the error names the S3 endpoint; the file is untouched."""
    key = landing_zone.drop("while-down.csv", make_orders_csv(3))
    instance.add_dynamic_partitions("landing_files", ["while-down.csv"])
    down = LandingZone(store=unreachable_store, bucket=landing_zone.bucket)
    result = dg.materialize(
        [landed_orders],
        partition_key="while-down.csv",
        instance=instance,
        raise_on_error=False,
        run_config={"ops": {"landed_orders": {"config": {"s3_key": key}}}},
        resources={"landing_zone": down},
    )
    retries = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert len(retries) == unreachable_store.outage_step_retries and not result.success
    cause = retries[0].event_specific_data.error.cause
    assert cause.cls_name == "S3UnavailableError"
    assert f"S3 unreachable at {unreachable_store.endpoint_url}" in cause.message
    assert keys("incoming/") == {key} and keys("quarantine/") == set()


def test_a_file_too_big_for_one_copy_request_is_still_quarantined(landing_zone, keys, s3_view):
    """Quarantining moves big files with a multipart copy (over boto3's 8 MB threshold), each part
    conditional on the version read."""
    key = landing_zone.drop("big-move.csv", b"x" * (9 * 1024 * 1024))
    target = landing_zone.quarantine(key, "file too large: test", etag=landing_zone.open(key).etag)
    assert keys("incoming/") == set()
    assert s3_view.sizes(landing_zone.bucket, target)[target] == 9 * 1024 * 1024
