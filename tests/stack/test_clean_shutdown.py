"""Every long-running service stops cleanly: `docker compose stop` (what `restart` and `down`
do first) ends each one through its stop signal, not with Docker's SIGKILL at the end of
`stop_grace_period`.

Judged by the engine and by the service itself: each container's exit code is 0 (a SIGKILL
shows as 137, a crash or a failed signal forwarding as another code), the services that
log their shutdown said so, and Postgres's next start finds a clean shutdown (no crash
recovery). The stack is started again, healthy, before the test ends. Marked `disruptive`:
it runs after the other stack tests.
"""

from datetime import UTC, datetime

import pytest
from conftest import POSTGRES_CLEAN_START

pytestmark = [pytest.mark.stack, pytest.mark.disruptive]

# What each service logs when it stopped on its signal (the upstream images log the same;
# the webservers, MinIO and its stand-in log nothing that both share): judged besides the
# exit code, which every service must have 0.
SHUTDOWN_LINES = {
    "postgres": "database system is shut down",
    "gateway": '"msg":"shutdown complete"',
    "docker-proxy": '"event":"stopped"',
    "docker-proxy-housekeeping": '"event":"stopped"',
    "daemon": "Daemon threads shut down",
    "platform-code": "Shutting down Dagster code server",
    "user-code": "Shutting down Dagster code server",
}


def running_services(stack) -> dict[str, str]:
    """service -> container id of every running service (one-shots have exited by now)."""
    out = stack.compose("ps", "--status", "running", "--format", "{{.Service}} {{.ID}}", timeout=60).stdout
    return dict(line.split() for line in out.splitlines() if line.strip())


def logs_since(stack, cid: str, since: str) -> str:
    """stdout and stderr of a container since an RFC 3339 time."""
    result = stack.docker("logs", "--since", since, cid, check=False, timeout=60)
    return result.stdout + result.stderr


def test_every_service_stops_on_its_signal_with_exit_code_0(stack):
    """Stop the whole stack: each container exits 0 and logs its shutdown; Postgres starts
    again without crash recovery; then everything is healthy again."""
    services = running_services(stack)
    assert set(SHUTDOWN_LINES) <= set(services), services
    since = datetime.now(UTC).isoformat()
    try:
        stack.compose("stop", timeout=600)
        states = {service: stack.inspect(cid)["State"] for service, cid in services.items()}
        logs = {service: logs_since(stack, cid, since) for service, cid in services.items()}
    finally:
        stack.up()
    not_clean = {s: (st["ExitCode"], st["OOMKilled"]) for s, st in states.items() if st["ExitCode"] != 0}
    assert not not_clean, f"(exit code, OOM-killed) of services that did not stop cleanly: {not_clean}"
    silent = {s: logs[s][-1500:] for s, line in SHUTDOWN_LINES.items() if line not in logs[s]}
    assert not silent, f"no shutdown line in the logs of: {silent}"
    restarted = logs_since(stack, stack.container_id("postgres"), since)
    assert POSTGRES_CLEAN_START in restarted and "automatic recovery" not in restarted, restarted[-3000:]
