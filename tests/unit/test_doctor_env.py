"""The doctor's environment check asks for what the configured backends need, no more."""

import importlib
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def doctor(monkeypatch):
    """scripts/doctor.py as a module, with every variable the run launcher forwards set."""
    module = importlib.import_module("doctor")
    config = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    for name in module.launcher_env_from_environment(config):
        monkeypatch.setenv(name, "set")
    return module, config


def test_snowflake_settings_are_not_required_on_duckdb(doctor, monkeypatch):
    """The default DuckDB backend leaves every SNOWFLAKE_* variable empty, and that is fine."""
    module, config = doctor
    monkeypatch.setenv("WAREHOUSE_BACKEND", "duckdb")
    for name in config["run_launcher"]["config"]["env_vars"]:
        if name.startswith("SNOWFLAKE_"):
            monkeypatch.setenv(name, "")
    assert [f.level for f in module.check_env(config)] == ["OK"]


def test_snowflake_backend_names_its_missing_settings(doctor, monkeypatch):
    """With WAREHOUSE_BACKEND=snowflake, an empty account is reported by name."""
    module, config = doctor
    monkeypatch.setenv("WAREHOUSE_BACKEND", "snowflake")
    monkeypatch.setenv("SNOWFLAKE_ACCOUNT", "")
    findings = module.check_env(config)
    assert findings[0].level == "FAIL" and "SNOWFLAKE_ACCOUNT" in findings[0].detail, findings


def test_what_compose_leaves_empty_by_default_is_not_required(doctor, monkeypatch):
    """Every forwarded variable compose defaults to empty (`X: ${Y:-}`) passes the check when
    empty, as it is on a stack started from .env.example."""
    module, config = doctor
    compose = (ROOT / "docker-compose.yml").read_text()
    empty_by_default = set(re.findall(r"^  ([A-Z][A-Z0-9_]*): \$\{[A-Z0-9_]+:-\}$", compose, flags=re.MULTILINE))
    forwarded = set(module.launcher_env_from_environment(config))
    assert empty_by_default & forwarded, "found no empty compose default - has the compose layout changed?"
    monkeypatch.setenv("WAREHOUSE_BACKEND", "duckdb")
    for name in empty_by_default & forwarded:
        monkeypatch.setenv(name, "")
    assert [f.level for f in module.check_env(config)] == ["OK"], module.check_env(config)
