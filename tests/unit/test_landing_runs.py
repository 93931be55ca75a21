"""What a landing run does with good, malformed and duplicate-id files (real S3 + DuckDB)."""

import dagster as dg
import pytest

from app.defs.landing.assets import landed_orders, warehouse_landed_orders
from app.defs.landing.sensors import landing_zone_sensor
from app.lib.landing_files import make_malformed_orders_csv, make_orders_csv
from app.resources.landing_zone import REASON_SUFFIX


@pytest.fixture
def land(instance, s3_resources, landing_zone):
    """Drop files, run one sensor tick, execute every run it requests; return results by file name."""

    def drop_and_run(files: dict[str, bytes]) -> dict[str, dg.ExecuteInProcessResult]:
        for name, body in files.items():
            landing_zone.drop(name, body)
        with dg.build_sensor_context(instance=instance, resources={"landing_zone": landing_zone}) as context:
            tick = landing_zone_sensor(context)
        for request in tick.dynamic_partitions_requests:
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        return {
            request.partition_key: dg.materialize(
                [landed_orders, warehouse_landed_orders],
                partition_key=request.partition_key,
                run_config=request.run_config,
                resources=s3_resources,
                instance=instance,
                raise_on_error=False,
            )
            for request in tick.run_requests
        }

    return drop_and_run


def _keys(landing_zone, prefix: str) -> set[str]:
    return {o.key for o in landing_zone.store.list_objects(landing_zone.bucket, prefix)}


def test_malformed_files_are_quarantined_and_good_ones_still_load(land, landing_zone, warehouse):
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

    assert _keys(landing_zone, "incoming/") == set()
    assert _keys(landing_zone, "processed/") == {"processed/good.csv"}
    assert _keys(landing_zone, "quarantine/") == {
        "quarantine/bad-header.csv",
        f"quarantine/bad-header.csv{REASON_SUFFIX}",
        "quarantine/bad-rows.csv",
        f"quarantine/bad-rows.csv{REASON_SUFFIX}",
    }
    reason = landing_zone.store.get_bytes(landing_zone.bucket, f"quarantine/bad-header.csv{REASON_SUFFIX}")
    assert reason.decode().startswith("bad header")
    published = warehouse.query("SELECT source_file, count(*) AS n FROM landing.orders GROUP BY 1")
    assert published.to_dict("records") == [{"source_file": "good.csv", "n": 8}]


def test_duplicate_order_ids_fail_the_blocking_check_and_skip_publishing(land, landing_zone, warehouse):
    """A well-formed file with repeated order_ids lands, fails unique_order_ids, is not published."""
    results = land({"dupes.csv": make_orders_csv(6, duplicate_order_ids=True), "clean.csv": make_orders_csv(4)})
    dupes = results["dupes.csv"]
    [check] = dupes.get_asset_check_evaluations()
    assert (check.check_name, check.passed, check.severity) == ("unique_order_ids", False, dg.AssetCheckSeverity.ERROR)
    assert check.metadata["duplicate_count"].value == 3
    landed = {e.asset_key.to_user_string() for e in dupes.get_asset_materialization_events()}
    assert landed == {"landed_orders"}  # warehouse_landed_orders was skipped
    assert not dupes.success  # the run fails (DagsterAssetCheckFailedError), so alerts fire
    assert "processed/dupes.csv" in _keys(landing_zone, "processed/")
    published = warehouse.query("SELECT DISTINCT source_file FROM landing.orders")
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
    assert warehouse.query("SELECT count(*) AS n FROM landing.orders")["n"][0] == 5
