"""Binds the resources of the current environment (PLATFORM_ENV) to their keys; the classes live in app/resources/."""

import dagster as dg

from app.resources.by_environment import build_resources


@dg.definitions
def resources() -> dg.Definitions:
    """Resources for the environment selected by PLATFORM_ENV (dev when unset)."""
    return dg.Definitions(resources=build_resources())
