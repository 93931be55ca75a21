"""The ``platform`` code location: ``dagster api grpc -m dagster_platform.definitions``.

What the platform team runs for every team: the canary that proves runs launch, the
housekeeping of run containers, and the run-failure alerts of every location. It has its own
code server and image (no pandas, DuckDB or warehouse volume), so a team location that fails
to import, or whose server is down, leaves all of this working.

Listed explicitly rather than discovered from a folder: the location stays a few modules, and
its import (paid by every platform run) stays short.
"""

import dagster as dg

from dagster_platform.canary import platform_canary_job
from dagster_platform.environment import env_var_or_default
from dagster_platform.executor import RUN_EXECUTOR
from dagster_platform.failure_alerts import FailureAlerts
from dagster_platform.housekeeping import housekeeping_job, housekeeping_schedule
from dagster_platform.run_failure_alerts import report_run_failures

defs = dg.Definitions(
    jobs=[platform_canary_job, housekeeping_job],
    schedules=[housekeeping_schedule],
    sensors=[report_run_failures],
    resources={"failure_alerts": FailureAlerts(webhook_url=env_var_or_default("FAILURE_WEBHOOK_URL", None))},
    executor=RUN_EXECUTOR,
)
