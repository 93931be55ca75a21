"""The platform removes its own exited run containers: housekeeping_job and its schedule.

DockerRunLauncher never removes the containers it starts, and on purpose nothing sets
`auto_remove`: a crashed run's container keeps its `docker logs` (the only record of a
crash before the step could log anything). So every run leaves an exited container behind.
This job removes the exited run containers of THIS stack (label `io.dagster-platform.role=run`
on the stack's network, DAGSTER_NETWORK) once they are older than RUN_CONTAINER_MAX_AGE_HOURS
(default 24), counted from the container's creation, as `docker container prune --filter
until=...` counts. Younger ones, crashed or not, stay for their logs.

The schedule reads both settings in the code server (where compose sets them) and hands them
to the run as run config, so run containers need no extra environment, and deployments
without Docker (Helm, Dagster+: no DAGSTER_NETWORK) skip it.

It talks to Docker only through the housekeeping proxy (docker-compose.yml
`docker-proxy-housekeeping`, deploy/docker-proxy/housekeeping.cfg), which allows listing
containers and removing stopped ones, nothing else: its run executes in a run container like
any other, and run containers must not hold the Docker API.
"""

import datetime as dt
import os
import time
from collections.abc import Iterable, Mapping

import dagster as dg

from dagster_platform.environment import default_schedule_status

RUN_LABEL = "io.dagster-platform.role=run"
# Docker states of a container whose run is over. Not `created`: that is also a launch in
# progress (create, then start), which must never be removed under the launcher.
STOPPED_STATES = ("exited", "dead")
DEFAULT_MAX_AGE_HOURS = 24.0
HOUSEKEEPING_DOCKER_HOST = "tcp://docker-proxy-housekeeping:2375"


class HousekeepingConfig(dg.Config):
    """Which run containers to remove: those on `network` (the stack's DAGSTER_NETWORK) that
    stopped and were created more than `max_age_hours` ago."""

    network: str
    max_age_hours: float = DEFAULT_MAX_AGE_HOURS
    docker_host: str = HOUSEKEEPING_DOCKER_HOST


def housekeeping_run_config(environ: Mapping[str, str]) -> dict | None:
    """Run config from the code server's environment; None where there is no Docker stack."""
    network = environ.get("DAGSTER_NETWORK")
    if not network:
        return None
    hours = float(environ.get("RUN_CONTAINER_MAX_AGE_HOURS") or DEFAULT_MAX_AGE_HOURS)
    return {"ops": {"remove_old_run_containers_op": {"config": {"network": network, "max_age_hours": hours}}}}


def select_old(containers: Iterable[dict], max_age: dt.timedelta, now: float) -> tuple[list[dict], list[dict]]:
    """Split stopped containers (Docker's list format) into (older than max_age, the rest)."""
    old: list[dict] = []
    kept: list[dict] = []
    for container in containers:
        if container["State"] not in STOPPED_STATES:
            continue
        (old if now - container["Created"] > max_age.total_seconds() else kept).append(container)
    return old, kept


def describe(container: dict) -> dict:
    """What the report says about one container: id, run, job, state, creation time."""
    labels = container.get("Labels") or {}
    return {
        "container": container["Id"][:12],
        "run_id": labels.get("dagster/run_id", ""),
        "job": labels.get("dagster/job_name", ""),
        "status": container.get("Status", container["State"]),
        "created": dt.datetime.fromtimestamp(container["Created"], dt.UTC).isoformat(timespec="seconds"),
    }


def remove_old_run_containers(api, network: str, max_age: dt.timedelta, now: float | None = None) -> dict:
    """Remove this stack's stopped run containers older than `max_age` through `api` (a
    docker.APIClient); return {"removed": [...], "kept": [...], "failed": [...]} descriptions.

    Never forced: a container that started running again since the listing is refused by
    the engine and reported under "failed" instead of being killed."""
    listed = api.containers(all=True, filters={"label": RUN_LABEL, "network": network, "status": list(STOPPED_STATES)})
    old, kept = select_old(listed, max_age, time.time() if now is None else now)
    report: dict[str, list[dict]] = {"removed": [], "kept": [describe(c) for c in kept], "failed": []}
    for container in old:
        try:
            api.remove_container(container["Id"])
            report["removed"].append(describe(container))
        except Exception as exc:  # noqa: BLE001 - one container's failure must not stop the rest
            report["failed"].append({**describe(container), "error": str(exc).splitlines()[0]})
    return report


def markdown_table(rows: list[dict]) -> str:
    """Rows of `describe` as a markdown table (the run's metadata in the UI)."""
    if not rows:
        return "none"
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(row[k]) for k in head) + " |" for row in rows]
    return "\n".join(lines)


@dg.op(out=dg.Out(dg.Nothing), description="Remove this stack's stopped run containers older than the max age.")
def remove_old_run_containers_op(context: dg.OpExecutionContext, config: HousekeepingConfig):
    """Remove old stopped run containers and report them as the step's output metadata."""
    import docker

    hours, network = config.max_age_hours, config.network
    api = docker.APIClient(base_url=config.docker_host, timeout=60)
    report = remove_old_run_containers(api, network, dt.timedelta(hours=hours))
    context.log.info(
        f"removed {len(report['removed'])} run containers older than {hours} h on {network}: "
        f"{[r['container'] for r in report['removed']]}; kept {len(report['kept'])}; failed {len(report['failed'])}"
    )
    if report["failed"]:
        context.log.warning(f"could not remove: {report['failed']}")
    yield dg.Output(
        None,
        metadata={
            "removed_count": dg.MetadataValue.int(len(report["removed"])),
            "kept_count": dg.MetadataValue.int(len(report["kept"])),
            "failed_count": dg.MetadataValue.int(len(report["failed"])),
            "max_age_hours": dg.MetadataValue.float(hours),
            "removed": dg.MetadataValue.md(markdown_table(report["removed"])),
            "removed_container_ids": dg.MetadataValue.json([r["container"] for r in report["removed"]]),
        },
    )


@dg.job(tags={"platform/domain": "platform"}, description="Remove this stack's old stopped run containers.")
def housekeeping_job() -> None:
    """One op: prune the run containers DockerRunLauncher leaves behind."""
    remove_old_run_containers_op()


@dg.schedule(
    job=housekeeping_job,
    cron_schedule="17 * * * *",
    # Only where compose runs the stack (DAGSTER_NETWORK set) and schedules start on their own.
    default_status=default_schedule_status() if os.environ.get("DAGSTER_NETWORK") else dg.DefaultScheduleStatus.STOPPED,
    description="Every hour: remove stopped run containers older than RUN_CONTAINER_MAX_AGE_HOURS.",
)
def housekeeping_schedule(context: dg.ScheduleEvaluationContext):
    """Request one housekeeping run with this stack's network and max age."""
    run_config = housekeeping_run_config(os.environ)
    if run_config is None:
        return dg.SkipReason("DAGSTER_NETWORK is not set: not a Docker deployment, nothing to clean up")
    return dg.RunRequest(run_config=run_config)
