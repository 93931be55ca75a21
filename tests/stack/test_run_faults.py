"""Faults on the running platform: a run container killed mid-run is detected by run
monitoring (the run fails instead of hanging in STARTED) and run retries re-execute it."""

import json

import pytest

from platform_client import TERMINAL

pytestmark = pytest.mark.stack

CANARY = "platform_canary_job"


def test_killed_run_container_fails_the_run_and_is_retried(stack, wait_for):
    """docker kill the run's container: monitoring marks the run FAILURE, and the retry
    (a new run, new container, tagged with its parent) succeeds."""
    config = {"ops": {"canary": {"config": {"sleep_seconds": 45}}}}
    run_id = stack.client("launch", CANARY, "--config", json.dumps(config))["run_id"]

    def started_container():
        run = stack.client("run", run_id)
        assert run["status"] in ("QUEUED", "STARTING", "STARTED", "NOT_STARTED"), run
        tags = {t["key"]: t["value"] for t in run["tags"]}
        return tags if run["status"] == "STARTED" and "docker/container_id" in tags else None

    tags = wait_for(started_container, 300, "the canary to start", interval=2)
    stack.docker("kill", tags["docker/container_id"])

    waited = stack.client("wait", run_id, "--timeout", "300")
    assert waited["status"] == "FAILURE", waited

    def finished_retry():
        retries = stack.client("runs", "--tag", f"dagster/parent_run_id={run_id}")
        return retries[0] if retries and retries[0]["status"] in TERMINAL else None

    retry = wait_for(finished_retry, 420, f"a finished retry of {run_id}")
    assert retry["status"] == "SUCCESS", retry
    retry_tags = {t["key"]: t["value"] for t in retry["tags"]}
    assert retry_tags.get("dagster/retry_number") == "1", retry_tags
    assert retry_tags["docker/container_id"] != tags["docker/container_id"]


MAX_CONCURRENT_RUNS = 6  # dagster.yaml: concurrency.runs.max_concurrent_runs


def test_run_latency_benchmark_reports_figures(stack, run_sampler):
    """scripts/benchmark_run_latency.py runs a burst of canaries and prints its figures
    (the figures are for reading, not asserting: machines differ). The burst ran, and never
    exceeded the run cap (sampled from Postgres all along; test_load_on_stack.py pushes a
    burst far beyond it)."""
    with run_sampler("platform/benchmark", "run_latency") as sampler:
        out = stack.tool("python", "scripts/benchmark_run_latency.py", "--runs", "3", timeout=900)
    print("\n" + out)
    assert 1 <= sampler.peak_tagged <= sampler.peak_running <= MAX_CONCURRENT_RUNS, sampler.samples
    assert "[figure] runs: 3 launched at once, 3 finished, 0 not successful, 0 timed out" in out, out
    assert "[figure] submit -> finished: p50" in out, out
