"""ingest_orders_schedule: cron, timezone, and the run it requests."""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

from app.defs.orders.schedules import ingest_orders_schedule


def test_schedule_runs_daily_at_six_in_berlin():
    """The cron string is interpreted in an explicit timezone, not the server's."""
    assert ingest_orders_schedule.cron_schedule == "0 6 * * *"
    assert ingest_orders_schedule.execution_timezone == "Europe/Berlin"
    assert ingest_orders_schedule.job_name == "ingest_orders_job"


def test_schedule_tick_requests_an_ingest_run(instance):
    """A tick yields exactly one run request, tagged with the schedule that made it."""
    tick_time = dt.datetime(2026, 3, 30, 6, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # first day of CEST
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick_time)
    [request] = ingest_orders_schedule.evaluate_tick(context).run_requests
    assert request.tags["dagster/schedule_name"] == "ingest_orders_schedule"
