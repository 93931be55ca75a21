"""Benchmark: how fast does the platform turn a launch into a finished run?

Launches N runs of `platform_canary_job` at once through GraphQL (as a scheduler burst
would), waits for all of them, and prints figures: per-run latency from submission to
SUCCESS (p50 / p95 / max), queue wait vs execution time, and the wall time of the burst.
Run it against a running stack:

    docker compose run --rm tools python scripts/benchmark_run_latency.py --runs 6

It reports figures only; it asserts nothing about speed (machines differ). It exits 1 only
if a run does not succeed.
"""

import argparse
import statistics
import sys
import time

from platform_client import RUN_TIMES_QUERY, client, query, wait_for_runs


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def main(argv: list[str]) -> int:
    """Launch the burst, wait, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args(argv)

    gql = client()
    submitted: dict[str, float] = {}
    burst_start = time.time()
    for _ in range(args.runs):
        run_id = gql.submit_job_execution(
            "platform_canary_job", repository_location_name="platform", tags={"platform/benchmark": "run_latency"}
        )
        submitted[run_id] = time.time()

    done = wait_for_runs(list(submitted), args.timeout)
    finished = {run_id: at for run_id, (_, at) in done.items()}
    statuses = {run_id: status for run_id, (status, _) in done.items()}
    wall = time.time() - burst_start

    failed = {r: s for r, s in statuses.items() if s != "SUCCESS"}
    unfinished = submitted.keys() - finished.keys()
    latencies, queued, executing = [], [], []
    for run_id in finished:
        run = query(RUN_TIMES_QUERY, {"runId": run_id})["runOrError"]
        if run.get("startTime") is None or run.get("endTime") is None:
            continue  # failed before it started: counted above, no timings
        latencies.append(run["endTime"] - submitted[run_id])
        queued.append(run["startTime"] - submitted[run_id])
        executing.append(run["endTime"] - run["startTime"])

    print(
        f"[figure] runs: {args.runs} launched at once, {len(finished)} finished, "
        f"{len(failed)} not successful, {len(unfinished)} timed out"
    )
    if latencies:
        print(
            f"[figure] submit -> finished: p50 {statistics.median(latencies):.1f} s, "
            f"p95 {percentile(latencies, 95):.1f} s, max {max(latencies):.1f} s"
        )
        print(f"[figure] submit -> started (queue + container start): p50 {statistics.median(queued):.1f} s")
        print(f"[figure] started -> finished (in the run container): p50 {statistics.median(executing):.1f} s")
        print(f"[figure] burst wall time: {wall:.1f} s ({len(finished) / wall * 60:.1f} runs/min)")
    return 1 if failed or unfinished else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
