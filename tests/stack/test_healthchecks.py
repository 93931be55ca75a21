"""The cheap healthchecks (scripts/healthcheck.py) still catch the failures they exist for.

The probes no longer import Dagster, so these tests prove on the running stack that they
see what matters: a code server that accepts connections but no longer answers gRPC, and a
daemon whose threads stopped heartbeating. Each fault is a frozen process (SIGSTOP from the
host: the container keeps running, ports stay open, exactly what a TCP-level check would
miss), and each test thaws it again and waits for the service to be healthy before it ends,
so the shared stack is left as it was found.
"""

import re
import signal
import subprocess

import pytest

pytestmark = [pytest.mark.stack, pytest.mark.disruptive]

# retries x (interval + timeout) of the compose healthcheck, with room for a slow machine.
UNHEALTHY_WITHIN_SECONDS = 150


def _probe(stack, service: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the service's own compose healthcheck command once, as Docker would."""
    container = stack.container_id(service)
    test = stack.inspect(container)["Config"]["Healthcheck"]["Test"]
    assert test[0] == "CMD", f"unexpected healthcheck form {test}"
    env_args = [f"--env={key}={value}" for key, value in (env or {}).items()]
    return stack.docker("exec", *env_args, container, *test[1:], check=False, timeout=60)


@pytest.fixture
def frozen(stack):
    """Freeze a service's main process for the test; thaw it and wait for healthy after."""
    frozen_services: list[str] = []

    def freeze(service: str) -> None:
        stack.signal(service, signal.SIGSTOP)
        frozen_services.append(service)

    yield freeze
    for service in frozen_services:
        stack.signal(service, signal.SIGCONT)
    if frozen_services:
        stack.wait_healthy(*frozen_services, timeout=180)


def test_probes_are_cheap_and_pass_on_a_healthy_stack(stack):
    """Every Dagster service's probe is scripts/healthcheck.py (no Dagster import) and passes."""
    for service in ("user-code", "webserver", "daemon"):
        result = _probe(stack, service)
        assert "scripts/healthcheck.py" in " ".join(result.args), f"{service} probe is {result.args}"
        assert result.returncode == 0, f"{service} probe failed on a healthy stack: {result.stderr}"


def test_code_server_that_stops_answering_turns_unhealthy(stack, frozen, wait_for):
    """A frozen code server still accepts TCP connections; the gRPC probe must still fail."""
    frozen("user-code")
    result = _probe(stack, "user-code")
    assert result.returncode == 1, f"probe passed against a frozen code server: {result.stdout}{result.stderr}"
    assert "gRPC" in result.stderr or "timed out" in result.stderr, result.stderr
    wait_for(
        lambda: stack.health("user-code") == "unhealthy",
        UNHEALTHY_WITHIN_SECONDS,
        "user-code reported unhealthy",
        interval=2,
    )


def test_daemon_that_stops_heartbeating_turns_unhealthy_and_is_restarted(stack, frozen, wait_for):
    """A frozen daemon stops heartbeating; the probe names the stale daemon threads, and once
    probes have seen it wedged long enough, ends it so that its restart policy starts a new one.

    Heartbeats come every 30 s and the compose tolerance is 100 s; the probe is run here with
    a 35 s tolerance and a tiny restart delay (the variables users set; compose: 300 s) to keep
    the test short. A frozen process holds the probe's SIGTERM until it is thawed, then exits
    on it, as a wedged but running daemon would at once.
    """
    started = stack.inspect(stack.container_id("daemon"))["State"]["StartedAt"]
    frozen("daemon")
    short_tolerance = {"DAGSTER_DAEMON_HEARTBEAT_TOLERANCE": "35"}

    def probe_fails():
        result = _probe(stack, "daemon", env=short_tolerance)
        return result if result.returncode == 1 else None

    failed = wait_for(probe_fails, 120, "the daemon probe to fail while the daemon is frozen", interval=3)
    # Threads heartbeat at different moments: whichever went stale first is named, with its age.
    assert re.search(r"[A-Z_]+ last heartbeat \d+ s ago", failed.stderr), failed.stderr

    # Two probes in a row: the first records its sighting of the wedged daemon, the second,
    # past the (here tiny) restart delay, ends it and still reports unhealthy. Docker's own
    # probes (100 s tolerance) clear the sighting while the heartbeats are younger than that,
    # hence the retries.
    restart_soon = {**short_tolerance, "DAGSTER_DAEMON_RESTART_AFTER_SECONDS": "0.05"}

    def probe_ends_daemon():
        _probe(stack, "daemon", env=restart_soon)
        result = _probe(stack, "daemon", env=restart_soon)
        return result if "sent SIGTERM" in result.stderr else None

    ended = wait_for(probe_ends_daemon, 30, "the daemon probe to end the wedged daemon", interval=2)
    assert ended.returncode == 1, ended.stderr
    stack.signal("daemon", signal.SIGCONT)
    wait_for(
        lambda: stack.inspect(stack.container_id("daemon"))["State"]["StartedAt"] != started,
        180,
        "the daemon container to be restarted by its restart policy",
        interval=3,
    )
    stack.wait_healthy("daemon", timeout=180)
