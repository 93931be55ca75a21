"""WAREHOUSE_BACKEND picks the library IO manager of the marts; the asset code is the same.

The Snowflake tests run against ``fakesnow``, a Snowflake *emulator* (DuckDB underneath)
that patches ``snowflake.connector`` in this process. They prove that the mart, its recency
check and the landing job's publish go through ``SnowflakePandasIOManager`` and
``SnowflakeResource`` unchanged, that key-pair settings are read from the environment and
the key is parsed, that tables land in the configured database and schema, and that a
landing file's slice is replaced, not appended, when it is published again. They do NOT
prove real Snowflake behaviour: authentication (the key is never verified), network and
account settings, roles and grants, warehouse sizing, type mapping quirks, the error
Snowflake raises for a table's first write (see FIRST_WRITE_CLEANUP), concurrent writers, or
SQL that fakesnow does not emulate. Run both jobs once against a real Snowflake account
before relying on them.
"""

import ast
from pathlib import Path

import dagster as dg
import fakesnow
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dagster_duckdb_pandas import DuckDBPandasIOManager

from app.defs.landing.assets import landed_orders, warehouse_landed_orders
from app.defs.marts.checks import customer_lifetime_value_orders_recency
from app.defs.marts.customer_lifetime_value import customer_lifetime_value
from app.defs.orders.assets import raw_orders, staged_orders
from app.defs.shop.assets import shop_database_export
from app.lib.landing_files import make_orders_csv
from app.resources.warehouse_backend import (
    WAREHOUSE_IO_MANAGER_KEY,
    WAREHOUSE_POOL,
    current_warehouse_backend,
    warehouse_pool,
    warehouse_resources,
)

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = [raw_orders, staged_orders, shop_database_export, customer_lifetime_value]
# Where dagster-snowflake-pandas imported write_pandas: fakesnow patches usages, not definitions.
WRITE_PANDAS = "dagster_snowflake_pandas.snowflake_pandas_type_handler.write_pandas"
# An emulator gap: before the first write, dagster-snowflake deletes the table's old rows and
# ignores Snowflake's "does not exist or not authorized"; fakesnow words that error differently.
# The test writes the table once, so that cleanup is skipped instead.
FIRST_WRITE_CLEANUP = r"^DELETE FROM \w+\.marts\.customer_lifetime_value$"
# The same for the landing table, whose first write here is the file first.csv's slice.
FIRST_SLICE_CLEANUP = r"^DELETE FROM \w+\.landing\.warehouse_landed_orders WHERE\s+source_file in \('first\.csv'\)$"


