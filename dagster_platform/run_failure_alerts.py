"""report_run_failures: every failed run of every code location is logged and, if configured, posted.

It lives in the platform location and watches all of them, so a team location that is broken
or down does not silence the alerts of the others (nor its own runs' failures, reported from here).
"""

import dagster as dg

from dagster_platform.failure_alerts import FailureAlerts


def failure_payload(context: dg.RunFailureSensorContext) -> dict:
    """The JSON body posted to FAILURE_WEBHOOK_URL (``text`` suits Slack/Teams-style hooks)."""
    run = context.dagster_run
    error = context.failure_event.message or "unknown error"
    return {
        "text": f"Dagster run {run.run_id} of {run.job_name} failed: {error}",
        "run_id": run.run_id,
        "job_name": run.job_name,
        "error": error,
        "tags": dict(run.tags),
    }


@dg.run_failure_sensor(
    name="report_run_failures",
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=True,
    description="Logs every failed run of every code location and posts it to FAILURE_WEBHOOK_URL when that is set.",
)
def report_run_failures(context: dg.RunFailureSensorContext, failure_alerts: FailureAlerts) -> None:
    """Report one failed run; a webhook that is down is logged, never raised."""
    payload = failure_payload(context)
    context.log.error(payload["text"])
    outcome = failure_alerts.send(payload)
    context.log.info(f"failure report for run {payload['run_id']}: {outcome}")
