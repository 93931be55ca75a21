"""Load: 60 runs queued at once, against the run limits of dagster.yaml.

`concurrency.runs.max_concurrent_runs: 6` and the tag limit `platform/trigger=automation: 2`
hold under load: the number of runs in progress (sampled from Postgres all along) never
exceeds either limit, and each limit is actually reached (so the test can fail both ways:
a broken limit overshoots, a broken queue never fills up). Every run succeeds. Throughput
is printed as a figure, not asserted (machines differ).
"""

import json
import time
import uuid

import pytest

from platform_client import TERMINAL

pytestmark = pytest.mark.stack

RUNS = 60
TAGGED = 20  # of RUNS, tagged platform/trigger=automation
MAX_CONCURRENT_RUNS = 6  # dagster.yaml: concurrency.runs.max_concurrent_runs
TAG_LIMIT = 2  # dagster.yaml: tag_concurrency_limits platform/trigger=automation
# A trivial run: its cost is the run container's start and import, which is what the queue
# meters; 2 s of work keeps the tagged runs of one dequeue pass overlapping.
CANARY_SECONDS = 2
LOAD_TIMEOUT = 1500

LAUNCH_MANY = """
import json, sys
sys.path.insert(0, "scripts")
from platform_client import client
spec = json.loads(sys.argv[1])
gql = client()
for i in range(spec["runs"]):
    tags = dict(spec["tags"], **(spec["tagged"] if i % 3 == 0 and i // 3 < spec["n_tagged"] else {}))
    gql.submit_job_execution("platform_canary_job", repository_location_name="platform",
                             run_config=spec["config"], tags=tags)
print("launched", spec["runs"])
"""


def test_sixty_runs_respect_the_run_cap_and_the_tag_limit(stack, run_sampler, wait_for):
    """Queue 60 canary runs at once (every third one tagged, 20 in all); sample the running
    count until all finish; assert peaks == limits and every run SUCCESS."""
    load_tag = f"load-{uuid.uuid4().hex[:8]}"
    spec = {
        "runs": RUNS,
        "n_tagged": TAGGED,
        "tags": {"platform/test": load_tag},
        "tagged": {"platform/trigger": "automation"},
        "config": {"ops": {"canary": {"config": {"sleep_seconds": CANARY_SECONDS}}}},
    }
    statuses_sql = (
        "SELECT r.status, count(*) FROM runs r JOIN run_tags t ON t.run_id = r.run_id "
        f"AND t.key = 'platform/test' AND t.value = '{load_tag}' GROUP BY 1"
    )

    def finished():
        rows = dict(line.split("|") for line in stack.psql(statuses_sql).splitlines() if line)
        counts = {status: int(n) for status, n in rows.items()}
        done = sum(counts.get(s, 0) for s in TERMINAL)
        return counts if done >= RUNS else None

    with run_sampler("platform/trigger", "automation") as sampler:
        start = time.monotonic()
        stack.tool("python", "-c", LAUNCH_MANY, json.dumps(spec), timeout=900)
        counts = wait_for(finished, LOAD_TIMEOUT, f"{RUNS} load runs to finish", interval=10)
        wall = time.monotonic() - start

    print(
        f"\n[figure] load: {RUNS} runs ({TAGGED} tag-limited) queued at once, all finished in {wall:.0f} s: "
        f"{RUNS / wall * 60:.1f} runs/min; peak running {sampler.peak_running} (cap {MAX_CONCURRENT_RUNS}), "
        f"peak tagged {sampler.peak_tagged} (limit {TAG_LIMIT}); {len(sampler.samples)} samples"
    )
    assert counts == {"SUCCESS": RUNS}, counts
    assert sampler.peak_running == MAX_CONCURRENT_RUNS, sampler.peak_running
    assert sampler.peak_tagged == TAG_LIMIT, sampler.peak_tagged
    assert sampler.tagged_held_back, "tagged runs never waited in the queue: the tag limit was not exercised"
