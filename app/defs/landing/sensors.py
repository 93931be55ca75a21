"""landing_zone_sensor: turns new objects under incoming/ into landing_job runs.

Exactly-once, twice over:
- the cursor maps every key under incoming/ that was already requested to its version
  (keys that left incoming/ are pruned, so it stays as small as the folder);
- every run request carries ``run_key = "<key>@<etag>@<upload time>"``: Dagster never
  launches the same run key twice, even if the cursor is reset.
A re-uploaded file is a new upload (new upload time, even with identical bytes and so the
same ETag) and is landed again: publishing replaces the file's own slice, so that is
idempotent, and a re-sent file never sits in incoming/ silently.

Hostile input never stops the sensor:
- a name that cannot be a partition key (control characters, ``...``, too long) or that
  would share a lake object with another file (the lake maps unsafe characters to ``_``)
  is quarantined here, under a safe name, with the reason;
- an error on one object is logged and that object is retried on the next tick, while
  every other file is still requested.
Content is validated in the run, not here: sensors must stay fast, and a malformed file
then fails only its own run.

A file is never stranded in incoming/: a run ends with the file published (processed/) or
quarantined, unless it failed for an infrastructure reason (S3 or the warehouse down, the
run container killed). Then the file is still in incoming/ under the version the cursor
knows, and once that version's latest run has finished, the sensor requests it again after
a back-off (5 min, doubling per attempt, at most 6 h), as a new run key
(``<key>@<version>#<attempt>``). Files under incoming/ that were requested recently are not
looked up, so a tick costs one run-storage query per file whose back-off has passed.
"""

import json
import time

import dagster as dg

from app.defs.landing.jobs import landing_job
from app.defs.landing.partitions import LANDING_PARTITIONS, landing_files
from app.io_managers.s3_parquet import partition_path
from app.lib.landing_files import name_problem
from app.resources.landing_zone import (
    LandingObject,
    LandingZone,
    relative_name,
    safe_quarantine_name,
)
from dagster_platform.environment import default_sensor_status

# Run tags: which object and which upload of it a run lands (the sensor finds failed runs by them).
S3_KEY_TAG = "landing/s3_key"
VERSION_TAG = "landing/version"
RETRY_FIRST_SECONDS = 300.0
RETRY_MAX_SECONDS = 6 * 3600.0


def retry_delay(attempt: int) -> float:
    """Seconds after a failed run of attempt ``attempt`` (0 = the first run) before the next one."""
    return min(RETRY_FIRST_SECONDS * 2**attempt, RETRY_MAX_SECONDS)


def run_config_for(key: str, etag: str) -> dict:
    """The run config that tells the landing job which object (and which version) to land."""
    return {
        "ops": {
            "landed_orders": {"config": {"s3_key": key, "etag": etag}},
            "warehouse_landed_orders": {"config": {"etag": etag}},
        }
    }


def version_of(obj: LandingObject) -> str:
    """What makes an upload distinct: its content (ETag) and its upload time."""
    return f"{obj.etag}@{obj.last_modified}"


class _LakeNames:
    """Lake object paths already taken by landing partitions, to refuse a second file on one path."""

    def __init__(self, existing_partitions: list[str]):
        self._owner = {partition_path(p, False): p for p in existing_partitions}

    def conflict(self, partition_key: str) -> str | None:
        """The other partition key already using this key's lake path, or None (then it is claimed)."""
        path = partition_path(partition_key, False)
        owner = self._owner.setdefault(path, partition_key)
        return owner if owner != partition_key else None


def _rejection(obj: LandingObject, lake: _LakeNames) -> str | None:
    """Why this file cannot be landed under its name, or None."""
    name = relative_name(obj.key)
    problem = name_problem(name)
    if problem:
        return f"{problem}; rename the file and upload it again"
    other = lake.conflict(name)
    if other:
        return (
            f"file name {name!r} maps to the same lake object as the already landed {other!r} "
            "(characters outside A-Za-z0-9._=- become '_'); rename the file and upload it again"
        )
    return None


