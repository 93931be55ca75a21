"""The daemon probe's run-queue check and wedged-daemon clock (scripts/healthcheck.py).

Runs are created by a real DagsterInstance (SQLite storage in a temp dir), and the check reads
that instance's runs table with the same SQL it sends to Postgres in the container.
"""

import sqlite3
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.remote_origin import RegisteredCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin

from healthcheck import clear_wedged, stalled_queue, wedged_for

STALL_SECONDS = 600


@dg.op
def noop() -> None:
    """Nothing: the runs are only ever queued or marked, never executed."""


@dg.job
def queued_job() -> None:
    """A job to create runs of."""
    noop()


@pytest.fixture
def instance(tmp_path):
    """A real instance with SQLite run storage under tmp_path."""
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        yield instance


def _run(instance: dg.DagsterInstance, status: dg.DagsterRunStatus) -> None:
    """A run in `status`, from a code location as the queue requires of queued runs."""
    repository = RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("app"), "__repository__")
    origin = RemoteJobOrigin(repository_origin=repository, job_name=queued_job.name)
    instance.create_run_for_job(job_def=queued_job, status=status, remote_job_origin=origin)


def _check(tmp_path: Path, now: float, since: float = 0.0) -> str | None:
    with sqlite3.connect(tmp_path / "history" / "runs.db") as conn:
        return stalled_queue(conn.cursor(), now, STALL_SECONDS, since=since)


def test_queued_run_with_nothing_in_progress_is_a_stall_after_the_window(instance, tmp_path):
    """Past the window, a queued run with no active run is reported, with its count and age."""
    _run(instance, dg.DagsterRunStatus.QUEUED)
    _run(instance, dg.DagsterRunStatus.QUEUED)
    _run(instance, dg.DagsterRunStatus.SUCCESS)
    assert _check(tmp_path, time.time() + STALL_SECONDS / 2) is None
    reason = _check(tmp_path, time.time() + STALL_SECONDS + 60)
    assert reason is not None and reason.startswith("run queue stalled: 2 run(s) queued, the oldest for 6"), reason


@pytest.mark.parametrize(
    "active", [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
)
def test_active_run_means_limits_may_hold_the_queue(instance, tmp_path, active):
    """With a run in progress, run and tag limits may rightly hold queued runs: no stall."""
    _run(instance, dg.DagsterRunStatus.QUEUED)
    _run(instance, active)
    assert _check(tmp_path, time.time() + 10 * STALL_SECONDS) is None


def test_empty_queue_and_fresh_daemon_are_not_stalls(instance, tmp_path):
    """No queued run is no stall; a daemon started recently gets the whole window first."""
    _run(instance, dg.DagsterRunStatus.FAILURE)
    assert _check(tmp_path, time.time() + 10 * STALL_SECONDS) is None
    _run(instance, dg.DagsterRunStatus.QUEUED)
    later = time.time() + 10 * STALL_SECONDS
    assert _check(tmp_path, later, since=later - 60) is None
    assert _check(tmp_path, later, since=later - STALL_SECONDS - 1) is not None


def test_wedged_time_counts_from_the_first_sighting_of_the_same_daemon(tmp_path):
    """Probes share the first sighting through a file; a new daemon process or a clear resets it."""
    state = str(tmp_path / "wedged")
    assert wedged_for(state, "1234", now=1000.0) == 0.0
    assert wedged_for(state, "1234", now=1400.0) == 400.0
    assert wedged_for(state, "5678", now=1500.0) == 0.0, "a restarted daemon starts from zero"
    clear_wedged(state)
    clear_wedged(state)  # clearing twice is harmless: every healthy probe clears
    assert wedged_for(state, "5678", now=1600.0) == 0.0
