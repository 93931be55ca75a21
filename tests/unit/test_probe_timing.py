"""Probe timing: the base compose file starts on Docker Engine 20.10 (no `start_interval`),
and compose/engine-25.yml gives every probed service fast probes while it starts and slow
ones once healthy.

The stack tier runs the base file on this machine's Engine 20.10; no Engine 25 runs here, so
the override is checked as Compose merges it (plain YAML: a service's `healthcheck` mapping
is merged key by key).
"""

import re

import pytest
import yaml
from conftest import ROOT

BASE = ROOT / "docker-compose.yml"
OVERRIDE = ROOT / "compose" / "engine-25.yml"
# A dead service must still be reported within a minute (retries x interval).
MAX_SECONDS_TO_UNHEALTHY = 60


def seconds(duration: str) -> float:
    """A Compose duration such as `2s`, `1m30s` or `500ms`, in seconds."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, duration
    return sum(float(n) * units[u] for n, u in parts)


def probed(path) -> dict[str, dict]:
    """Each service's healthcheck in a compose file, anchors and merge keys resolved."""
    services = yaml.safe_load(path.read_text())["services"]
    return {name: s["healthcheck"] for name, s in services.items() if s.get("healthcheck")}


def test_the_base_file_starts_on_engine_20_10():
    keys = [line for line in BASE.read_text().splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in keys if "start_interval" in line]
    assert probed(BASE), "no healthcheck found in docker-compose.yml - has its layout changed?"


def test_the_override_covers_exactly_the_probed_services():
    assert set(probed(OVERRIDE)) == set(probed(BASE))


@pytest.mark.parametrize("service", sorted(probed(BASE)))
def test_probes_are_fast_while_starting_and_slow_once_healthy(service):
    base = probed(BASE)[service]
    merged = {**base, **probed(OVERRIDE)[service]}
    assert seconds(merged["start_interval"]) <= seconds(base["interval"]) < seconds(merged["interval"])
    assert merged["retries"] * seconds(merged["interval"]) <= MAX_SECONDS_TO_UNHEALTHY
    assert merged["test"] == base["test"], "the override changes timing only"
