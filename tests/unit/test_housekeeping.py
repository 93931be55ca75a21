"""The housekeeping job's choice of run containers (dagster_platform/housekeeping.py).

Pure functions over Docker's container-list format; removing them through the proxy on a
real engine is the stack test's part (tests/stack/test_housekeeping_on_stack.py).
"""

import datetime as dt

import dagster as dg

from dagster_platform import housekeeping

NOW = 1_800_000_000.0


def container(cid: str, state: str, age_hours: float, run_id: str = "r") -> dict:
    """One entry as `GET /containers/json` returns it."""
    return {
        "Id": cid * 12,
        "State": state,
        "Status": f"{state.capitalize()} (0)",
        "Created": int(NOW - age_hours * 3600),
        "Labels": {"dagster/run_id": run_id, "dagster/job_name": "platform_canary_job"},
    }


def test_only_stopped_containers_older_than_the_age_are_selected():
    """Old exited/dead ones go; young ones (a crashed run's included) stay; running and
    just-created (a launch in progress) ones are never touched, whatever their age."""
    containers = [
        container("a", "exited", 30),
        container("b", "dead", 25),
        container("c", "exited", 2),
        container("d", "running", 100),
        container("e", "created", 100),
    ]
    old, kept = housekeeping.select_old(containers, dt.timedelta(hours=24), NOW)
    assert [c["Id"][0] for c in old] == ["a", "b"]
    assert [c["Id"][0] for c in kept] == ["c"]


def test_run_config_comes_from_the_stack_environment():
    """The schedule's run targets DAGSTER_NETWORK with RUN_CONTAINER_MAX_AGE_HOURS (24 h if
    unset), and requests nothing where no Docker stack runs (no DAGSTER_NETWORK)."""
    config = housekeeping.housekeeping_run_config({"DAGSTER_NETWORK": "net", "RUN_CONTAINER_MAX_AGE_HOURS": "6"})
    assert config == {"ops": {"remove_old_run_containers_op": {"config": {"network": "net", "max_age_hours": 6.0}}}}
    default = housekeeping.housekeeping_run_config({"DAGSTER_NETWORK": "net"})
    assert default["ops"]["remove_old_run_containers_op"]["config"]["max_age_hours"] == 24.0
    assert housekeeping.housekeeping_run_config({}) is None


def test_schedule_skips_without_a_docker_stack(monkeypatch):
    """Evaluated without DAGSTER_NETWORK (Helm, Dagster+), the schedule skips with a reason."""
    monkeypatch.delenv("DAGSTER_NETWORK", raising=False)
    result = housekeeping.housekeeping_schedule.evaluate_tick(dg.build_schedule_context())
    assert not result.run_requests and "DAGSTER_NETWORK" in result.skip_message


def test_schedule_requests_a_run_for_this_stack(monkeypatch):
    """With DAGSTER_NETWORK set, one run with this stack's settings is requested."""
    monkeypatch.setenv("DAGSTER_NETWORK", "dp_test")
    monkeypatch.setenv("RUN_CONTAINER_MAX_AGE_HOURS", "0.5")
    [request] = housekeeping.housekeeping_schedule.evaluate_tick(dg.build_schedule_context()).run_requests
    assert request.run_config["ops"]["remove_old_run_containers_op"]["config"] == {
        "network": "dp_test",
        "max_age_hours": 0.5,
    }


def test_report_names_run_and_job_of_each_container():
    """The metadata table shows which run each removed container belonged to."""
    row = housekeeping.describe(container("f", "exited", 1, run_id="run-42"))
    assert row["container"] == "f" * 12 and row["run_id"] == "run-42" and row["job"] == "platform_canary_job"
    table = housekeeping.markdown_table([row])
    assert "run-42" in table and table.startswith("| container |")
    assert housekeeping.markdown_table([]) == "none"


def test_schedule_targets_the_housekeeping_job():
    """An hourly schedule runs housekeeping_job."""
    schedule = housekeeping.housekeeping_schedule
    assert schedule.job_name == "housekeeping_job"
    assert schedule.cron_schedule == "17 * * * *"
