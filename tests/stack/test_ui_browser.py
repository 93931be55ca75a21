"""The Dagster UI as a person uses it: a real Chromium, driven by Playwright, on the stack.

GraphQL answering does not prove that the asset graph renders, that a Materialize click
launches a run, or that step logs stored in S3 reach the run page. These tests click
through the UI like a user (elements found by role and visible text, see browser.py).

Each test saves a screenshot under artifacts/ui/ (UI_ARTIFACTS_DIR), and when it fails also
the page's HTML and console log; the paths are printed. Without a Chromium the tests skip
with how to install one, or fail under REQUIRE_STACK=1 (CI must not pass silently).
"""

import datetime as dt
import os
import re
import uuid

import pytest
from browser import (
    ARTIFACTS_DIR,
    INSTALL_HINT,
    DagsterUI,
    find_chromium,
    launch_chromium,
)
from gateway import EDITOR, Gateway
from playwright.sync_api import expect, sync_playwright

from platform_client import TERMINAL

pytestmark = pytest.mark.stack

# raw_orders logs this line (app/defs/orders/assets.py; context.log writes to stderr): the raw
# stderr panel gets it only through the S3 compute-log manager, the run container being gone.
LOGGING_ASSET = "raw_orders"
LOGGED_LINE = re.compile(r"raw_orders: loaded \d+ rows")
PARTITIONED_ASSET = "daily_events"
SENSORS = ("default_automation_sensor", "landing_zone_sensor")
LANDING_SENSOR = "landing_zone_sensor"
# The landing sensor ticks every 30 s; a run container then starts on a busy machine.
SENSOR_WAIT = 420
BACKFILL_WAIT = 600


@pytest.fixture(scope="session", autouse=True)
def chromium_executable() -> str:
    """The Chromium to drive. Without one, skip (fail under REQUIRE_STACK=1) before the stack
    is built: session-scoped and autouse, so it runs ahead of the `stack` fixture."""
    with sync_playwright() as playwright:
        executable = find_chromium(playwright)
    if executable is None:
        if os.environ.get("REQUIRE_STACK") == "1":
            pytest.fail(f"REQUIRE_STACK=1 but {INSTALL_HINT}")
        pytest.skip(INSTALL_HINT)
    return executable


@pytest.fixture(scope="module")
def chromium(chromium_executable):
    """A headless Chromium for this module's tests (closed after them, not kept for the session)."""
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, chromium_executable)
        print(f"\n[ui] Chromium {browser.version} ({chromium_executable}); screenshots in {ARTIFACTS_DIR}")
        yield browser
        browser.close()


@pytest.fixture
def ui(chromium, stack, request) -> DagsterUI:
    """A fresh browser tab on the stack's UI, signed in as an editor through the gateway; afterwards its screenshot (and, if the test
    failed, its HTML and console log) is saved under ARTIFACTS_DIR."""
    tab = DagsterUI(chromium, Gateway.from_env(stack.env).editor_url, credentials=EDITOR)
    yield tab
    # conftest's report hook lists failing stack tests by node id.
    failed = request.node.nodeid in getattr(request.session, "stack_failures", [])
    try:
        for path in tab.save(request.node.name, failed=failed):
            print(f"[ui] saved {path}")
    finally:
        tab.close()


@pytest.fixture(scope="module")
def asset_groups() -> set[str]:
    """The asset groups the example code location defines (read from the code, not the UI)."""
    from app.definitions import defs

    return {node.group_name for node in defs.resolve_asset_graph().asset_nodes}


@pytest.fixture(scope="module")
def dropped_file(stack) -> str:
    """Name of a landing file with duplicate order ids, just dropped into incoming/.

    Its landing run fails on purpose: the blocking unique_order_ids check stops it.
    """
    name = f"ui-duplicates-{uuid.uuid4().hex[:8]}.csv"
    out = stack.tool("python", "-m", "app.drop_landing_files", "duplicates", "--name", name)
    assert f"incoming/{name}" in out, out
    return name


@pytest.fixture
def failed_landing_run(stack, dropped_file, wait_for) -> str:
    """Run id of the finished landing run of `dropped_file` (found through GraphQL)."""

    def finished():
        runs = stack.client("runs", "--job", "landing_job", "--tag", f"landing/s3_key=incoming/{dropped_file}")
        return next((r["runId"] for r in runs if r["status"] in TERMINAL), None)

    return wait_for(finished, SENSOR_WAIT, f"the landing run of {dropped_file}")


