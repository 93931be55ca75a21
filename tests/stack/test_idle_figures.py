"""The stack tier prints what the idle platform costs (scripts/benchmark_idle.py).

Figures only, never a timing assertion: the test fails only if the benchmark cannot measure
every long-running service of the stack.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.stack

SERVICES = ("postgres", "minio", "user-code", "webserver", "daemon")


def test_idle_cost_figures(stack):
    """CPU and memory of every service over a 30 s idle window, and the image size."""
    result = subprocess.run(
        [
            sys.executable,
            "scripts/benchmark_idle.py",
            "--project",
            stack.env["COMPOSE_PROJECT_NAME"],
            "--window",
            "30",
            "--image",
            stack.env["DAGSTER_IMAGE"],
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    print(result.stdout)
    assert result.returncode == 0, result.stderr
    for service in SERVICES:
        assert f"[figure] idle {service}: CPU" in result.stdout, f"no idle figure for {service}"
    assert "[figure] idle stack" in result.stdout
