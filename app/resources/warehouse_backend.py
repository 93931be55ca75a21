"""Which warehouse the warehouse-layer assets write to: DuckDB (default) or Snowflake.

``WAREHOUSE_BACKEND`` (``duckdb`` | ``snowflake``) picks the library IO manager bound to
``warehouse_io_manager``: ``DuckDBPandasIOManager`` or ``SnowflakePandasIOManager``.
Every warehouse write (the marts, the landed-orders table) returns a DataFrame to that key,
with ``schema`` (and for partitioned tables ``partition_expr``) metadata, so asset code is
the same on both backends and no hand-written SQL writes a table.

The Snowflake libraries are the optional ``snowflake`` extra (not in the default image),
so they are imported only when that backend is selected. Snowflake authenticates with a
key pair (``SNOWFLAKE_PRIVATE_KEY``, PEM text or its base64), never a password.
"""

import enum
import os

import dagster as dg

from dagster_platform.environment import env_var_or_default

WAREHOUSE_BACKEND_VAR = "WAREHOUSE_BACKEND"
WAREHOUSE_IO_MANAGER_KEY = "warehouse_io_manager"
# DuckDB allows one writing process per file: its writers (and readers, which cannot open
# the file beside a writer) share this pool (limit 1: concurrency.pools.default_limit).
WAREHOUSE_POOL = "warehouse"


class WarehouseBackend(enum.Enum):
    """The warehouses the warehouse-layer assets can be published to."""

    DUCKDB = "duckdb"
    SNOWFLAKE = "snowflake"


def current_warehouse_backend() -> WarehouseBackend:
    """The backend named by ``WAREHOUSE_BACKEND`` (``duckdb`` when unset or empty).

    Raises:
        ValueError: naming the variable and the allowed values, for an unknown value.
    """
    raw = os.environ.get(WAREHOUSE_BACKEND_VAR, "").strip().lower() or WarehouseBackend.DUCKDB.value
    try:
        return WarehouseBackend(raw)
    except ValueError:
        allowed = ", ".join(b.value for b in WarehouseBackend)
        raise ValueError(f"{WAREHOUSE_BACKEND_VAR}={raw!r} is not a known backend; allowed values: {allowed}") from None


def warehouse_pool() -> str | None:
    """The concurrency pool of warehouse writers: DuckDB takes one writer per file, Snowflake many."""
    return WAREHOUSE_POOL if current_warehouse_backend() is WarehouseBackend.DUCKDB else None


def snowflake_settings() -> dict:
    """Connection settings shared by the Snowflake IO manager and resource (key-pair auth)."""
    return {
        "account": dg.EnvVar("SNOWFLAKE_ACCOUNT"),
        "user": dg.EnvVar("SNOWFLAKE_USER"),
        "private_key": dg.EnvVar("SNOWFLAKE_PRIVATE_KEY"),
        # Only for an encrypted key; the role falls back to the user's default role.
        "private_key_password": env_var_or_default("SNOWFLAKE_PRIVATE_KEY_PASSWORD", None),
        "role": env_var_or_default("SNOWFLAKE_ROLE", None),
        "database": dg.EnvVar("SNOWFLAKE_DATABASE"),
        "warehouse": dg.EnvVar("SNOWFLAKE_WAREHOUSE"),
    }


def warehouse_resources(duckdb_path: str | dg.EnvVar) -> dict[str, object]:
    """``warehouse_io_manager`` for the selected backend, plus ``snowflake`` (SQL) on Snowflake.

    ``duckdb_path`` is the warehouse file, shared with the ``warehouse`` resource.
    """
    if current_warehouse_backend() is WarehouseBackend.SNOWFLAKE:
        from dagster_snowflake import SnowflakeResource
        from dagster_snowflake_pandas import SnowflakePandasIOManager

        return {
            WAREHOUSE_IO_MANAGER_KEY: SnowflakePandasIOManager(**snowflake_settings()),
            "snowflake": SnowflakeResource(**snowflake_settings()),
        }
    from dagster_duckdb_pandas import DuckDBPandasIOManager

    return {WAREHOUSE_IO_MANAGER_KEY: DuckDBPandasIOManager(database=duckdb_path)}
