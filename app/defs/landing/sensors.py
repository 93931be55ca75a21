"""landing_zone_sensor: turns new objects under incoming/ into landing_job runs.

Exactly-once, twice over:
- the cursor maps every key under incoming/ that was already requested to its ETag
  (keys that left incoming/ are pruned, so it stays as small as the folder);
- every run request carries ``run_key = "<key>@<etag>"``: Dagster never launches the
  same run key twice, even if the cursor is reset.
A re-uploaded file (new ETag) is landed again, replacing its partition.
Validation happens in the run, not here: sensors must stay fast, and a malformed file
then fails only its own run.
"""

import json

import dagster as dg

from app.defs.landing.jobs import landing_job
from app.defs.landing.partitions import landing_files
from app.environment import default_automation_status
from app.resources.landing_zone import LandingZone, relative_name


def run_config_for(key: str, etag: str) -> dict:
    """The run config that tells landed_orders which object to land."""
    return {"ops": {"landed_orders": {"config": {"s3_key": key, "etag": etag}}}}


@dg.sensor(
    name="landing_zone_sensor",
    job=landing_job,
    minimum_interval_seconds=30,
    default_status=default_automation_status(),
    description="Starts one landing_job run per new or changed CSV under incoming/ in LANDING_BUCKET.",
)
def landing_zone_sensor(context: dg.SensorEvaluationContext, landing_zone: LandingZone) -> dg.SensorResult:
    """List incoming/ (all pages), request a run for each object not yet seen with this ETag."""
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    current: dict[str, str] = {}
    run_requests: list[dg.RunRequest] = []
    for obj in landing_zone.list_incoming():
        current[obj.key] = obj.etag
        if seen.get(obj.key) == obj.etag:
            continue
        run_requests.append(
            dg.RunRequest(
                run_key=f"{obj.key}@{obj.etag}",
                partition_key=relative_name(obj.key),
                run_config=run_config_for(obj.key, obj.etag),
                tags={"landing/s3_key": obj.key},
            )
        )
    new_partitions = sorted({r.partition_key for r in run_requests})
    context.log.info(f"{len(current)} file(s) in incoming/, {len(run_requests)} new")
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=[landing_files.build_add_request(new_partitions)] if new_partitions else [],
        cursor=json.dumps(current, sort_keys=True),
    )
