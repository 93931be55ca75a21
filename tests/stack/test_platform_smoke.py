"""Smoke test of the whole platform on `docker compose`: a job launched through the
webserver's GraphQL API runs in its own container and leaves its traces everywhere it must
(Postgres, the S3 data lake, S3 compute logs), and everything survives a restart.

Tests run in file order and share one stack (see conftest.py).
"""

import json
import subprocess

import pytest

pytestmark = pytest.mark.stack

SMOKE_JOB = "ingest_orders_job"


@pytest.fixture(scope="module")
def smoke_run(stack) -> dict:
    """One run of the smoke job, launched and followed through GraphQL from the compose network:
    the client in a tools container, as users run it (other tests call it in-process)."""

    def client(*args: str) -> dict:
        return json.loads(stack.tool("python", "scripts/platform_client.py", *args).strip().splitlines()[-1])

    run_id = client("launch", SMOKE_JOB)["run_id"]
    assert client("wait", run_id, "--timeout", "420")["terminal"], run_id
    run = client("run", run_id)
    assert run["__typename"] == "Run", run
    return run


def test_compose_config_is_valid_with_the_example_env(stack):
    """`docker compose config` accepts the documented template on its own."""
    alone = subprocess.run(
        ["docker", "compose", "--env-file", ".env.example", "config", "--quiet"],
        cwd=stack.env_files[0].parent,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert alone.returncode == 0, alone.stderr


def test_every_long_running_service_is_healthy(stack):
    """After `up --wait`, each long-running service reports healthy to Docker."""
    states = [json.loads(line) for line in stack.compose("ps", "--format", "json").stdout.splitlines() if line]
    health = {s["Service"]: s["Health"] for s in states}
    for service in ("postgres", "minio", "platform-code", "user-code", "webserver", "daemon"):
        assert health.get(service) == "healthy", health


def test_job_launched_via_graphql_succeeds(smoke_run):
    """The run reaches SUCCESS and every step succeeded."""
    assert smoke_run["status"] == "SUCCESS", smoke_run
    assert smoke_run["stepStats"], smoke_run
    assert {s["status"] for s in smoke_run["stepStats"]} == {"SUCCESS"}, smoke_run["stepStats"]


def test_run_ran_in_its_own_container(stack, smoke_run):
    """DockerRunLauncher created a dedicated container: labelled with the run id, from the
    image of the job's code location (app's), on the platform network, and it exited cleanly."""
    tags = {t["key"]: t["value"] for t in smoke_run["tags"]}
    container_id = tags["docker/container_id"]
    inspect = stack.inspect(container_id)
    labels = inspect["Config"]["Labels"]
    assert labels["dagster/run_id"] == smoke_run["runId"]
    assert labels["io.dagster-platform.role"] == "run"
    assert inspect["Config"]["Image"] == stack.env["DAGSTER_APP_IMAGE"]
    assert stack.env["DAGSTER_NETWORK"] in inspect["NetworkSettings"]["Networks"]
    assert inspect["State"]["Status"] == "exited" and inspect["State"]["ExitCode"] == 0, inspect["State"]
    # Not mistaken by compose for one of its services.
    assert not labels.get("com.docker.compose.project"), labels


@pytest.mark.parametrize("service", ["webserver", "daemon", "platform-code", "user-code"])
def test_the_s3_ca_bundle_is_a_file_in_every_dagster_service(stack, service):
    """AWS_CA_BUNDLE (compose's default: the image's system bundle) names a file that exists:
    against an https endpoint a missing bundle would fail every S3 call."""
    check = "import os, sys; path = os.environ['AWS_CA_BUNDLE']; print(path); sys.exit(not os.path.isfile(path))"
    result = stack.compose("exec", "-T", service, "python3", "-I", "-S", "-c", check, check=False)
    assert result.returncode == 0, (result.stdout, result.stderr)


def test_run_containers_get_the_s3_settings(stack, smoke_run):
    """The launcher forwards the S3 settings to the run, and its image has the bundle they name."""
    tags = {t["key"]: t["value"] for t in smoke_run["tags"]}
    inspect = stack.inspect(tags["docker/container_id"])
    env = dict(item.split("=", 1) for item in inspect["Config"]["Env"])
    daemon = dict(item.split("=", 1) for item in stack.inspect(stack.container_id("daemon"))["Config"]["Env"])
    for name in ("AWS_SESSION_TOKEN", "AWS_CA_BUNDLE", "S3_MAX_ATTEMPTS"):
        assert name in daemon and env.get(name) == daemon[name], name
    exists = stack.docker(
        "run", "--rm", "--entrypoint", "test", inspect["Config"]["Image"], "-f", env["AWS_CA_BUNDLE"], check=False
    )
    assert exists.returncode == 0, f"{env['AWS_CA_BUNDLE']} is not a file in {inspect['Config']['Image']}"


def test_run_and_events_are_in_postgres(stack, smoke_run):
    """Run storage and event-log storage are the stack's Postgres."""
    run_id = smoke_run["runId"]
    assert stack.psql(f"select status from runs where run_id = '{run_id}'") == "SUCCESS"
    events = int(stack.psql(f"select count(*) from event_logs where run_id = '{run_id}'"))
    assert events > 10, events


def test_outputs_are_in_the_s3_data_lake(stack, smoke_run):
    """Every asset the run materialized has its Parquet object in the lake bucket."""
    keys = set(stack.s3_keys(stack.env["LAKE_BUCKET"]))
    materialized = {"/".join(m["assetKey"]["path"]) for m in smoke_run["assetMaterializations"]}
    assert materialized, smoke_run
    for asset in materialized:
        assert f"{asset}.parquet" in keys, (asset, sorted(keys))


def test_compute_logs_are_readable_from_s3(stack, smoke_run):
    """stdout/stderr of the run's steps were uploaded to the compute-log bucket."""
    bucket = stack.env["COMPUTE_LOGS_BUCKET"]
    keys = stack.s3_keys(bucket, f"compute-logs/storage/{smoke_run['runId']}/")
    assert keys, "no compute logs uploaded for the run"
    text = "".join(stack.s3_cat(bucket, key) for key in keys)
    assert text.strip(), keys
    step_keys = {s["stepKey"] for s in smoke_run["stepStats"]}
    assert any(step in text for step in step_keys), text[:2000]
    # What raw_orders logged (context.log writes to stderr), captured in its run container.
    assert "raw_orders: loaded" in text, text[:2000]


def test_daemon_reports_healthy(stack):
    """Every daemon (scheduler, sensors, run queue, monitoring...) heartbeats."""
    out = stack.compose("exec", "-T", "daemon", "dagster-daemon", "liveness-check").stdout
    assert "Daemon live" in out, out


def test_data_survives_down_and_up(stack, smoke_run):
    """`down` (volumes kept) then `up` again: the earlier run is still there."""
    stack.down(volumes=False)
    seconds = stack.up()
    print(f"\n[figure] docker compose up --wait, restart with existing volumes: {seconds:.1f} s")
    run = stack.client("run", smoke_run["runId"])
    assert run["status"] == "SUCCESS", run
