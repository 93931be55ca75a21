"""PLATFORM_ENV selection: dev by default, a clear error for unknown values."""

import pytest

from dagster_platform.environment import (
    Environment,
    current_environment,
    default_schedule_status,
    default_sensor_status,
)


def test_dev_is_the_default_when_unset():
    """No PLATFORM_ENV means the embedded, zero-service mode."""
    assert current_environment() is Environment.DEV


@pytest.mark.parametrize("value", ["dev", "local", "ci", "prod", " PROD "])
def test_known_values_are_accepted(monkeypatch, value):
    """Every documented value maps to its environment (case and blanks ignored)."""
    monkeypatch.setenv("PLATFORM_ENV", value)
    assert current_environment().value == value.strip().lower()


def test_unknown_value_names_the_variable_and_allowed_values(monkeypatch):
    """A typo fails loudly, saying which variable and which values are allowed."""
    monkeypatch.setenv("PLATFORM_ENV", "staging")
    with pytest.raises(ValueError, match=r"PLATFORM_ENV='staging'.*dev, local, ci, prod"):
        current_environment()


@pytest.mark.parametrize(("value", "running"), [("dev", False), ("local", True), ("ci", True), ("prod", True)])
def test_the_schedule_and_landing_sensor_start_running_only_where_services_exist(monkeypatch, value, running):
    """In dev the ingest schedule and the landing sensor start STOPPED (a laptop does no work on
    its own); on the services they start RUNNING."""
    monkeypatch.setenv("PLATFORM_ENV", value)
    expected = "RUNNING" if running else "STOPPED"
    assert (default_schedule_status().value, default_sensor_status().value) == (expected, expected)


def test_the_schedule_and_landing_sensor_take_their_default_status_from_the_environment():
    """Both definitions use these defaults (evaluated when the code location is imported: dev here)."""
    from app.defs.landing.sensors import landing_zone_sensor
    from app.defs.orders.schedules import ingest_orders_schedule

    assert ingest_orders_schedule.default_status == default_schedule_status()
    assert landing_zone_sensor.default_status == default_sensor_status()
