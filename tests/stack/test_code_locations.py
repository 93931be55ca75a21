"""Two code locations on the running stack: `platform` and the example team's `app`.

Each location's runs run in that location's own image (only `app`'s mount the warehouse), every
image carries the webserver's Dagster, and a team location that fails to import or whose server
is down leaves the platform's runs, schedules and sensors working.
"""

import datetime as dt
import json
import tempfile
import time
import tomllib
from pathlib import Path

import pytest
from checkout import copy_checkout
from conftest import ROOT, poll_until

import new_location

pytestmark = pytest.mark.stack

CANARY = "platform_canary_job"
APP_JOB = "ingest_orders_job"
WAREHOUSE = "/var/lib/dagster/warehouse"
RUN_WAIT = 420
# The webserver notices a code server's new process (its server id) within seconds.
LOCATION_WAIT = 120


def run_container(stack, run_id: str) -> dict:
    """`docker inspect` of the container DockerRunLauncher started for a finished run."""
    cid = stack.tags_of(stack.client("run", run_id))["docker/container_id"]
    return stack.inspect(cid)


def in_image(stack, image: str, code: str) -> str:
    """Run Python `code` in a throwaway container of `image`; return its stdout."""
    return stack.docker("run", "--rm", "--network", "none", "--entrypoint", "python3", image, "-c", code).stdout


def by_name(stack) -> dict[str, dict]:
    """The workspace's code locations, by name."""
    return {entry["name"]: entry for entry in stack.client("locations")}


def while_app_unloaded(stack) -> dict[str, dict] | None:
    """The locations by name once the app location is not loaded, else None (for poll_until)."""
    entries = by_name(stack)
    return None if entries["app"]["loaded"] else entries


def test_each_location_runs_in_its_own_image(stack):
    """The canary runs in the platform image without the warehouse; an app job in app's image with it."""
    canary = stack.launch_and_wait(CANARY, timeout=RUN_WAIT)
    app_run = stack.launch_and_wait(APP_JOB, timeout=RUN_WAIT)
    assert (canary["status"], app_run["status"]) == ("SUCCESS", "SUCCESS"), (canary, app_run)
    assert stack.tags_of(canary)["dagster/code_location"] == "platform"
    assert stack.tags_of(app_run)["dagster/code_location"] == "app"

    platform_container = run_container(stack, canary["runId"])
    app_container = run_container(stack, app_run["runId"])
    assert platform_container["Config"]["Image"] == stack.env["DAGSTER_IMAGE"]
    assert app_container["Config"]["Image"] == stack.env["DAGSTER_APP_IMAGE"]
    assert WAREHOUSE not in {m["Destination"] for m in platform_container["Mounts"]}
    assert WAREHOUSE in {m["Destination"] for m in app_container["Mounts"]}


IMAGE_PROBE = (
    "import importlib.util as u, json;"
    "print(json.dumps([m for m in ('app', 'pandas', 'duckdb', 'pyarrow', 'dagster_webserver', 'uvicorn')"
    " if u.find_spec(m)]))"
)


def test_each_image_holds_only_what_its_processes_load(stack):
    """The platform's image has the webserver but neither app/ nor the team's libraries; app's
    image has both, and neither the webserver nor a second columnar engine (pyarrow)."""
    assert json.loads(in_image(stack, stack.env["DAGSTER_IMAGE"], IMAGE_PROBE)) == ["dagster_webserver", "uvicorn"]
    assert json.loads(in_image(stack, stack.env["DAGSTER_APP_IMAGE"], IMAGE_PROBE)) == ["app", "pandas", "duckdb"]


# Every kept service's client must still build (its model is whole); the rest are gone.
BOTOCORE_PROBE = (
    "import json, boto3, botocore.session;"
    "kept = botocore.session.get_session().get_available_services();"
    "[boto3.client(name, region_name='eu-west-1') for name in kept];"
    "print(json.dumps(kept))"
)


def test_the_images_keep_the_api_models_of_s3_and_the_credential_chain(stack):
    """botocore in each image knows S3 and the services behind role assumption and SSO, and
    none of the ~450 others (the Dockerfile's BOTOCORE_SERVICES)."""
    for image in ("DAGSTER_IMAGE", "DAGSTER_APP_IMAGE"):
        kept = json.loads(in_image(stack, stack.env[image], BOTOCORE_PROBE))
        assert kept == ["s3", "signin", "sso", "sso-oidc", "sts"], (image, kept)