def _private_key_pem() -> str:
    """A fresh unencrypted PKCS#8 RSA key, as `openssl genrsa | openssl pkcs8 -nocrypt` makes."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def snowflake_env(monkeypatch) -> None:
    """WAREHOUSE_BACKEND=snowflake with key-pair settings, as env/prod.env would set them."""
    values = {
        "WAREHOUSE_BACKEND": "snowflake",
        "SNOWFLAKE_ACCOUNT": "test-account",
        "SNOWFLAKE_USER": "DAGSTER",
        "SNOWFLAKE_PRIVATE_KEY": _private_key_pem(),
        "SNOWFLAKE_DATABASE": "ANALYTICS",
        "SNOWFLAKE_WAREHOUSE": "TRANSFORMING",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_duckdb_is_the_default_backend_with_the_single_writer_pool(tmp_path):
    """Unset WAREHOUSE_BACKEND: DuckDBPandasIOManager on the warehouse file, pool `warehouse`."""
    resources = warehouse_resources(duckdb_path=str(tmp_path / "w.duckdb"))
    assert isinstance(resources[WAREHOUSE_IO_MANAGER_KEY], DuckDBPandasIOManager)
    assert resources[WAREHOUSE_IO_MANAGER_KEY].database == str(tmp_path / "w.duckdb")
    assert warehouse_pool() == WAREHOUSE_POOL
    assert customer_lifetime_value.op.pool == WAREHOUSE_POOL
    assert warehouse_landed_orders.op.pool == WAREHOUSE_POOL


def test_snowflake_backend_has_no_pool(snowflake_env):
    """Snowflake takes concurrent writers: no single-writer pool."""
    assert warehouse_pool() is None


def test_unknown_backend_names_the_variable(monkeypatch):
    """A typo fails at load, naming the variable and the allowed values."""
    monkeypatch.setenv("WAREHOUSE_BACKEND", "snowflak")
    with pytest.raises(ValueError, match=r"WAREHOUSE_BACKEND='snowflak'.*duckdb, snowflake"):
        current_warehouse_backend()


def test_snowflake_libraries_are_imported_only_inside_functions():
    """The default image lacks the `snowflake` extra: no module-level import may need it."""
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                assert not any(
                    n.split(".")[0] in ("snowflake", "dagster_snowflake", "dagster_snowflake_pandas") for n in names
                ), path


def test_mart_and_recency_check_run_unchanged_on_snowflake(snowflake_env, tmp_path, shop):
    """Same asset code on the emulator: the mart is written, re-read by its check, queryable by SQL."""
    with fakesnow.patch(extra_targets=[WRITE_PANDAS], db_path=tmp_path, nop_regexes=[FIRST_WRITE_CLEANUP]):
        resources = {
            "io_manager": DuckDBPandasIOManager(database=str(tmp_path / "lake.duckdb")),
            "shop": shop,
            **warehouse_resources(duckdb_path="unused-on-snowflake"),
        }
        result = dg.materialize([*PIPELINE, customer_lifetime_value_orders_recency], resources=resources)
        assert result.success
        [evaluation] = result.get_asset_check_evaluations()
        assert "age_hours" in evaluation.metadata  # the check read the mart back from "Snowflake"
        # build_resources resolves the EnvVars, as a run does.
        with (
            dg.build_resources({"snowflake": resources["snowflake"]}) as built,
            built.snowflake.get_connection() as conn,
        ):
            count, newest = (
                conn.cursor()
                .execute("SELECT count(*), max(last_order_date) FROM analytics.marts.customer_lifetime_value")
                .fetchone()
            )
    assert count == len(shop.customers())
    assert str(newest)[:10] == evaluation.metadata["newest_order"].value[:10]


def test_landed_files_are_published_unchanged_on_snowflake(
    snowflake_env, tmp_path, land, landing_zone, instance, s3_view
):
    """The landing job's publish on the emulator: one slice per file, replaced (not appended)
    when the file is published again, and each file filed as processed/ after its publish."""
    with fakesnow.patch(extra_targets=[WRITE_PANDAS], db_path=tmp_path, nop_regexes=[FIRST_SLICE_CLEANUP]):
        resources = {
            "io_manager": DuckDBPandasIOManager(database=str(tmp_path / "lake.duckdb")),
            "landing_zone": landing_zone,
            **warehouse_resources(duckdb_path="unused-on-snowflake"),
        }
        results = land(
            {"first.csv": make_orders_csv(3), "second.csv": make_orders_csv(4, first_order_id=100)}, resources
        )
        assert all(result.success for result in results.values()), results
        rerun = dg.materialize(
            [landed_orders, warehouse_landed_orders],
            partition_key="second.csv",
            run_config=results["second.csv"].dagster_run.run_config,
            resources=resources,
            instance=instance,
        )
        assert rerun.success
        with (
            dg.build_resources({"snowflake": resources["snowflake"]}) as built,
            built.snowflake.get_connection() as conn,
        ):
            rows = (
                conn.cursor()
                .execute("SELECT source_file, count(*) FROM analytics.landing.warehouse_landed_orders GROUP BY 1")
                .fetchall()
            )
    assert dict(rows) == {"first.csv": 3, "second.csv": 4}
    assert s3_view.keys(landing_zone.bucket, "processed/") == {"processed/first.csv", "processed/second.csv"}
