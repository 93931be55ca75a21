"""The housekeeping job removes this stack's old stopped run containers, through the
housekeeping proxy, and keeps younger ones (app/defs/platform/housekeeping.py).

"Old" is made testable by the run config's `max_age_hours`, not by waiting: the same
exited container is kept under a 24 h age and removed under a one-second one.
"""

import json

import pytest

pytestmark = pytest.mark.stack

CANARY_JOB = "platform_canary_job"
HOUSEKEEPING_JOB = "housekeeping_job"


def housekeep(stack, max_age_hours: float) -> dict:
    """Run housekeeping_job with that age; return its step output metadata (from the event log)."""
    network = stack.env["DAGSTER_NETWORK"]
    config = {"ops": {"remove_old_run_containers_op": {"config": {"network": network, "max_age_hours": max_age_hours}}}}
    run = stack.launch_and_wait(HOUSEKEEPING_JOB, config=config)
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


def test_housekeeping_removes_old_run_containers_and_keeps_young_ones(stack):
    """A finished run's container stays under the default-like age and goes under a tiny one;
    the run's metadata names what it removed."""
    run = stack.launch_and_wait(CANARY_JOB)
    assert run["status"] == "SUCCESS", run
    cid = stack.tags_of(run)["docker/container_id"]
    assert cid in stack.run_containers() or cid[:12] in stack.run_containers()

    kept = housekeep(stack, max_age_hours=24)
    assert cid[:12] not in metadata_value(kept, "removed_container_ids"), kept
    assert stack.docker("inspect", cid, check=False).returncode == 0, "a young container was removed"

    removed = housekeep(stack, max_age_hours=1 / 3600)
    assert cid[:12] in metadata_value(removed, "removed_container_ids"), removed
    assert metadata_value(removed, "removed_count") >= 1
    assert stack.docker("inspect", cid, check=False).returncode != 0, "the old container is still there"
    # Only stopped containers of this stack's runs: every service is still up.
    for service in ("postgres", "user-code", "webserver", "daemon", "docker-proxy", "docker-proxy-housekeeping"):
        assert stack.health(service) == "healthy", service