def _request(obj: LandingObject, attempt: int) -> dg.RunRequest:
    """The run request landing one upload (``attempt`` > 0: again, after a failed run)."""
    run_key = f"{obj.key}@{version_of(obj)}" + (f"#{attempt}" if attempt else "")
    return dg.RunRequest(
        run_key=run_key,
        partition_key=relative_name(obj.key),
        run_config=run_config_for(obj.key, obj.etag),
        tags={S3_KEY_TAG: obj.key, VERSION_TAG: version_of(obj)},
    )


def _entry(value) -> dict:
    """A cursor entry: ``{"version", "attempt", "at"}`` (older cursors held the version alone)."""
    if isinstance(value, str):
        return {"version": value, "attempt": 0, "at": 0.0}
    return value


def _needs_another_run(instance: dg.DagsterInstance, obj: LandingObject, entry: dict, now: float) -> bool:
    """True when this upload's latest run has finished and its back-off has passed, yet the
    file is still in incoming/ (the run failed for a reason outside the file)."""
    delay = retry_delay(entry["attempt"])
    if now - entry["at"] < delay:
        return False
    records = instance.get_run_records(
        filters=dg.RunsFilter(tags={S3_KEY_TAG: obj.key, VERSION_TAG: version_of(obj)}), limit=1
    )
    if not records:
        return True  # requested long ago, yet no run exists (deleted, or never launched)
    record = records[0]
    return record.dagster_run.is_finished and now - (record.end_time or 0.0) >= delay


@dg.sensor(
    name="landing_zone_sensor",
    job=landing_job,
    minimum_interval_seconds=30,
    default_status=default_sensor_status(),
    description="Starts one landing_job run per new or changed CSV under incoming/ in LANDING_BUCKET, "
    "and again for a file whose run failed without publishing or quarantining it.",
)
def landing_zone_sensor(context: dg.SensorEvaluationContext, landing_zone: LandingZone) -> dg.SensorResult:
    """List incoming/ (all pages), request a run for each upload not seen yet or whose run failed;
    quarantine bad names."""
    now = time.time()  # before listing: a run finishing during the listing is not judged stale
    seen = {key: _entry(value) for key, value in (json.loads(context.cursor) if context.cursor else {}).items()}
    listed = list(landing_zone.list_incoming())
    new = [obj for obj in listed if seen.get(obj.key, {}).get("version") != version_of(obj)]
    # Keys still in incoming/ and already requested stay in the cursor; the rest is pruned.
    current = {obj.key: seen[obj.key] for obj in listed if seen.get(obj.key, {}).get("version") == version_of(obj)}
    run_requests: list[dg.RunRequest] = []
    by_key = {obj.key: obj for obj in listed}
    for key, entry in list(current.items()):
        obj = by_key[key]
        try:
            if _needs_another_run(context.instance, obj, entry, now):
                attempt = entry["attempt"] + 1
                run_requests.append(_request(obj, attempt))
                current[key] = {"version": version_of(obj), "attempt": attempt, "at": now}
                context.log.warning(f"{key!r} is still in incoming/ after a failed run: requested again ({attempt})")
        except Exception as exc:  # noqa: BLE001 - one bad object must not stop the others
            context.log.error(f"could not check the runs of {key!r} this tick (retried next tick): {exc!r}")
    lake = _LakeNames(list(context.instance.get_dynamic_partitions(LANDING_PARTITIONS)) if new else [])
    for obj in new:
        try:
            reason = _rejection(obj, lake)
            if reason:
                target = landing_zone.quarantine(
                    obj.key, reason, safe_quarantine_name(relative_name(obj.key)), etag=obj.etag
                )
                if target is None:
                    context.log.info(
                        f"{obj.key!r} was replaced while being quarantined; the new upload is seen next tick"
                    )
                else:
                    context.log.warning(f"quarantined {obj.key!r} to {target!r}: {reason}")
                continue
            run_requests.append(_request(obj, 0))
            current[obj.key] = {"version": version_of(obj), "attempt": 0, "at": now}
        except Exception as exc:  # noqa: BLE001 - one bad object must not stop the others
            context.log.error(f"skipped {obj.key!r} this tick (retried next tick): {exc!r}")
    new_partitions = sorted({r.partition_key for r in run_requests if r.partition_key})
    context.log.info(f"{len(new)} new upload(s) in incoming/, {len(run_requests)} run(s) requested")
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=[landing_files.build_add_request(new_partitions)] if new_partitions else [],
        cursor=json.dumps(current, sort_keys=True),
    )
