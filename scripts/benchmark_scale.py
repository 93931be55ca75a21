"""Benchmark: one big run end to end, with the run container's peak memory.

Launches `ingest_orders_job` with `--rows` rows (the `shop` resource's `row_count`, set in
the run config, so the stack's ORDERS_ROW_COUNT stays as it is), follows its run container
through the Docker Engine API while it runs, and prints wall time, time in the container and
the container's peak memory. Run it on the Docker host (it reads the engine's socket) against
a running stack, through the gateway as an editor:

    DAGSTER_UI_USER=editor DAGSTER_UI_PASSWORD=... \\
        python scripts/benchmark_scale.py --webserver http://127.0.0.1:8080 --rows 1000000

Run it at two sizes (e.g. 100000 and 1000000): time and memory should grow about tenfold,
not more; anything faster-growing is a quadratic step or an extra copy of the data. Figures
only; it exits 1 only if the run does not succeed.
"""

import argparse
import json
import sys
import time
import urllib.parse

from benchmark_idle import EngineError, engine
from platform_client import RUN_TIMES_QUERY, client, query, wait_for_run


def run_container(run_id: str) -> str | None:
    """ID of the container DockerRunLauncher started for `run_id`, once it exists."""
    label = json.dumps({"label": [f"dagster/run_id={run_id}"]})
    found = engine("/containers/json?all=true&filters=" + urllib.parse.quote(label))
    return found[0]["Id"] if found else None


def main(argv: list[str]) -> int:
    """Launch, sample the container's memory until the run ends, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--job", default="ingest_orders_job")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--webserver", metavar="HOST:PORT|URL", help="as scripts/platform_client.py takes it")
    args = parser.parse_args(argv)

    gql = client(args.webserver)
    submitted = time.time()
    run_id = gql.submit_job_execution(
        args.job,
        repository_location_name="app",
        run_config={"resources": {"shop": {"config": {"row_count": args.rows}}}},
        tags={"platform/benchmark": "scale"},
    )
    peak, container = 0, None

    def sample_memory() -> None:
        nonlocal peak, container
        container = container or run_container(run_id)
        if container:
            try:
                memory = engine(f"/containers/{container}/stats?stream=false&one-shot=true")["memory_stats"]
                # cgroup v1 reports the kernel's own high-water mark; v2 only the current usage.
                peak = max(peak, memory.get("max_usage", 0), memory.get("usage", 0))
            except EngineError:
                pass  # the container exited between two samples

    status = wait_for_run(run_id, args.timeout, interval=0.5, on_poll=sample_memory, address=args.webserver)
    run = query(RUN_TIMES_QUERY, {"runId": run_id}, args.webserver)["runOrError"]
    print(f"[figure] scale {args.job} rows={args.rows}: {status}")
    if run.get("startTime") and run.get("endTime"):
        print(
            f"[figure] scale submit -> finished: {run['endTime'] - submitted:.1f} s; "
            f"in the run container: {run['endTime'] - run['startTime']:.1f} s"
        )
    print(f"[figure] scale run container peak memory: {peak / 2**20:.0f} MiB")
    return 0 if status == "SUCCESS" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
