"""Runs import the code location once: every job runs its steps in the run's own process."""

import importlib

import dagster as dg
import pytest


@pytest.mark.parametrize("module", ["app.definitions", "dagster_platform.definitions"])
def test_every_job_runs_in_process(module):
    """No job of either location silently falls back to the multiprocess executor (one import per step)."""
    repository = importlib.import_module(module).defs.get_repository_def()
    executors = {job.name: job.executor_def.name for job in repository.get_all_jobs()}
    assert executors, "the code location defines no jobs"
    wrong = {name: executor for name, executor in executors.items() if executor != dg.in_process_executor.name}
    assert not wrong, f"jobs not on the in-process executor (see dagster_platform/executor.py): {wrong}"
