"""Every service's threads and processes are bounded by its configuration, not by the host's
CPU count, and fit its `pids_limit` (docker-compose.yml) with room to spare.

A pool sized to the CPUs works on a laptop and fails on a 64-core server: the pids limit
stops thread creation and the service hangs or dies at start. So each service with a pids
limit must appear below with the sum of its configured pools (read from docker-compose.yml,
dagster.yaml and the proxy's code), and the limit must be at least MARGIN times that sum.
A new service with a pids limit fails here until its bound is added.
"""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
DAGSTER_YAML = yaml.safe_load((ROOT / "dagster.yaml").read_text())
MARGIN = 2

# Fixed by the code, not by the CPUs (checked in dagster 1.13.27's sources): the threads of
# Python's and gRPC's own machinery around the configured pools.
DAGSTER_PROCESS_OVERHEAD = 24  # main thread, gRPC core pollers and timers, logging, watchdogs
DAEMON_THREADS = 12  # one thread per daemon (scheduler, sensors, run queue, ...) plus heartbeats
ANYIO_THREADS = 40  # Starlette's sync endpoints run in anyio's default limiter of 40 threads
PROBE_PROCESSES = 2  # a healthcheck or `docker exec` at a time
# Go: one OS thread per P (GOMAXPROCS) runs Go code, plus threads parked in syscalls and the
# runtime's own (sysmon, GC): about twice GOMAXPROCS and a few more.
GO_EXTRA_THREADS = 16
# Postgres forks a process per connection and per worker; these settings bound them all.
PG_PROCESS_SETTINGS = ("max_connections", "max_worker_processes", "autovacuum_max_workers", "max_wal_senders")
# postmaster, checkpointer, background and WAL writers, autovacuum and logical-replication
# launchers, archiver, logger, and the init in front of it.
PG_AUXILIARY = 10


def go_threads(service: str) -> int:
    """A Go service (Caddy, MinIO, its stand-in): bounded by GOMAXPROCS in its environment."""
    env = COMPOSE[service].get("environment", {})
    assert "GOMAXPROCS" in env, f"{service}: no GOMAXPROCS, so Go starts one thread per CPU"
    return 2 * int(env["GOMAXPROCS"]) + GO_EXTRA_THREADS + PROBE_PROCESSES


def postgres_processes(service: str) -> int:
    """Postgres: every process-count setting passed with `-c` on its command line."""
    command = COMPOSE[service]["command"]
    settings = dict(arg.split("=", 1) for arg in command if "=" in arg)
    missing = [name for name in PG_PROCESS_SETTINGS if name not in settings]
    assert not missing, f"{service}: {missing} not set explicitly on the command line"
    return sum(int(settings[name]) for name in PG_PROCESS_SETTINGS) + PG_AUXILIARY + PROBE_PROCESSES


def docker_proxy_threads(service: str) -> int:
    """The Docker API proxy: one asyncio thread plus its executor's fixed pool."""
    server = (ROOT / "deploy" / "docker-proxy" / "docker_policy" / "server.py").read_text()
    pools = [int(n) for n in re.findall(r"ThreadPoolExecutor\(max_workers=(\d+)\)", server)]
    assert pools and "ThreadPoolExecutor()" not in server, "the proxy's executor must have an explicit size"
    return 1 + sum(pools) + PROBE_PROCESSES


def code_server_threads(service: str) -> int:
    """`dagster api grpc`: one process with a gRPC pool of --max-workers
    (DAGSTER_GRPC_MAX_WORKERS) threads."""
    env = COMPOSE[service]["environment"]
    assert "DAGSTER_GRPC_MAX_WORKERS" in env, f"{service}: no max workers, so its pool follows the CPU count"
    return int(env["DAGSTER_GRPC_MAX_WORKERS"]) + DAGSTER_PROCESS_OVERHEAD + PROBE_PROCESSES


def daemon_threads(service: str) -> int:
    """dagster-daemon: one thread per daemon plus the pools configured in dagster.yaml."""
    pools = [
        DAGSTER_YAML["run_coordinator"]["config"]["dequeue_num_workers"],
        *(DAGSTER_YAML[section]["num_workers"] for section in ("sensors", "schedules", "backfills")),
    ]
    return DAEMON_THREADS + sum(pools) + DAGSTER_PROCESS_OVERHEAD + PROBE_PROCESSES


def webserver_threads(service: str) -> int:
    """dagster-webserver: one uvicorn process (it has no workers option) and anyio's fixed pool."""
    assert "--workers" not in COMPOSE[service]["command"]
    return ANYIO_THREADS + DAGSTER_PROCESS_OVERHEAD + PROBE_PROCESSES


def one_shot_threads(service: str) -> int:
    """A one-shot Python script (bucket creation, the doctor): a process and boto3's pool of 10."""
    return 1 + 10 + DAGSTER_PROCESS_OVERHEAD


def migrate_threads(service: str) -> int:
    """The migrate step: one Python process opening the instance, plus pg_dump, or pg_restore
    piped into psql, each a single process (scripts/migrate.py passes no --jobs)."""
    assert "--jobs" not in (ROOT / "scripts" / "migrate.py").read_text()
    return 1 + DAGSTER_PROCESS_OVERHEAD + 2


BOUNDS: dict[str, Callable[[str], int]] = {
    "postgres": postgres_processes,
    "minio": go_threads,
    "gateway": go_threads,
    "docker-proxy": docker_proxy_threads,
    "docker-proxy-housekeeping": docker_proxy_threads,
    "daemon": daemon_threads,
    "webserver": webserver_threads,
    "webserver-readonly": webserver_threads,
    "create-buckets": one_shot_threads,
    "tools": one_shot_threads,
    "migrate": migrate_threads,
}


# Every code location's server (the services of the x-code-location anchor) has the same bound.
BOUNDS |= {
    name: code_server_threads
    for name, service in COMPOSE.items()
    if "DAGSTER_GRPC_MAX_WORKERS" in service.get("environment", {})
}


def test_every_service_with_a_pids_limit_has_a_bound():
    """No service has a pids limit without a configured bound here, and none lacks a limit."""
    limited = {name for name, service in COMPOSE.items() if "pids_limit" in service}
    assert limited == set(COMPOSE), f"services without pids_limit: {sorted(set(COMPOSE) - limited)}"
    assert limited == set(BOUNDS), f"add a bound for {sorted(limited - set(BOUNDS))}"


@pytest.mark.parametrize("service", sorted(BOUNDS))
def test_configured_threads_fit_the_pids_limit(service):
    """The service's configured threads and processes, times MARGIN, fit its pids_limit."""
    bound = BOUNDS[service](service)
    limit = COMPOSE[service]["pids_limit"]
    assert bound * MARGIN <= limit, f"{service}: {bound} threads/processes x {MARGIN} > pids_limit {limit}"
