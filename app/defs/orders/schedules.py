"""Daily schedule of ingest_orders_job."""

import dagster as dg

from app.defs.orders.jobs import ingest_orders_job
from dagster_platform.environment import default_schedule_status

# The cron string is evaluated in execution_timezone (DST-aware); without it Dagster
# uses UTC, and "06:00" silently drifts by an hour twice a year for the business.
ingest_orders_schedule = dg.ScheduleDefinition(
    name="ingest_orders_schedule",
    job=ingest_orders_job,
    cron_schedule="0 6 * * *",
    execution_timezone="Europe/Berlin",
    default_status=default_schedule_status(),
    description="Run ingest_orders_job every day at 06:00 Berlin time.",
)
