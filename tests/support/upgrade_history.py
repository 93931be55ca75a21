"""Dagster history across an upgrade, for tests/stack/test_upgrade.py.

Runs inside a container (the script arrives on stdin), in two modes with the same definitions:

    python - record SETTINGS   with the older Dagster: runs, materializations, asset check
                               results, a sensor cursor and a pool's state, then optionally
                               step the schema back to an older revision
    python - verify SETTINGS   with the current Dagster, after the migration: read all of that
                               back, then record a new run, check and pool claim

SETTINGS is JSON: {"instance": <instance config: storage, concurrency...>, "schema_revision":
<revision to step back to, or null>, "recorded": <what `record` printed, for `verify`>}.
Each mode prints one JSON line of what it found; the test asserts on it.
"""

import json
import os
import sys
import tempfile
import time

mode, settings = sys.argv[1], json.loads(sys.argv[2])
home = tempfile.mkdtemp()
with open(os.path.join(home, "dagster.yaml"), "w") as f:
    json.dump(settings["instance"], f)  # JSON is YAML
os.environ["DAGSTER_HOME"] = home

import dagster as dg  # noqa: E402
from dagster._core.remote_origin import (  # noqa: E402
    GrpcServerCodeLocationOrigin,
    RemoteInstigatorOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.scheduler.instigation import (  # noqa: E402
    InstigatorState,
    InstigatorStatus,
    InstigatorType,
    SensorInstigatorData,
)

POOL = "upgrade_pool"
SENSOR = "upgrade_sensor"


@dg.asset(pool=POOL)
def upgrade_asset() -> None:
    """An asset materialized on both sides of the upgrade."""


@dg.asset_check(asset=upgrade_asset)
def upgrade_check() -> dg.AssetCheckResult:
    """A check evaluated on both sides of the upgrade."""
    return dg.AssetCheckResult(passed=True, metadata={"written_by": dg.__version__})


def materialize(instance: dg.DagsterInstance) -> str:
    """One run of the asset and its check; return its run id."""
    result = dg.materialize([upgrade_asset, upgrade_check], instance=instance, tags={"upgrade/by": dg.__version__})
    return result.run_id


def record(instance: dg.DagsterInstance) -> dict:
    """Write the history the upgrade must keep."""
    run_ids = [materialize(instance) for _ in range(2)]
    origin = RemoteInstigatorOrigin(
        RemoteRepositoryOrigin(
            GrpcServerCodeLocationOrigin(host="user-code", port=4000, location_name="upgrade"), "__repository__"
        ),
        SENSOR,
    )
    cursor = f"cursor-written-by-{dg.__version__}"
    instance.add_instigator_state(
        InstigatorState(
            origin,
            InstigatorType.SENSOR,
            InstigatorStatus.RUNNING,
            SensorInstigatorData(cursor=cursor, last_tick_timestamp=time.time()),
        )
    )
    instance.event_log_storage.set_concurrency_slots(POOL, 3)
    # A slot held by a run still going: the pool's state, not only its limit.
    instance.event_log_storage.claim_concurrency_slot(POOL, run_ids[0], "held_step")
    revision = settings.get("schema_revision")
    if revision:
        from dagster._core.storage.sql import run_alembic_downgrade
        from dagster_postgres.run_storage import run_storage
        from dagster_postgres.utils import pg_alembic_config

        with instance.run_storage.connect() as conn:  # type: ignore[attr-defined]
            run_alembic_downgrade(pg_alembic_config(run_storage.__file__), conn, rev=revision)
    return {"version": dg.__version__, "run_ids": run_ids, "cursor": cursor}


def verify(instance: dg.DagsterInstance) -> dict:
    """Read the recorded history back, then use runs, checks and pools anew."""
    recorded = settings["recorded"]
    check_key = dg.AssetCheckKey(dg.AssetKey("upgrade_asset"), "upgrade_check")

    def check_runs() -> list[str]:
        history = instance.event_log_storage.get_asset_check_execution_history(check_key, limit=20)
        return sorted(record.run_id for record in history if record.status.value == "SUCCEEDED")

    runs = {run_id: instance.get_run_by_id(run_id) for run_id in recorded["run_ids"]}
    materializations = instance.fetch_materializations(dg.AssetKey("upgrade_asset"), limit=20).records
    sensors = [
        state for state in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR) if state.name == SENSOR
    ]
    pool_before = instance.event_log_storage.get_concurrency_info(POOL)
    found = {
        "run_status": {run_id: run.status.value if run else None for run_id, run in runs.items()},
        "run_tags": {run_id: (run.tags.get("upgrade/by") if run else None) for run_id, run in runs.items()},
        "materialized_by": sorted(record.run_id for record in materializations),
        "check_runs": check_runs(),
        "cursors": [state.instigator_data.cursor for state in sensors],  # type: ignore[union-attr]
        "pool_slots": pool_before.slot_count,
        "pool_claims": sorted((slot.run_id, slot.step_key) for slot in pool_before.claimed_slots),
    }
    new_run = materialize(instance)
    claim = instance.event_log_storage.claim_concurrency_slot(POOL, new_run, "new_step")
    pool_after = instance.event_log_storage.get_concurrency_info(POOL)
    found |= {
        "version": dg.__version__,
        "new_run": new_run,
        "new_run_status": instance.get_run_by_id(new_run).status.value,  # type: ignore[union-attr]
        "new_run_materialized": instance.get_latest_materialization_event(dg.AssetKey("upgrade_asset")).run_id,  # type: ignore[union-attr]
        "check_runs_after": check_runs(),
        "new_claim": claim.slot_status.value,
        "pool_claims_after": sorted((slot.run_id, slot.step_key) for slot in pool_after.claimed_slots),
    }
    return found


with dg.DagsterInstance.get() as dagster_instance:
    print(json.dumps((record if mode == "record" else verify)(dagster_instance)))
