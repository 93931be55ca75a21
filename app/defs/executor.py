"""This location's runs execute every step in the run's own process (``dagster_platform.executor``)."""

import dagster as dg

from dagster_platform.executor import RUN_EXECUTOR

defs = dg.Definitions(executor=RUN_EXECUTOR)
