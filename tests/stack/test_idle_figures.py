"""The stack tier prints what the idle platform costs (scripts/benchmark_idle.py).

CPU and memory are figures only, never a timing assertion (machines differ). One effect is
asserted: the idle stack reuses its Postgres connections. Without the daemon's pool
(dagster_platform/postgres_storage.py) it opened ~600 connections a minute on this stack, each a Postgres
backend process and a password handshake; with it, what is left is the probes and the code
server's sensor evaluations (72 to 86 a minute measured here).
"""

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.stack

SERVICES = ("postgres", "minio", "platform-code", "user-code", "webserver", "daemon")
WINDOW_SECONDS = 30
# Well above the pooled stack's rate, well below the unpooled one's (see the docstring).
MAX_IDLE_CONNECTIONS_PER_MINUTE = 300


def sessions(stack) -> int:
    """Connections Postgres has accepted into the platform's database since it started."""
    return int(
        stack.psql(f"SELECT sessions FROM pg_stat_database WHERE datname = '{stack.env['DAGSTER_POSTGRES_DB']}'")
    )


def test_idle_cost_figures(stack):
    """CPU and memory of every service over a 30 s idle window (split into its long-running
    processes and its probes), each location's image size, and the Postgres connections opened
    meanwhile."""
    opened_before, started = sessions(stack), time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "scripts/benchmark_idle.py",
            "--project",
            stack.env["COMPOSE_PROJECT_NAME"],
            "--window",
            str(WINDOW_SECONDS),
            "--image",
            stack.env["DAGSTER_IMAGE"],
            "--image",
            stack.env["DAGSTER_APP_IMAGE"],
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    per_minute = (sessions(stack) - opened_before) * 60 / (time.monotonic() - started)
    print(result.stdout)
    print(f"[figure] idle Postgres connections opened: {per_minute:.0f} per minute")
    assert result.returncode == 0, result.stderr
    for service in SERVICES:
        assert f"[figure] idle {service}: CPU" in result.stdout, f"no idle figure for {service}"
        # The split between the service's own processes and its probes (host /proc, Linux engine).
        assert f"[figure] idle {service} probes and other short-lived processes" in result.stdout, service
    assert "[figure] idle stack" in result.stdout
    assert per_minute <= MAX_IDLE_CONNECTIONS_PER_MINUTE, f"{per_minute:.0f} new Postgres connections a minute"
