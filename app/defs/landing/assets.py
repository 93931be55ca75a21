"""Landed orders: validate a landing file, load it to the lake, publish it to the warehouse.

Failure modes, by design:
- malformed file (bad header, unparseable rows): moved to ``quarantine/`` with a
  ``.reason.txt``; the run fails (so the run-failure sensor reports it).
- well-formed file with duplicate order_ids: loaded to the lake, but the blocking check
  ``landed_orders:unique_order_ids`` fails and ``warehouse_landed_orders`` is skipped.
"""

import dagster as dg
import pandas as pd

from app.defs.landing.partitions import landing_files
from app.lib.landing_files import MalformedFileError, parse_orders_csv
from app.lib.previews import frame_metadata
from app.owners import DATA_ENGINEERING
from app.resources.landing_zone import LandingZone
from app.resources.warehouse import WAREHOUSE_POOL, Warehouse

GROUP = "landing"
UNIQUE_CHECK = "unique_order_ids"


class LandingFileConfig(dg.Config):
    """Which object to land; set by landing_zone_sensor in the run config."""

    s3_key: str
    etag: str = ""


@dg.asset(
    group_name=GROUP,
    partitions_def=landing_files,
    owners=[DATA_ENGINEERING],
    kinds={"s3", "pandas"},
    # Dev's DuckDB IO manager finds a partition's rows through this column.
    metadata={"partition_expr": "source_file"},
    check_specs=[
        dg.AssetCheckSpec(
            UNIQUE_CHECK,
            asset="landed_orders",
            blocking=True,
            description="order_id is unique within the file; blocks publishing when not.",
        )
    ],
    description="One landing CSV file, validated and typed (partition = file name).",
)
def landed_orders(
    context: dg.AssetExecutionContext, config: LandingFileConfig, landing_zone: LandingZone
):  # no return annotation: with check_specs Dagster would read it as a multi-output tuple
    """Parse the file; quarantine it when malformed, else file it under processed/."""
    try:
        frame = parse_orders_csv(landing_zone.read(config.s3_key))
    except MalformedFileError as exc:
        target = landing_zone.quarantine(config.s3_key, exc.reason)
        raise dg.Failure(
            description=f"{config.s3_key} is malformed and was quarantined: {exc.reason}",
            metadata={"quarantined_to": dg.MetadataValue.text(target), "reason": exc.reason},
            allow_retries=False,
        ) from None
    frame = frame.assign(source_file=context.partition_key)
    processed_key = landing_zone.mark_processed(config.s3_key)

    # Checked here, on the in-memory frame, so the result is available before any
    # downstream step starts (blocking=True makes Dagster skip them on failure).
    duplicated = frame["order_id"][frame["order_id"].duplicated()]
    check = dg.AssetCheckResult(
        check_name=UNIQUE_CHECK,
        passed=duplicated.empty,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "duplicate_count": dg.MetadataValue.int(len(duplicated)),
            "sample_duplicates": dg.MetadataValue.text(", ".join(map(str, duplicated.unique()[:10]))),
        },
    )
    return dg.MaterializeResult(
        value=frame,
        metadata=frame_metadata(frame, processed_key=dg.MetadataValue.text(processed_key)),
        check_results=[check],
    )


@dg.asset(
    group_name=GROUP,
    partitions_def=landing_files,
    owners=[DATA_ENGINEERING],
    kinds={"duckdb", "pandas"},
    pool=WAREHOUSE_POOL,  # writes the DuckDB file: one writer at a time
    description="Landed orders published to the warehouse table landing.orders (one slice per file).",
)
def warehouse_landed_orders(
    context: dg.AssetExecutionContext, warehouse: Warehouse, landed_orders: pd.DataFrame
) -> dg.MaterializeResult:
    """Replace this file's rows in landing.orders, so re-running a file is idempotent."""
    total = warehouse.upsert_slice("landing", "orders", landed_orders, "source_file", context.partition_key)
    return dg.MaterializeResult(
        metadata={
            "rows_from_file": dg.MetadataValue.int(len(landed_orders)),
            "table_row_count": dg.MetadataValue.int(total),
        }
    )