def test_asset_graph_shows_every_group_and_the_location_loaded(ui, asset_groups):
    """Both code locations are Loaded (no error), and the lineage graph shows every asset group."""
    ui.open("/")
    ui.page.get_by_role("link", name=re.compile(r"Deployment$")).click()
    for name in ("platform", "app"):
        expect(ui.page.get_by_role("link", name=re.compile(rf"^{name}\b"))).to_be_visible()
    expect(ui.page.get_by_text(re.compile(r"^Loaded\b"))).to_have_count(2)
    expect(ui.page.get_by_role("button", name="View error")).to_have_count(0)

    ui.page.get_by_role("link", name=re.compile(r"Lineage$")).click()
    for group in sorted(asset_groups):
        expect(ui.page.get_by_text(group, exact=True).first).to_be_visible()
    expect(ui.page.get_by_text(re.compile(r"\berror\b", re.IGNORECASE))).to_have_count(0)


def test_materialize_from_the_ui_shows_the_logged_lines(ui, stack):
    """Materialize clicked on an asset page: the run succeeds, its event log streams in (the
    websocket through the gateway), and the step's stderr, read from the compute-log bucket,
    shows what the asset logged."""
    run_id = ui.materialize(LOGGING_ASSET)
    assert ui.wait_for_run_to_finish() == "Success"
    ui.event_log_entry("RUN_SUCCESS")
    logs = ui.show_step_logs(LOGGING_ASSET, "stderr")  # context.log writes to stderr
    expect(logs).to_contain_text(LOGGED_LINE)
    bucket = re.escape(stack.env["COMPUTE_LOGS_BUCKET"])
    # The footer names the S3 object the lines were read from (a hidden twin exists for stdout).
    source = ui.page.get_by_text(re.compile(rf"^s3://{bucket}/.*{run_id}/")).filter(visible=True)
    expect(source).to_be_visible()


def test_partitions_view_shows_materialized_and_missing_after_a_backfill(ui):
    """A two-day backfill launched from the UI: those days show as materialized, the day
    before them as missing."""
    today = dt.datetime.now(dt.UTC).date()
    # Recent days (the launch dialog offers the last 90), clear of other tests' backfills.
    backfilled = [str(today - dt.timedelta(days=n)) for n in (3, 2)]
    untouched = str(today - dt.timedelta(days=4))
    ui.backfill(PARTITIONED_ASSET, backfilled)

    ui.open(f"/assets/{PARTITIONED_ASSET}?view=partitions")
    for day in backfilled:
        ui.wait_for(lambda day=day: ui.partition_listed(day, "Materialized"), BACKFILL_WAIT, f"{day} materialized")
    expect(ui.partition_listed(untouched, "Missing")).to_be_visible()
    expect(ui.partition_listed(backfilled[0], "Missing")).to_be_hidden()


def test_sensors_run_and_the_landing_tick_shows_a_dropped_file(ui, dropped_file):
    """The automation and landing sensors are running and ticking; after a file drop, the
    landing sensor's ticks show the tick that requested a run for it."""
    for sensor in SENSORS:
        ui.open_sensor(sensor)
        expect(ui.sensor_property("Running").get_by_role("checkbox")).to_be_checked()
        ui.wait_for(
            lambda: ui.sensor_property("Latest tick").filter(has_text=re.compile(r"\d:\d\d:\d\d")),
            SENSOR_WAIT,
            f"a first tick of {sensor}",
        )
    ui.open_sensor(LANDING_SENSOR)
    ui.wait_for(
        lambda: ui.tick_requesting_a_run(dropped_file), SENSOR_WAIT, f"a tick requesting a run for {dropped_file}"
    )


def test_a_failing_run_shows_its_error(ui, failed_landing_run):
    """The landing run stopped by its blocking check: the run page says Failure and shows
    the check's error, with no need to open container logs."""
    ui.open_run(failed_landing_run)
    assert ui.wait_for_run_to_finish() == "Failure"
    expect(ui.page.get_by_text(re.compile(r"blocking asset check failed")).first).to_be_visible()
    expect(ui.page.get_by_text(re.compile(r"unique_order_ids")).first).to_be_visible()
