"""Faults around the landing zone and the warehouse pool, on the running stack.

- A run container killed while it holds the `warehouse` pool slot (limit 1) does not block
  later warehouse writers: run monitoring fails the run, frees its slot
  (`free_slots_after_run_end_seconds`) and the retry and the next file both publish.
- A warehouse publish that fails after `landed_orders` ran leaves the file in incoming/, not
  processed/; a re-run publishes it exactly once.
- A hostile batch (malformed, empty, oversized, duplicate ids, hostile names) next to good
  files: the good ones are published, each bad one is quarantined with a reason that names
  its problem, the sensor keeps ticking, and incoming/ ends up empty.

The warehouse is made to fail for real: a tools container holds the DuckDB file's write
lock (Stack.warehouse_lock), as a BI tool or a stuck writer would.
"""

import subprocess
import time
from pathlib import Path

import pytest
import yaml

from app.drop_landing_files import parse_size
from app.lib.landing_files import MAX_NAME_BYTES
from app.resources.landing_zone import REASON_SUFFIX
from platform_client import TERMINAL

pytestmark = pytest.mark.stack

RECOVERY_WAIT = 600  # monitoring poll (30 s) + slot release (60 s after the run ended) + a run
ROWS = 20  # rows of a `valid` sample file (app.drop_landing_files default)


