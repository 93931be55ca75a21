"""The code location loads in every environment, with the right IO manager and names."""

import subprocess
import sys

import dagster as dg
import pytest
from dagster_duckdb_pandas import DuckDBPandasIOManager

from app.io_managers.s3_parquet import S3ParquetIOManager

JOBS = {"ingest_orders_job", "daily_events_job", "landing_job"}
SCHEDULES = {"ingest_orders_schedule"}
SENSORS = {"landing_zone_sensor", "default_automation_sensor"}
PLATFORM_NAMES = ({"platform_canary_job", "housekeeping_job"}, {"housekeeping_schedule"}, {"report_run_failures"})


def _names(defs: dg.Definitions) -> tuple[set, set, set]:
    repo = defs.get_repository_def()
    jobs = {j.name for j in repo.get_all_jobs() if not j.name.startswith("__")}
    return jobs, {s.name for s in repo.schedule_defs}, {s.name for s in repo.sensor_defs}


def test_module_defs_load_in_dev():
    """`app.definitions.defs` is a loadable Definitions with the documented names (dev)."""
    from app.definitions import defs

    assert isinstance(defs, dg.Definitions)
    dg.Definitions.validate_loadable(defs)
    assert _names(defs) == (JOBS, SCHEDULES, SENSORS)
    assert isinstance(defs.resources["io_manager"], DuckDBPandasIOManager)


def test_platform_defs_load_without_the_team_location():
    """The platform location loads on its own: the platform's jobs, schedule and sensor, and
    nothing of app/ or its libraries imported (its image has neither)."""
    code = (
        "import sys, dagster as dg; from dagster_platform.definitions import defs;"
        "dg.Definitions.validate_loadable(defs);"
        "print(sorted(m for m in ('app', 'pandas', 'pyarrow', 'duckdb') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]", result.stdout
    from dagster_platform.definitions import defs

    assert _names(defs) == PLATFORM_NAMES


@pytest.mark.parametrize("environment", ["local", "ci", "prod"])
def test_non_dev_environments_use_the_s3_lake(platform_env, load_app_defs, environment):
    """With PLATFORM_ENV set and its variables present, resources resolve against S3."""
    env = platform_env(environment)
    defs = load_app_defs()
    dg.Definitions.validate_loadable(defs)
    with dg.build_resources({k: defs.resources[k] for k in ("io_manager", "landing_zone")}) as res:
        assert isinstance(res.io_manager, S3ParquetIOManager)
        assert res.io_manager.bucket == env["LAKE_BUCKET"]
        assert res.io_manager.store.endpoint_url == env["S3_ENDPOINT_URL"]
        assert res.landing_zone.bucket == env["LANDING_BUCKET"]
    assert defs.resources["warehouse_io_manager"].database == dg.EnvVar("WAREHOUSE_DUCKDB_PATH")


@pytest.mark.parametrize(
    ("missing", "resource_key"),
    [
        ("LAKE_BUCKET", "io_manager"),
        ("AWS_ACCESS_KEY_ID", "io_manager"),
        ("LANDING_BUCKET", "landing_zone"),
        ("WAREHOUSE_DUCKDB_PATH", "warehouse_io_manager"),
    ],
)
def test_missing_env_var_error_names_the_variable(platform_env, load_app_defs, missing, resource_key):
    """Outside dev a required variable that is unset fails resource init, naming it."""
    platform_env("local", **{missing: None})
    defs = load_app_defs()
    with (
        pytest.raises(dg.DagsterInvalidConfigError, match=f'environment variable "{missing}"'),
        dg.build_resources({resource_key: defs.resources[resource_key]}),
    ):
        pass


def test_optional_settings_have_defaults(platform_env, load_app_defs):
    """Region, endpoint and row count are optional: AWS defaults, 1000 rows."""
    platform_env("prod", AWS_REGION=None, S3_ENDPOINT_URL=None, ORDERS_ROW_COUNT=None)
    defs = load_app_defs()
    with dg.build_resources({k: defs.resources[k] for k in ("io_manager", "shop")}) as res:
        assert res.io_manager.store.region_name == "us-east-1"
        assert res.io_manager.store.endpoint is None
        assert res.shop.row_count == 1000
