"""platform_canary_job: a cheap job that proves the platform can launch and finish a run.

Launch it after a deploy (or from a schedule) to check, end to end, that the daemon can
start a run container, that the container reaches Postgres and S3 compute logs, and that
the run reports back. `sleep_seconds` keeps it running long enough to watch run monitoring
and retries handle a container killed mid-run (tests/stack/test_run_faults.py does that).
"""

import time

import dagster as dg


class CanaryConfig(dg.Config):
    """How long the canary stays busy before it succeeds."""

    sleep_seconds: int = 0


@dg.op(description="Sleep for the configured time, logging and printing as it goes.")
def canary(context: dg.OpExecutionContext, config: CanaryConfig) -> None:
    """Stay alive for ``sleep_seconds``, then succeed."""
    context.log.info(f"canary: starting, will run for {config.sleep_seconds}s")
    deadline = time.monotonic() + config.sleep_seconds
    while time.monotonic() < deadline:
        time.sleep(min(5.0, max(0.0, deadline - time.monotonic())))
    print("canary: done")
    context.log.info("canary: done")


@dg.job(tags={"platform/domain": "platform"}, description="End-to-end check that runs launch, execute and report.")
def platform_canary_job() -> None:
    """One op: a run that exercises the launcher, storage and compute logs, nothing else."""
    canary()
