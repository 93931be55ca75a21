"""Landed orders: validate a landing file, load it to the lake, publish it to the warehouse.

The file stays in ``incoming/`` until ``warehouse_landed_orders`` has published it; only
then does it move to ``processed/``, so ``processed/`` means "published". A run that fails
in between (S3 or warehouse outage) leaves the file in ``incoming/``, its failed run in the
UI, and a re-run (or retry) publishes it exactly once (each file replaces its own slice).

Every landing run ends one of three ways (docs/landing-contract.md):
- published: in the warehouse, filed under ``processed/``;
- quarantined with a ``.reason.txt``: the file is at fault, or landing it raised an
  error nobody foresaw (the reason names the exception); the run fails, so the run-failure
  sensor reports it. Causes: malformed content (the parser's contract), a file over
  ``LandingZone.max_file_bytes`` (judged from its S3 size, then enforced while streaming:
  never read whole), duplicate order_ids (loaded to the lake, but the blocking check
  ``landed_orders:unique_order_ids`` fails and ``warehouse_landed_orders`` is skipped);
- failed for an infrastructure reason, the file untouched in ``incoming/``: S3 errors
  (unreachable S3 is first retried in the step, 4 times with backoff over ~80 s, with an
  error naming the endpoint: ``S3Store.retry_step_when_unreachable``), a warehouse that
  refuses the write, a killed run container. The landing
  sensor requests such a file again once its run has finished (with a back-off), so it is
  never stranded.
"""

from collections.abc import Iterator
from typing import NoReturn

import botocore.exceptions
import dagster as dg
import pandas as pd

from app.defs.landing.partitions import landing_files
from app.lib.landing_files import (
    FileTooLargeError,
    MalformedFileError,
    parse_orders_csv,
)
from app.lib.previews import frame_metadata
from app.owners import DATA_ENGINEERING
from app.resources.landing_zone import INCOMING_PREFIX, LandingZone, is_precondition_failed
from app.resources.warehouse_backend import (
    WAREHOUSE_IO_MANAGER_KEY,
    current_warehouse_backend,
    warehouse_pool,
)

GROUP = "landing"
# The column holding each row's landing file (= partition key): the IO managers (the lake's
# DuckDB one in dev, the warehouse's DuckDB or Snowflake one) replace a partition by it.
PARTITION_METADATA = {"partition_expr": "source_file"}
UNIQUE_CHECK = "unique_order_ids"
# Any botocore error other than an unreachable S3 (access denied, throttling, a 5xx) or an
# OS-level one (a socket reset mid-stream, a full disk) is the platform's problem, not the
# file's: the run fails and the file stays in incoming/ for the sensor to request again.
INFRASTRUCTURE_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError, OSError)


class LandingFileConfig(dg.Config):
    """Which object to land; set by landing_zone_sensor in the run config."""

    s3_key: str
    etag: str = ""


class PublishConfig(dg.Config):
    """Which version of the file the run lands; set by landing_zone_sensor (optional)."""

    etag: str = ""


@dg.asset(
    group_name=GROUP,
    partitions_def=landing_files,
    owners=[DATA_ENGINEERING],
    kinds={"s3", "pandas"},
    metadata=PARTITION_METADATA,
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
    """Parse the file (streamed, size-limited); quarantine it when malformed, too large or duplicated."""
    etag = config.etag
    # An unreachable S3 is not bad input: the file stays in incoming/ and the step is retried
    # with backoff (run_retries only retries crashed runs, never step failures).
    with landing_zone.store.retry_step_when_unreachable(
        context.retry_number, f"landing s3://{landing_zone.bucket}/{config.s3_key}"
    ):
        try:
            frame, etag = _parse_landing_file(landing_zone, config)
            return _landed(context, landing_zone, config.s3_key, frame, etag)
        except MalformedFileError as exc:
            _reject(landing_zone, config.s3_key, exc.reason, etag)
        except (dg.Failure, *INFRASTRUCTURE_ERRORS):
            raise
        except Exception as exc:  # noqa: BLE001 - whatever else broke, the file must not be left unhandled
            _reject(
                landing_zone,
                config.s3_key,
                f"unexpected error while landing the file ({type(exc).__name__}: {exc}); "
                "the file may be fine: fix the cause and upload it again",
                etag,
            )


def _landed(
    context: dg.AssetExecutionContext, landing_zone: LandingZone, key: str, frame: pd.DataFrame, etag: str
) -> dg.MaterializeResult:
    """The parsed file as the asset's value, with its uniqueness check (quarantined on duplicates)."""
    frame = frame.assign(source_file=context.partition_key)

    # Checked here, on the in-memory frame, so the result is available before any
    # downstream step starts (blocking=True makes Dagster skip them on failure).
    duplicated = frame["order_id"][frame["order_id"].duplicated()]
    sample = ", ".join(map(str, duplicated.unique()[:10]))
    check = dg.AssetCheckResult(
        check_name=UNIQUE_CHECK,
        passed=bool(duplicated.empty),
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "duplicate_count": dg.MetadataValue.int(len(duplicated)),
            "sample_duplicates": dg.MetadataValue.text(sample),
        },
    )
    if not duplicated.empty:
        # Never published, so never "processed": quarantined with the reason, visible in S3.
        landing_zone.quarantine(
            key,
            f"duplicate order_id: {len(duplicated)} repeated row(s), e.g. {sample}; "
            f"the blocking check {UNIQUE_CHECK} failed and the file was not published",
            etag=etag,
        )
    return dg.MaterializeResult(
        value=frame,
        metadata=frame_metadata(frame, source_key=dg.MetadataValue.text(key), source_etag=dg.MetadataValue.text(etag)),
        check_results=[check],
    )


