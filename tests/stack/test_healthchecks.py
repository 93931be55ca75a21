"""The cheap healthchecks (scripts/healthcheck.py) still catch the failures they exist for.

The probes no longer import Dagster, so these tests prove on the running stack that they
see what matters: a code server that accepts connections but no longer answers gRPC, and a
daemon whose threads stopped heartbeating. Each fault is a frozen process (SIGSTOP from the
host: the container keeps running, ports stay open, exactly what a TCP-level check would
miss), and each test thaws it again and waits for the service to be healthy before it ends,
so the shared stack is left as it was found.
"""

import json
import os
import re
import signal
import subprocess

import pytest

pytestmark = [pytest.mark.stack, pytest.mark.disruptive]

DOCKER_TIMEOUT = 60
# retries x (interval + timeout) of the compose healthcheck, with room for a slow machine.
UNHEALTHY_WITHIN_SECONDS = 150


def _docker(*args: str, timeout: float = DOCKER_TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)


def _container(stack, service: str) -> str:
    ids = stack.compose("ps", "-q", service).stdout.split()
    assert len(ids) == 1, f"expected one running {service} container, got {ids}"
    return ids[0]


def _inspect(container: str) -> dict:
    return json.loads(_docker("inspect", container).stdout)[0]


def _signal_main_process(container: str, sig: signal.Signals) -> None:
    """Send `sig` to the container's main process, as seen from the host.

    Not `docker kill --signal`: Docker records that as a manual stop, which would change the
    container's restart behaviour for the rest of the session. As root the host can signal
    the pid directly; otherwise a throwaway container in the host's pid namespace does it.
    """
    info = _inspect(container)
    pid = info["State"]["Pid"]
    if os.geteuid() == 0:
        os.kill(pid, sig)
        return
    result = _docker(
        "run", "--rm", "--pid=host", "--user", "0", "--entrypoint", "python3", info["Config"]["Image"],
        "-c", f"import os; os.kill({pid}, {int(sig)})",
    )
    assert result.returncode == 0, f"could not signal pid {pid}: {result.stderr}"


def _probe(container: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the container's own compose healthcheck command once, as Docker would."""
    test = _inspect(container)["Config"]["Healthcheck"]["Test"]
    assert test[0] == "CMD", f"unexpected healthcheck form {test}"
    env_args = [f"--env={key}={value}" for key, value in (env or {}).items()]
    return _docker("exec", *env_args, container, *test[1:])


def _health(container: str) -> str:
    return _inspect(container)["State"]["Health"]["Status"]


@pytest.fixture
def frozen(stack, wait_for):
    """Freeze a service's main process for the test; thaw it and wait for healthy after."""
    frozen_containers: list[str] = []

    def freeze(service: str) -> str:
        container = _container(stack, service)
        _signal_main_process(container, signal.SIGSTOP)
        frozen_containers.append(container)
        return container

    yield freeze
    for container in frozen_containers:
        _signal_main_process(container, signal.SIGCONT)
    for container in frozen_containers:
        wait_for(lambda c=container: _health(c) == "healthy", 180, f"{container} healthy again", interval=2)


def test_probes_are_cheap_and_pass_on_a_healthy_stack(stack):
    """Every Dagster service's probe is scripts/healthcheck.py (no Dagster import) and passes."""
    for service in ("user-code", "webserver", "daemon"):
        container = _container(stack, service)
        test = _inspect(container)["Config"]["Healthcheck"]["Test"]
        assert "scripts/healthcheck.py" in " ".join(test), f"{service} probe is {test}"
        result = _probe(container)
        assert result.returncode == 0, f"{service} probe failed on a healthy stack: {result.stderr}"


def test_code_server_that_stops_answering_turns_unhealthy(stack, frozen, wait_for):
    """A frozen code server still accepts TCP connections; the gRPC probe must still fail."""
    container = frozen("user-code")
    result = _probe(container)
    assert result.returncode == 1, f"probe passed against a frozen code server: {result.stdout}{result.stderr}"
    assert "gRPC" in result.stderr or "timed out" in result.stderr, result.stderr
    wait_for(lambda: _health(container) == "unhealthy", UNHEALTHY_WITHIN_SECONDS, "user-code reported unhealthy",
             interval=2)


def test_daemon_that_stops_heartbeating_turns_unhealthy(stack, frozen, wait_for):
    """A frozen daemon stops heartbeating; the probe names the stale daemon threads.

    Heartbeats come every 30 s and the compose tolerance is 100 s; the probe is run here with
    a 35 s tolerance (the same variable users set) to keep the test short.
    """
    container = frozen("daemon")
    short_tolerance = {"DAGSTER_DAEMON_HEARTBEAT_TOLERANCE": "35"}

    def probe_fails():
        result = _probe(container, env=short_tolerance)
        return result if result.returncode == 1 else None

    failed = wait_for(probe_fails, 120, "the daemon probe to fail while the daemon is frozen", interval=3)
    # Threads heartbeat at different moments: whichever went stale first is named, with its age.
    assert re.search(r"[A-Z_]+ last heartbeat \d+ s ago", failed.stderr), failed.stderr