def slot_holder(stack) -> str | None:
    """The run id holding a `warehouse` pool slot, or None."""
    cid = stack.container_id("postgres")
    out = subprocess.run(
        [
            "docker",
            "exec",
            cid,
            "psql",
            "-U",
            stack.env["DAGSTER_POSTGRES_USER"],
            "-d",
            stack.env["DAGSTER_POSTGRES_DB"],
            "-tAc",
            "SELECT run_id FROM concurrency_slots WHERE concurrency_key = 'warehouse' AND run_id IS NOT NULL",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    ).stdout.strip()
    return out or None


def test_a_crashed_run_does_not_keep_the_warehouse_slot(stack, landing, wait_for):
    """Kill the run container whose step holds the `warehouse` slot: monitoring fails that run,
    the slot is freed and both its retry and a later file's run publish.

    Fails without `run_monitoring.free_slots_after_run_end_seconds` (checked in Dagster's
    source: only a step's own process or that monitoring setting frees a slot, so the killed
    run's slot would stay claimed and both later runs would wait until the timeout)."""
    with stack.warehouse_lock():
        stack.drop_files([("valid", "pool-holder.csv")])
        # The step claims the slot, then retries the locked file for ~5 s: the window to crash it.
        holder = wait_for(
            lambda: slot_holder(stack), landing.sensor_wait, "a landing run to hold the warehouse slot", 0.3
        )
        run = stack.client("run", holder)
        container = stack.tags_of(run)["docker/container_id"]
        subprocess.run(["docker", "kill", container], check=True, capture_output=True, timeout=60)
    stack.drop_files([("valid", "pool-waiter.csv")])

    crashed = stack.wait_run(holder, RECOVERY_WAIT)
    assert crashed["status"] == "FAILURE", crashed
    waiter = landing.finished_run("pool-waiter.csv", landing.sensor_wait + RECOVERY_WAIT)
    assert waiter["status"] == "SUCCESS", waiter

    def finished_retry():
        retries = stack.client("runs", "--tag", f"dagster/parent_run_id={holder}")
        return retries[0] if retries and retries[0]["status"] in TERMINAL else None

    retry = wait_for(finished_retry, RECOVERY_WAIT, f"the retry of {holder}")
    assert retry["status"] == "SUCCESS", retry
    assert slot_holder(stack) is None
    for name in ("pool-holder.csv", "pool-waiter.csv"):
        assert stack.warehouse_rows(name) == ROWS, name
        assert f"processed/{name}" in landing.keys("processed/")


def test_a_file_is_processed_only_once_published(stack, landing):
    """The warehouse publish fails after landed_orders ran: the file stays in incoming/ (not
    processed/). A re-run publishes it; a second re-run changes nothing: exactly once.

    Fails on the old code, which moved the file to processed/ inside landed_orders."""
    name = "mid-failure.csv"
    with stack.warehouse_lock():
        stack.drop_files([("valid", name)])
        failed = landing.finished_run(name)
    assert failed["status"] == "FAILURE", failed
    steps = {s["stepKey"]: s["status"] for s in failed["stepStats"]}
    assert steps == {"landed_orders": "SUCCESS", "warehouse_landed_orders": "FAILURE"}, steps
    assert f"incoming/{name}" in landing.keys("incoming/")
    assert f"processed/{name}" not in landing.keys("processed/")

    tags = {"dagster/partition": name, "landing/s3_key": f"incoming/{name}"}
    run_config = {"ops": {"landed_orders": {"config": {"s3_key": f"incoming/{name}"}}}}
    for _ in range(2):
        rerun = stack.wait_run(stack.launch("landing_job", config=run_config, tags=tags), landing.sensor_wait)
        assert rerun["status"] == "SUCCESS", rerun
    assert stack.warehouse_rows(name) == ROWS
    assert f"incoming/{name}" not in landing.keys("incoming/")
    assert f"processed/{name}" in landing.keys("processed/")


HOSTILE_NAMES = {
    "new\nline.csv": "control character '\\n'",
    "tab\there.csv": "control character '\\t'",
    "range...syntax.csv": "'...'",
    # 4 x 250 bytes + '.csv': over 1,000 characters (S3 stand-ins cap a path segment at 255 bytes)
    "/".join(["n" * 250] * 4) + ".csv": f"over the limit of {MAX_NAME_BYTES}",
    "a|b.csv": "same lake object as the already landed 'a,b.csv'",
}
GOOD_NAMES = ("good-1.csv", "good-2.csv", "zürich-订单.csv", "Case.csv", "case.csv", "a,b.csv")
# A run container's memory limit (dagster.yaml); the oversized file is 1 MiB above it, so
# reading it whole would kill the run container (OOM) on every retry.
RUN_MEMORY_LIMIT = parse_size(
    yaml.safe_load((Path(__file__).resolve().parents[2] / "dagster.yaml").read_text())["run_launcher"]["config"][
        "container_kwargs"
    ]["mem_limit"]
)
HUGE_BYTES = RUN_MEMORY_LIMIT + 1024 * 1024
# name -> (the drop tool's kind and options, the problem its quarantine reason must name)
BAD_CONTENT = {
    "hostile-bad-rows.csv": (("bad_rows",), "unparseable row"),
    "hostile-empty.csv": (("empty",), "empty file"),
    "hostile-oversized.csv": (("oversized", "--size", str(HUGE_BYTES)), f"file too large: {HUGE_BYTES:,} bytes"),
    "hostile-dupes.csv": (("duplicates",), "duplicate order_id"),
}


def test_a_hostile_batch_lands_the_good_files_and_quarantines_the_rest(stack, landing, wait_for):
    """One batch: malformed, empty, oversized (larger than a run container's memory limit,
    streamed up, never held in memory), duplicate ids, hostile names and good files with odd
    names. Good files are published; each bad one is in quarantine/ with a reason naming its
    problem; the oversized file's run container was not OOM-killed (the file is judged by its
    S3 size); the sensor's ticks after the batch all succeed; nothing is left in incoming/.

    On the old code the oversized file was read whole (an OOM kill, then the same on each
    retry) and the duplicate-id file ended up in processed/;
    tests/unit/test_landing_zone_sensor.py covers the names tick by tick."""
    started = time.time()
    files = [("valid", n) for n in GOOD_NAMES] + [("valid", n) for n in HOSTILE_NAMES]
    files += [(kind, name, *options) for name, ((kind, *options), _) in BAD_CONTENT.items()]
    stack.drop_files(files)

    for name in GOOD_NAMES:
        assert landing.finished_run(name)["status"] == "SUCCESS", name
    rows = {name: len(table) for name, table in stack.warehouse_table(list(GOOD_NAMES)).items()}
    assert rows == dict.fromkeys(GOOD_NAMES, ROWS), rows
    for name in BAD_CONTENT:
        assert landing.finished_run(name)["status"] == "FAILURE", name
    huge = landing.finished_run("hostile-oversized.csv")
    state = stack.inspect(stack.tags_of(huge)["docker/container_id"])["State"]
    assert not state["OOMKilled"] and state["ExitCode"] == 0, state

    def reasons():
        # Every quarantined object's text in one tools container per poll (the batch's reasons
        # are all there once the runs are done; the poll is for the sensor-side quarantines).
        found = stack.s3_texts(landing.bucket, "quarantine/", REASON_SUFFIX)
        return found if len(found) >= len(BAD_CONTENT) + len(HOSTILE_NAMES) else None

    texts = wait_for(reasons, landing.sensor_wait, "every bad file's quarantine reason")
    for name, (_, problem) in BAD_CONTENT.items():
        assert problem in texts[f"quarantine/{name}{REASON_SUFFIX}"], (name, texts)
    for name, problem in HOSTILE_NAMES.items():
        matching = [t for t in texts.values() if f"original key: {f'incoming/{name}'!r}" in t]
        assert matching and problem in matching[0], (name, texts)

    assert landing.keys("incoming/") == set()
    assert {f"processed/{n}" for n in GOOD_NAMES} <= landing.keys("processed/")
    ticks = stack.psql(
        "SELECT status FROM job_ticks WHERE tick_body LIKE '%landing_zone_sensor%' "
        f"AND timestamp > to_timestamp({started}) AT TIME ZONE 'UTC'"
    ).split()
    assert ticks and "FAILURE" not in ticks, ticks
