"""A date range backfilled in ONE run through the CLI, on the compose stack.

`dagster asset materialize --partition-range` (the reference's one-command backfill, in its
1.13 form) runs in a `tools` container against the stack's Postgres and S3: one run, seven
daily objects per asset in the lake, and the downstream step of the same run reads all
seven from S3 (the multiprocess executor runs each step in its own process).
"""

import pytest

pytestmark = pytest.mark.stack

# February: no other stack test writes these days.
FIRST_DAY, LAST_DAY = "2026-02-01", "2026-02-07"
DAYS = [f"2026-02-{day:02d}" for day in range(1, 8)]
ASSETS = ("daily_events", "daily_event_counts")


def test_a_week_through_the_cli_is_one_run_writing_seven_partitions(stack):
    """One run, SUCCESS; 7 objects per asset; the downstream materialized all 7 days from them."""
    stack.tool(
        "dagster",
        "asset",
        "materialize",
        "-m",
        "app.definitions",
        "--select",
        ",".join(ASSETS),
        "--partition-range",
        f"{FIRST_DAY}...{LAST_DAY}",
    )
    runs = stack.client("runs", "--tag", f"dagster/asset_partition_range_start={FIRST_DAY}")
    assert len(runs) == 1, [(r["runId"], r["status"]) for r in runs]
    assert runs[0]["status"] == "SUCCESS", runs[0]

    lake = set(stack.s3_keys(stack.env["LAKE_BUCKET"], "daily_"))
    for asset in ASSETS:
        assert {f"{asset}/{day}.parquet" for day in DAYS} <= lake, sorted(lake)

    details = stack.client("run", runs[0]["runId"])
    written = {(m["assetKey"]["path"][-1], m["partition"]) for m in details["assetMaterializations"]}
    assert written == {(asset, day) for asset in ASSETS for day in DAYS}, sorted(written)
    steps = {s["stepKey"]: s["status"] for s in details["stepStats"]}
    assert steps == dict.fromkeys(ASSETS, "SUCCESS"), steps