@dg.asset(
    group_name=GROUP,
    partitions_def=landing_files,
    owners=[DATA_ENGINEERING],
    kinds={current_warehouse_backend().value, "pandas"},
    io_manager_key=WAREHOUSE_IO_MANAGER_KEY,
    metadata={"schema": "landing", **PARTITION_METADATA},
    pool=warehouse_pool(),  # DuckDB: one writer at a time; Snowflake: none needed
    description="Landed orders published to the warehouse table landing.warehouse_landed_orders "
    "(one slice per file, replaced on re-runs).",
)
def warehouse_landed_orders(
    context: dg.AssetExecutionContext,
    config: PublishConfig,
    landing_zone: LandingZone,
    landed_orders: pd.DataFrame,
) -> Iterator[dg.Output[pd.DataFrame]]:
    """Publish the file's rows through the warehouse IO manager, then file it as processed."""
    # Dagster stores a yielded output (the IO manager replaces this file's slice of the table)
    # before this generator resumes: a failed write ends the step here, leaving the file in
    # incoming/ for a re-run, so processed/ only ever holds published files.
    yield dg.Output(landed_orders, metadata={"rows_from_file": dg.MetadataValue.int(len(landed_orders))})
    # Retrying the whole step re-publishes the same slice (replaced, not appended): still once.
    with landing_zone.store.retry_step_when_unreachable(context.retry_number, "filing the file under processed/"):
        processed_key = landing_zone.mark_processed(INCOMING_PREFIX + context.partition_key, config.etag)
    if processed_key is None:
        context.log.warning(
            f"{INCOMING_PREFIX}{context.partition_key} was replaced by a newer upload while this run "
            "published the previous version; the newer one stays in incoming/ for its own run"
        )
    else:
        context.log.info(f"published and filed as {processed_key}")


def _parse_landing_file(landing_zone: LandingZone, config: LandingFileConfig) -> tuple[pd.DataFrame, str]:
    """Open the object and parse it as a stream; reject it from its S3 size when too large.

    Returns the frame and the ETag of the version read (the one any move must be conditional on).
    """
    try:
        opened = landing_zone.open(config.s3_key, config.etag)
    except botocore.exceptions.ClientError as exc:
        if not is_precondition_failed(exc):
            raise
        raise dg.Failure(
            description=f"{config.s3_key} was replaced after this run was requested (ETag is no longer "
            f"{config.etag}); the sensor starts a separate run for the new version",
            allow_retries=False,
        ) from None
    try:
        if opened.size > landing_zone.max_file_bytes:
            raise FileTooLargeError(opened.size, landing_zone.max_file_bytes)
        return parse_orders_csv(opened.body, max_bytes=landing_zone.max_file_bytes), opened.etag
    finally:
        opened.body.close()


def _reject(landing_zone: LandingZone, key: str, reason: str, etag: str) -> NoReturn:
    """Quarantine version ``etag`` of ``key`` with ``reason`` and fail the step (not retried: the input is bad)."""
    target = landing_zone.quarantine(key, reason, etag=etag)
    if target is None:
        raise dg.Failure(
            description=f"{key} was replaced by a newer upload before it could be quarantined ({reason}); "
            "the newer upload stays in incoming/ for its own run",
            allow_retries=False,
        )
    raise dg.Failure(
        description=f"{key} was quarantined: {reason}",
        metadata={"quarantined_to": dg.MetadataValue.text(target), "reason": reason},
        allow_retries=False,
    )
