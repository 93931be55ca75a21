"""The example code location's patterns, working for real on the compose stack:
the S3 landing sensor (with quarantine), a CLI partition backfill under its tag limit,
declarative automation of the mart, and a blocking check stopping its downstream.

Everything is driven the way an operator would: files dropped into the landing bucket, the
`dagster job backfill` CLI and GraphQL, all from a `tools` container on the compose network.
"""

import pytest

from platform_client import TERMINAL

pytestmark = pytest.mark.stack

SENSOR_WAIT = 420  # the landing sensor ticks every 30 s; a run container then starts
BACKFILL_DAYS = ("2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04")
BACKFILL_TAG_LIMIT = 2  # dagster.yaml: concurrency.runs.tag_concurrency_limits dagster/backfill


def finished_landing_run(stack, name: str):
    """The terminal landing_job run for incoming/<name>, or None while there is none."""

    def check():
        runs = stack.client("runs", "--job", "landing_job", "--tag", f"landing/s3_key=incoming/{name}")
        done = [r for r in runs if r["status"] in TERMINAL]
        return done[0] if done else None

    return check


def drop(stack, kind: str, name: str) -> None:
    """Upload a sample landing file with the app's own helper (same resources as the sensor)."""
    out = stack.tool("python", "-m", "app.drop_landing_files", kind, "--name", name)
    assert f"incoming/{name}" in out, out


@pytest.fixture(scope="module")
def landing_files(stack) -> dict[str, str]:
    """A good, a malformed and a duplicate-id file dropped in one batch."""
    names = {"valid": "stack-valid.csv", "bad_rows": "stack-bad-rows.csv", "duplicates": "stack-dupes.csv"}
    for kind, name in names.items():
        drop(stack, kind, name)
    return names


def test_landing_sensor_loads_a_dropped_file(stack, landing_files, wait_for):
    """The sensor picks the file up; its run lands it and publishes it to the warehouse."""
    name = landing_files["valid"]
    run = wait_for(finished_landing_run(stack, name), SENSOR_WAIT, f"landing run of {name}")
    assert run["status"] == "SUCCESS", run
    details = stack.client("run", run["runId"])
    materialized = {"/".join(m["assetKey"]["path"]) for m in details["assetMaterializations"]}
    assert {"landed_orders", "warehouse_landed_orders"} <= materialized, materialized
    assert f"processed/{name}" in stack.s3_keys(stack.env["LANDING_BUCKET"], "processed/")


def test_malformed_file_is_quarantined_with_a_reason(stack, landing_files, wait_for):
    """A bad file moves to quarantine/ with its reason, and does not block the good one."""
    name = landing_files["bad_rows"]
    run = wait_for(finished_landing_run(stack, name), SENSOR_WAIT, f"landing run of {name}")
    assert run["status"] == "FAILURE", run  # the run-failure sensor alerts on it
    steps = {s["stepKey"]: s["status"] for s in stack.client("run", run["runId"])["stepStats"]}
    assert steps.get("landed_orders") == "FAILURE", steps
    bucket = stack.env["LANDING_BUCKET"]
    keys = stack.s3_keys(bucket, "quarantine/")
    assert f"quarantine/{name}" in keys, keys
    reason = stack.s3_cat(bucket, f"quarantine/{name}.reason.txt")
    assert reason.startswith("1 unparseable row(s): line 3:"), reason
    assert f"incoming/{name}" not in stack.s3_keys(bucket, "incoming/")
    # The good file of the same batch still loaded (test above), and it is not quarantined.
    assert f"quarantine/{landing_files['valid']}" not in keys


def test_blocking_check_stops_the_downstream(stack, landing_files, wait_for):
    """Duplicate order ids: landed_orders materializes, its blocking check fails, and
    warehouse_landed_orders is not materialized; the run fails."""
    name = landing_files["duplicates"]
    run = wait_for(finished_landing_run(stack, name), SENSOR_WAIT, f"landing run of {name}")
    assert run["status"] == "FAILURE", run
    details = stack.client("run", run["runId"])
    materialized = {"/".join(m["assetKey"]["path"]) for m in details["assetMaterializations"]}
    assert "landed_orders" in materialized, materialized
    assert "warehouse_landed_orders" not in materialized, materialized
    steps = {s["stepKey"]: s["status"] for s in details["stepStats"]}
    assert steps.get("warehouse_landed_orders") != "SUCCESS", steps
    checks = stack.client("check-executions", "landed_orders", "unique_order_ids")
    assert any(c["runId"] == run["runId"] and c["evaluation"] and not c["evaluation"]["success"] for c in checks), (
        checks
    )


def test_cli_backfill_completes_within_its_tag_limit(stack, run_sampler, wait_for):
    """`dagster job backfill` over a date range: every partition succeeds, its output is in
    the lake, and the backfill tag limit held: sampled from Postgres all along, backfill runs
    in progress reached the limit but never exceeded it, while the others waited queued."""
    with run_sampler("dagster/backfill") as sampler:
        stack.tool(
            "dagster",
            "job",
            "backfill",
            "-w",
            "/opt/dagster/dagster_home/workspace.yaml",
            "-l",
            "app",
            "-j",
            "daily_events_job",
            "--from",
            BACKFILL_DAYS[0],
            "--to",
            BACKFILL_DAYS[-1],
            "--noprompt",
        )
        runs = wait_for(_all_backfill_runs_done(stack), 600, "the backfill's runs to finish", interval=10)
    assert {r["status"] for r in runs} == {"SUCCESS"}, [(r["runId"], r["status"]) for r in runs]
    partitions = {t["value"] for r in runs for t in r["tags"] if t["key"] == "dagster/partition"}
    assert partitions == set(BACKFILL_DAYS), partitions
    lake = set(stack.s3_keys(stack.env["LAKE_BUCKET"], "daily_events/"))
    assert {f"daily_events/{day}.parquet" for day in BACKFILL_DAYS} <= lake, sorted(lake)
    # Four runs are queued at once and each takes a container start: the first two overlap.
    assert sampler.peak_tagged == BACKFILL_TAG_LIMIT, sampler.samples
    assert sampler.tagged_held_back, sampler.samples
    print(f"\n[figure] {len(runs)}-partition backfill, peak concurrent backfill runs: {sampler.peak_tagged}")


def _all_backfill_runs_done(stack):
    """A poll: the backfill's daily_events_job runs once all are terminal, else None."""

    def check():
        runs = [
            r
            for r in stack.client("runs", "--job", "daily_events_job", "--limit", "50")
            if any(t["key"] == "dagster/backfill" for t in r["tags"])
        ]
        if len(runs) >= len(BACKFILL_DAYS) and all(r["status"] in TERMINAL for r in runs):
            return runs
        return None

    return check


def test_mart_materializes_on_its_own_after_its_upstreams(stack, wait_for):
    """After ingest_orders_job, the automation sensor materializes customer_lifetime_value
    with no one asking, in a run tagged by the automation settings of dagster.yaml."""
    before = {m["runId"] for m in stack.client("materializations", "customer_lifetime_value")}
    run = stack.launch_and_wait("ingest_orders_job")
    assert run["status"] == "SUCCESS", run

    def automated():
        new = [m for m in stack.client("materializations", "customer_lifetime_value") if m["runId"] not in before]
        return new[0] if new else None

    materialization = wait_for(automated, 420, "customer_lifetime_value to be materialized automatically", 10)
    mart_run = stack.client("run", materialization["runId"])
    tags = {t["key"]: t["value"] for t in mart_run["tags"]}
    assert tags.get("platform/trigger") == "automation", tags
    assert mart_run["runId"] != run["runId"]
