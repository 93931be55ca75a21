"""report_run_failures: posts JSON to a real HTTP endpoint, survives a dead one."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import pytest

from dagster_platform.failure_alerts import FailureAlerts
from dagster_platform.run_failure_alerts import report_run_failures


@dg.asset
def always_fails():
    """A stand-in asset whose run fails, to produce a real failure event."""
    raise RuntimeError("upstream API returned 503")


@pytest.fixture
def webhook():
    """A real HTTP server on a free port that records JSON bodies posted to it."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    server.server_close()


@pytest.fixture
def failure_context(instance):
    """A run-failure sensor context built from a genuinely failed run."""
    result = dg.materialize([always_fails], instance=instance, raise_on_error=False)
    assert not result.success
    [record] = instance.get_records_for_run(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
    return dg.build_run_status_sensor_context(
        sensor_name="report_run_failures",
        dagster_event=record.event_log_entry.dagster_event,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    ).for_run_failure()


def test_failure_is_posted_to_the_webhook(failure_context, webhook):
    """With FAILURE_WEBHOOK_URL set, the failed run's id, job and error are posted as JSON."""
    url, received = webhook
    report_run_failures(failure_context, failure_alerts=FailureAlerts(webhook_url=url))
    [payload] = received
    assert payload["run_id"] == failure_context.dagster_run.run_id
    assert payload["job_name"] == failure_context.dagster_run.job_name
    assert "always_fails" in payload["error"]  # the failed step is named


@pytest.mark.parametrize(
    ("url", "outcome"),
    [(None, "no webhook configured"), ("http://127.0.0.1:9/unreachable", "webhook failed")],
)
def test_missing_or_dead_webhook_never_crashes_the_sensor(failure_context, url, outcome):
    """No webhook configured, or one that refuses connections: reported as text, never raised."""
    alerts = FailureAlerts(webhook_url=url)
    report_run_failures(failure_context, failure_alerts=alerts)  # completes without raising
    assert alerts.send({"text": "probe"}).startswith(outcome)
