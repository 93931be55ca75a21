"""The doctor's environment check asks for what the configured backends need, no more."""

import importlib
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
