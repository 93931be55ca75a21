"""The housekeeping job removes this stack's old stopped run containers, through the
housekeeping proxy, and keeps younger ones (dagster_platform/housekeeping.py).

"Old" is made testable by the run config's `max_age_hours`, not by waiting: the same
exited container is kept under a 24 h age and removed under a one-second one.
"""

import json

import pytest

pytestmark = pytest.mark.stack

CANARY_JOB = "platform_canary_job"
HOUSEKEEPING_JOB = "housekeeping_job"


def housekeep(stack, wait_for, max_age_hours: float) -> dict:
    """Run housekeeping_job with that age; return its step output metadata (from the event log)."""
    network = stack.env["DAGSTER_NETWORK"]
    config = {"ops": {"remove_old_run_containers_op": {"config": {"network": network, "max_age_hours": max_age_hours}}}}
    run = stack.launch_and_wait(HOUSEKEEPING_JOB, config=config)
    if run["status"] == "FAILURE":
        # A run that failed to start in time (a loaded machine) is retried by the platform
        # (dagster.yaml run_retries): its retry is the housekeeping run to look at.
        retry = wait_for(
            lambda: stack.client("runs", "--job", HOUSEKEEPING_JOB, "--tag", f"dagster/parent_run_id={run['runId']}"),
            300,
            f"the retry of housekeeping run {run['runId']}",
            interval=5,
        )
        run = stack.wait_run(retry[0]["runId"], timeout=420)
    assert run["status"] == "SUCCESS", run
    event = stack.psql(
        f"SELECT event FROM event_logs WHERE run_id = '{run['runId']}' AND dagster_event_type = 'STEP_OUTPUT'"
    )
    assert event, f"housekeeping run {run['runId']} reported no output"
    data = json.loads(event)["dagster_event"]["event_specific_data"]
    # Stored under its historical name, as a list of labelled entries.
    entries = data.get("metadata_entries") or data.get("metadata") or {}
    if isinstance(entries, list):
        return {entry["label"]: entry["entry_data"] for entry in entries}
    return entries


def metadata_value(metadata: dict, key: str):
    """The plain value of one serialized metadata entry (int, float, json or md)."""
    entry = metadata[key]
    for field in ("value", "data", "md_str", "text"):
        if field in entry:
            return entry[field]
    raise AssertionError(f"unknown metadata form for {key}: {entry}")


def test_housekeeping_removes_old_run_containers_and_keeps_young_ones(stack, wait_for):
    """A finished run's container stays under the default-like age and goes under a tiny one;
    the run's metadata names what it removed."""
    run = stack.launch_and_wait(CANARY_JOB)
    cid = stack.tags_of(run)["docker/container_id"]
    # Whatever the run's outcome, its container must have stopped (a crashed run's stays too).
    wait_for(lambda: stack.inspect(cid)["State"]["Status"] == "exited", 300, f"container {cid} to exit")

    # A stopped "run container" this stack's launcher did not create (no stack label set by
    # the proxy): housekeeping must not be able to remove it, however old.
    foreign = stack.docker(
        "create",
        "--label",
        "io.dagster-platform.role=run",
        "--network",
        stack.env["DAGSTER_NETWORK"],
        stack.env.get("DAGSTER_IMAGE", "dagster-platform:local"),
        "true",
    ).stdout.strip()
    kept = housekeep(stack, wait_for, max_age_hours=24)
    assert cid[:12] not in metadata_value(kept, "removed_container_ids"), kept
    assert stack.docker("inspect", cid, check=False).returncode == 0, "a young container was removed"

    removed = housekeep(stack, wait_for, max_age_hours=1 / 3600)
    assert cid[:12] in metadata_value(removed, "removed_container_ids"), removed
    assert metadata_value(removed, "removed_count") >= 1
    assert stack.docker("inspect", cid, check=False).returncode != 0, "the old container is still there"
    assert stack.docker("inspect", foreign, check=False).returncode == 0, "another stack's container was removed"
    stack.docker("rm", "-f", foreign, check=False)
    # Only stopped containers of this stack's runs: every service is still up.
    for service in ("postgres", "user-code", "webserver", "daemon", "docker-proxy", "docker-proxy-housekeeping"):
        assert stack.health(service) == "healthy", service