def test_every_image_carries_the_webservers_dagster(stack):
    """No version skew: each location's image, the webserver and uv.lock agree on Dagster."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked = {p["name"]: p["version"] for p in lock["package"]}["dagster"]
    served = stack.client("version")["version"]
    versions = {
        image: in_image(stack, stack.env[image], "import dagster; print(dagster.__version__)").strip()
        for image in ("DAGSTER_IMAGE", "DAGSTER_APP_IMAGE")
    }
    assert set(versions.values()) == {locked} == {served}, (versions, served, locked)


def sensor_ticks_since(stack, sensor: str, since: dt.datetime) -> int:
    """Ticks of `sensor` the daemon recorded after `since` (UTC), from Postgres."""
    count = stack.psql(
        f"SELECT count(*) FROM job_ticks WHERE tick_body::json->>'job_name' = '{sensor}' "
        f"AND timestamp > '{since.strftime('%Y-%m-%d %H:%M:%S')}'"
    )
    return int(count.strip())


@pytest.fixture
def broken_app_location(stack):
    """The app location's server restarted on a module that does not exist (a bad import after a
    deploy); restored, and seen loaded again in the UI, afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        override = Path(tmp) / "broken.yml"
        override.write_text(
            "services:\n  user-code:\n    command: "
            + json.dumps(["dagster", "api", "grpc", "-h", "0.0.0.0", "-p", "4000", "-m", "app.not_a_module"])
            + "\n"
        )
        files = ["-f", str(ROOT / "docker-compose.yml"), "-f", str(override)]
        started = time.monotonic()
        try:
            # `up --wait` returns: a location that fails to import still serves its error.
            stack.compose(*files, "up", "-d", "--wait", "user-code", timeout=600)
            yield time.monotonic() - started
        finally:
            stack.compose("up", "-d", "--wait", "user-code", timeout=600)
            poll_until(lambda: by_name(stack)["app"]["loaded"], LOCATION_WAIT, "the app location to load again")


@pytest.mark.disruptive
def test_a_team_location_that_fails_to_import_leaves_the_platform_working(stack, broken_app_location):
    """The UI shows app's import error; the platform's canary runs, its sensor keeps ticking and
    the daemon stays healthy."""
    broken_at = dt.datetime.now(dt.UTC)
    entries = poll_until(
        lambda: while_app_unloaded(stack),
        LOCATION_WAIT,
        "the UI to show the app location's load error",
    )
    assert "app.not_a_module" in entries["app"]["error"], entries["app"]
    assert entries["platform"]["loaded"], entries["platform"]
    assert stack.health("user-code") == "healthy"  # it serves its error: `up --wait` returned

    assert stack.launch_and_wait(CANARY, timeout=RUN_WAIT)["status"] == "SUCCESS"
    # The run-failure sensor (every 30 s) belongs to the platform location and keeps ticking.
    poll_until(
        lambda: sensor_ticks_since(stack, "report_run_failures", broken_at) > 0,
        120,
        "a tick of the platform's run-failure sensor while app is broken",
    )
    assert stack.health("daemon") == "healthy"


@pytest.mark.disruptive
def test_a_team_location_whose_server_is_down_leaves_the_platform_working(stack):
    """With app's code server stopped, the canary still runs and the platform location stays loaded."""
    with stack.stopped("user-code"):
        entries = poll_until(
            lambda: while_app_unloaded(stack),
            LOCATION_WAIT,
            "the UI to show the app location unreachable",
        )
        assert entries["platform"]["loaded"], entries
        assert stack.launch_and_wait(CANARY, timeout=RUN_WAIT)["status"] == "SUCCESS"
        assert stack.health("daemon") == "healthy"
    poll_until(lambda: by_name(stack)["app"]["loaded"], LOCATION_WAIT, "the app location to load again")


# The services a new location changes: its own server, and those whose image or settings
# carry the workspace or the admitted images (the platform image, the launcher's proxy).
RESTARTED_FOR_A_LOCATION = ("platform-code", "webserver", "webserver-readonly", "daemon", "docker-proxy")
UP_BUILT = ("up", "-d", "--build", "--wait", "--no-deps")
BUILD_WAIT = 1800  # the new pyproject.toml re-syncs the dependency layers of the images built


@pytest.mark.disruptive
def test_a_scaffolded_location_runs_its_first_asset_in_its_own_image(stack, tmp_path):
    """`scripts/new_location.py marketing` in a copy of the checkout, then `up --build`: the UI
    loads the new location, and its job materializes the first asset in the new image. The stack
    is put back from this checkout afterwards (the new server removed, the workspace restored)."""
    name = "marketing"
    root = copy_checkout(tmp_path / "checkout")
    # `uv lock` resolves the new extra as a user's run does: from uv's cache, or from the
    # package index for metadata a fresh machine's cache lacks.
    new_location.scaffold(name, root)
    image = f"dagster-platform-{name}:local"
    copy = ["-f", str(root / "docker-compose.yml")]
    try:
        stack.compose(*copy, *UP_BUILT, f"{name}-code", *RESTARTED_FOR_A_LOCATION, timeout=BUILD_WAIT)
        poll_until(lambda: by_name(stack).get(name, {}).get("loaded"), LOCATION_WAIT, f"location {name} to load")
        run = stack.launch_and_wait(f"{name}_job", timeout=RUN_WAIT)
        assert run["status"] == "SUCCESS", run
        assert stack.tags_of(run)["dagster/code_location"] == name
        assert run_container(stack, run["runId"])["Config"]["Image"] == image
        assert [m["assetKey"]["path"] for m in run["assetMaterializations"]] == [[f"{name}_first_asset"]]
    finally:
        stack.compose(*UP_BUILT, "--remove-orphans", *RESTARTED_FOR_A_LOCATION, timeout=BUILD_WAIT)
        stack.docker("image", "rm", "-f", image, check=False)
        poll_until(
            lambda: [e["name"] for e in stack.client("locations") if e["loaded"]] == ["platform", "app"],
            LOCATION_WAIT,
            "the workspace of this checkout (platform, app) to be back",
        )
