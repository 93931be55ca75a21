"""Runs import the code location once: every job runs its steps in the run's own process."""

import dagster as dg

from app.definitions import defs


def test_every_job_runs_in_process():
    """No job silently falls back to the multiprocess executor (one import per step)."""
    repository = defs.get_repository_def()
    executors = {job.name: job.executor_def.name for job in repository.get_all_jobs()}
    assert executors, "the code location defines no jobs"
    wrong = {name: executor for name, executor in executors.items() if executor != dg.in_process_executor.name}
    assert not wrong, f"jobs not on the in-process executor (see app/defs/platform/executor.py): {wrong}"
