"""PLATFORM_ENV selection: dev by default, a clear error for unknown values."""

import pytest

from app.environment import Environment, current_environment


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
