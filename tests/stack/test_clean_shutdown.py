"""Every long-running service stops cleanly on `docker compose stop`, `restart` and `down`
(without -v): each ends through its stop signal, not with Docker's SIGKILL at the end of
`stop_grace_period`.

Judged by the engine and by the service itself: the exit code of every container that died
during the command, from the engine's `die` events (read even after `down` removed the
containers), is 0 (a SIGKILL shows as 137, a crash or a failed signal forwarding as another
code); where the containers survive (`stop`, `restart`), the services that log their shutdown
said so; and Postgres's next start finds a clean shutdown (no crash recovery). The stack is
healthy again before each test ends, and after `down` (which removes the network) a run
launches on the recreated network. Marked `disruptive`: they run after the other stack tests.
"""

import time

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
    """stdout and stderr of a container since a time (RFC 3339 or Unix seconds)."""
    result = stack.docker("logs", "--since", since, cid, check=False, timeout=60)
    return result.stdout + result.stderr


def stop_everything(stack, command: str) -> None:
    """`docker compose <command>` as an operator types it (its timeout: the longest grace period
    twice over, plus the starts of `restart`)."""
    if command == "down":
        # Run containers are not compose's: a running one keeps `down` from removing the network.
        # Removed first, as the tier's teardown does (Stack.down).
        stack.remove_run_containers()
    stack.compose(command, timeout=900)


@pytest.mark.parametrize("command", ["stop", "restart", "down"])
def test_every_service_stops_on_its_signal_with_exit_code_0(stack, command, wait_for):
    """`command` stops the whole stack: every container that died exited 0 (each running
    service among them), those still there logged their shutdown, and Postgres starts again
    without crash recovery; then everything is healthy again."""
    services = running_services(stack)
    assert set(SHUTDOWN_LINES) <= set(services), services
    since = f"{time.time():.3f}"
    logs: dict[str, str] = {}
    try:
        with stack.container_exits() as exits:
            stop_everything(stack, command)
        if command != "down":  # `down` removed the containers and their logs
            logs = {service: logs_since(stack, cid, since) for service, cid in services.items()}
    finally:
        stack.up()
    stopped = {ended.service for ended in exits}
    assert set(services) <= stopped, f"no exit recorded for {sorted(set(services) - stopped)}: {exits}"
    not_clean = [ended for ended in exits if ended.exit_code != 0]
    assert not not_clean, f"containers that did not stop cleanly: {not_clean}\n" + "\n".join(
        f"--- {ended.service}:\n{logs.get(ended.service, '(removed)')[-2000:]}" for ended in not_clean
    )
    silent = {s: logs[s][-1500:] for s, line in SHUTDOWN_LINES.items() if logs and line not in logs[s]}
    assert not silent, f"no shutdown line in the logs of: {silent}"

    def postgres_started_again() -> str:
        started = logs_since(stack, stack.container_id("postgres"), since)
        return started if POSTGRES_CLEAN_START in started or "automatic recovery" in started else ""

    restarted = wait_for(postgres_started_again, 60, "Postgres's start-up lines", interval=2)
    assert POSTGRES_CLEAN_START in restarted and "automatic recovery" not in restarted, restarted[-3000:]
    if command == "down":
        # The network was removed and created again: run containers must still join it.
        run = stack.launch_and_wait("platform_canary_job")
        assert run["status"] == "SUCCESS", run
