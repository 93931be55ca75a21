"""Resource instances for each environment: same keys everywhere, different parameters.

Required settings are ``dg.EnvVar``: when one is missing, Dagster fails at resource
initialisation with an error naming the variable. Optional ones fall back to defaults.
"""

import dagster as dg
from dagster_duckdb_pandas import DuckDBPandasIOManager

from app.environment import dev_data_dir
from app.io_managers.s3_parquet import S3ParquetIOManager
from app.resources.landing_zone import LandingZone
from app.resources.shop_source import ShopSource
from app.resources.warehouse_backend import warehouse_resources
from dagster_platform.environment import Environment, current_environment, env_var_or_default
from dagster_platform.s3_store import DEFAULT_AWS_REGION, DEFAULT_S3_MAX_ATTEMPTS, S3Store

DEFAULT_ORDERS_ROW_COUNT = 1000


def s3_store(environment: Environment) -> S3Store:
    """The S3 connection. Static keys are required except in prod (where an IAM role may serve).

    The optional settings are the ones boto3 reads elsewhere in the platform (compute logs,
    scripts), so the lake and the landing zone accept exactly what they do: a session token
    for temporary credentials, a CA bundle for a private CA, and botocore's attempt count.
    """
    if environment is Environment.PROD:
        access_key = env_var_or_default("AWS_ACCESS_KEY_ID", None)
        secret_key = env_var_or_default("AWS_SECRET_ACCESS_KEY", None)
    else:
        access_key = dg.EnvVar("AWS_ACCESS_KEY_ID")
        secret_key = dg.EnvVar("AWS_SECRET_ACCESS_KEY")
    return S3Store(
        # Unset or empty means real AWS S3.
        endpoint_url=env_var_or_default("S3_ENDPOINT_URL", None),
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=env_var_or_default("AWS_REGION", DEFAULT_AWS_REGION),
        # Passed explicitly: with explicit keys, boto3 would not pick the token up by itself.
        aws_session_token=env_var_or_default("AWS_SESSION_TOKEN", None),
        ca_bundle=env_var_or_default("AWS_CA_BUNDLE", None),
        max_attempts=env_var_or_default("S3_MAX_ATTEMPTS", DEFAULT_S3_MAX_ATTEMPTS),
    )


def landing_zone(environment: Environment) -> LandingZone:
    """The landing bucket (needs S3 even in dev; the sensor is STOPPED there by default)."""
    return LandingZone(store=s3_store(environment), bucket=dg.EnvVar("LANDING_BUCKET"))


def build_resources(environment: Environment | None = None) -> dict[str, object]:
    """All resources of the code location, keyed as the assets expect them."""
    environment = environment or current_environment()
    if environment is Environment.DEV:
        # Embedded mode: two local DuckDB files. The lake is separate from the warehouse
        # so IO-manager writes never contend with the "warehouse" pool's single writer.
        # DuckDB does not create missing folders; data/ is git-ignored.
        data_dir = dev_data_dir()
        data_dir.mkdir(parents=True, exist_ok=True)
        io_manager: dg.ConfigurableIOManagerFactory | dg.ConfigurableIOManager = DuckDBPandasIOManager(
            database=str(data_dir / "lake.duckdb")
        )
        warehouse_path = env_var_or_default("WAREHOUSE_DUCKDB_PATH", str(data_dir / "warehouse.duckdb"))
    else:
        io_manager = S3ParquetIOManager(store=s3_store(environment), bucket=dg.EnvVar("LAKE_BUCKET"))
        warehouse_path = dg.EnvVar("WAREHOUSE_DUCKDB_PATH")
    return {
        "io_manager": io_manager,
        **warehouse_resources(duckdb_path=warehouse_path),
        "shop": ShopSource(row_count=env_var_or_default("ORDERS_ROW_COUNT", DEFAULT_ORDERS_ROW_COUNT)),
        "landing_zone": landing_zone(environment),
    }
