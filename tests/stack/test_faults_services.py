"""Faults in the platform's own services while real work is in flight, on the running stack.

Each test crashes or stops one service, asserts how the platform recovers (which run failed,
which was retried, what landed, nothing lost or duplicated), and leaves the service healthy
again for the next test. They are marked `disruptive` and run after every other stack test.

A crash is a SIGKILL of the container's main process from the host (Stack.crash): that is
what an OOM kill or a segfault does, and `restart: unless-stopped` restarts the container.
(`docker kill` would count as a manual stop, and the service would stay down.)
"""

import json
import time
import uuid

import pytest
from conftest import POSTGRES_CLEAN_START
from gateway import EDITOR, Gateway

from app.resources.shop_source import ShopSource
from platform_client import TERMINAL

pytestmark = [pytest.mark.stack, pytest.mark.disruptive]

CANARY = "platform_canary_job"
RUN_WAIT = 600  # a run on a loaded 2-core machine, plus run monitoring's 180 s start timeout
SERVICE_WAIT = 300  # a restarted Dagster service importing the code location, then healthy
SENSOR_WAIT = 420
ROWS = 20  # rows of a `valid` sample file


def canary_config(seconds: int) -> dict:
    """Run config of the canary job: stay busy for `seconds`."""
    return {"ops": {"canary": {"config": {"sleep_seconds": seconds}}}}


def events(stack, run_id: str, event_type: str) -> list[dict]:
    """The run's events of one type, from the event log in Postgres."""
    out = stack.psql(
        f"SELECT event FROM event_logs WHERE run_id = '{run_id}' AND dagster_event_type = '{event_type}' ORDER BY id"
    )
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def no_run_left_in_flight(stack) -> bool:
    """True when no run is STARTING, STARTED, CANCELING or QUEUED."""
    return stack.psql("SELECT count(*) FROM runs WHERE status IN ('STARTING','STARTED','CANCELING','QUEUED')") == "0"


# One GraphQL request that reads each of the webserver's three storages (runs, event log,
# schedules): each holds its own pooled Postgres connection.
STORAGE_QUERY = """{
  runsOrError(limit: 1) { __typename }
  assetNodes(assetKeys: [{path: ["raw_orders"]}]) { assetMaterializations(limit: 1) { runId } }
  sensorOrError(sensorSelector: {repositoryLocationName: "app", repositoryName: "__repository__",
                                 sensorName: "landing_zone_sensor"}) { __typename }
}"""
STORAGES = 3
DAEMON_HEALTH_QUERY = "{ instance { daemonHealth { allDaemonStatuses { daemonType required healthy } } } }"


LOCATION_QUERY = """{ workspaceOrError { ... on Workspace { locationEntries {
  name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }"""


def webserver_answer(stack, query: str) -> tuple[int, dict]:
    """POST a GraphQL query through the gateway as the editor, from the host (no tools
    container: cheap enough to poll); return (HTTP status, parsed body)."""
    gateway = Gateway.from_env(stack.env)
    response = gateway.graphql(gateway.editor_url, query, auth=EDITOR)
    try:
        return response.status_code, response.json()
    except ValueError:  # e.g. the gateway's own 502 while the webserver restarts
        return response.status_code, {}


def finished_retry_of(stack, run_id: str):
    """A poll: the finished automatic retry of `run_id`, else None."""

    def check():
        retries = stack.client("runs", "--tag", f"dagster/parent_run_id={run_id}")
        return retries[0] if retries and retries[0]["status"] in TERMINAL else None

    return check


def test_code_server_crash_leaves_the_running_run_alone(stack, wait_for):
    """Crash the code server of a running run's location (the canary's: `platform`): the run,
    in its own container, succeeds; the server is restarted and turns healthy; the webserver
    notices the new server and reloads the location by itself (no operator "Reload"), and a new
    launch succeeds."""
    run_id = stack.launch(CANARY, config=canary_config(60))
    stack.started_container(run_id)
    stack.crash("platform-code")
    stack.wait_healthy("platform-code", timeout=SERVICE_WAIT)

    assert stack.wait_run(run_id, RUN_WAIT)["status"] == "SUCCESS"

    def location_loaded():
        code, body = webserver_answer(stack, LOCATION_QUERY)
        entries = body["data"]["workspaceOrError"]["locationEntries"] if code == 200 else []
        platform = [e for e in entries if e["name"] == "platform"]
        return (
            platform
            and platform[0]["loadStatus"] == "LOADED"
            and platform[0]["locationOrLoadError"]["__typename"] == "RepositoryLocation"
        )

    wait_for(location_loaded, SERVICE_WAIT, "the webserver to show the location loaded again", interval=5)
    assert stack.launch_and_wait(CANARY)["status"] == "SUCCESS"


def test_daemon_crash_loses_no_run_and_no_file(stack, wait_for):
    """Crash the daemon with a run in flight; while it is down, queue a run and drop a landing
    file. After the automatic restart: the in-flight run finished (its container never needed
    the daemon), the queued run is dequeued and succeeds, and the sensor resumes from its
    cursor: exactly one landing run for the file, which is published once."""
    name = f"during-daemon-crash-{uuid.uuid4().hex[:6]}.csv"
    in_flight = stack.launch(CANARY, config=canary_config(45))
    stack.started_container(in_flight)
    stack.crash("daemon")
    queued = stack.launch(CANARY)
    stack.drop_files([("valid", name)])
    stack.wait_healthy("daemon", timeout=SERVICE_WAIT)

    first = stack.wait_run(in_flight, RUN_WAIT)
    if first["status"] != "SUCCESS":  # monitoring may have failed it: then its retry must succeed
        assert wait_for(finished_retry_of(stack, in_flight), RUN_WAIT, "the retry")["status"] == "SUCCESS"
    assert stack.wait_run(queued, RUN_WAIT)["status"] == "SUCCESS"

    def landed():
        runs = stack.landing_runs(name)
        return runs if runs and all(r["status"] in TERMINAL for r in runs) else None

    runs = wait_for(landed, SENSOR_WAIT + SERVICE_WAIT, "the landing run of the file dropped during the crash")
    if runs[0]["status"] == "FAILURE":  # failed by run monitoring (e.g. a slow start): its retry lands it
        runs = [wait_for(finished_retry_of(stack, runs[0]["runId"]), RUN_WAIT, "the landing retry"), *runs]
    time.sleep(35)  # one more sensor tick: a duplicate request would show up now
    runs = stack.landing_runs(name)
    # One run requested by the sensor; at most its automatic retry besides: no duplicate request.
    requested = [r for r in runs if "dagster/parent_run_id" not in stack.tags_of(r)]
    assert len(requested) == 1 and runs[0]["status"] == "SUCCESS", runs
    assert all(
        stack.tags_of(r).get("dagster/parent_run_id") == requested[0]["runId"] for r in runs if r not in requested
    ), runs
    assert stack.warehouse_rows(name) == ROWS
    wait_for(lambda: no_run_left_in_flight(stack), RUN_WAIT, "no run left in flight")


def test_postgres_restart_mid_run_ends_every_run_cleanly(stack, wait_for):
    """Restart Postgres while a run executes: the run either completes, or fails cleanly and
    its retry completes; nothing stays in flight; the completed run's event log is intact
    (start, the step's success, the run's success, in order).

    No request fails: the webserver's pooled connection of each storage (runs, event log,
    schedules) is dead after the restart, and the pre-ping of dagster_platform/postgres_storage.py replaces
    it before use (without it, the first request to each storage answered HTTP 500). Postgres
    itself stopped cleanly (its next start needs no crash recovery). The daemon (whose pool
    pre-pings as well) carries on: same container, every required daemon healthy, no failed tick."""
    started = {s: stack.inspect(stack.container_id(s))["State"]["StartedAt"] for s in ("webserver", "daemon")}
    run_id = stack.launch(CANARY, config=canary_config(30))
    stack.started_container(run_id)
    since = stack.psql("SELECT now() AT TIME ZONE 'UTC'")  # job_ticks.timestamp is UTC
    stack.compose("restart", "postgres", timeout=180)
    stack.wait_healthy("postgres", timeout=SERVICE_WAIT)

    answers = [webserver_answer(stack, STORAGE_QUERY) for _ in range(STORAGES)]
    assert [code for code, _ in answers] == [200] * STORAGES, answers
    body = answers[0][1]["data"]
    assert (body["runsOrError"]["__typename"], body["sensorOrError"]["__typename"]) == ("Runs", "Sensor"), body
    restarted_log = stack.compose("logs", "--no-log-prefix", "postgres", timeout=60).stdout
    assert POSTGRES_CLEAN_START in restarted_log.rsplit("database system is shut down", 1)[-1], restarted_log[-3000:]

    time.sleep(35)  # one landing-sensor tick (30 s) after the restart
    _, health = webserver_answer(stack, DAEMON_HEALTH_QUERY)
    daemons = health["data"]["instance"]["daemonHealth"]["allDaemonStatuses"]
    assert all(d["healthy"] for d in daemons if d["required"]), daemons
    failed = stack.psql(f"SELECT count(*) FROM job_ticks WHERE status = 'FAILURE' AND timestamp > '{since}'")
    assert failed == "0", f"{failed} sensor/schedule ticks failed across the restart"
    now = {s: stack.inspect(stack.container_id(s))["State"]["StartedAt"] for s in started}
    assert now == started, "webserver or daemon restarted"
    stack.wait_healthy("webserver", "daemon", timeout=SERVICE_WAIT)

    run = stack.wait_run(run_id, RUN_WAIT)
    if run["status"] != "SUCCESS":
        run = stack.client("run", wait_for(finished_retry_of(stack, run_id), RUN_WAIT, "the retry")["runId"])
    assert run["status"] == "SUCCESS", run
    assert {s["stepKey"]: s["status"] for s in run["stepStats"]} == {"canary": "SUCCESS"}
    kinds = stack.psql(
        f"SELECT dagster_event_type FROM event_logs WHERE run_id = '{run['runId']}' "
        "AND dagster_event_type IN ('PIPELINE_START','STEP_START','STEP_SUCCESS','PIPELINE_SUCCESS') ORDER BY id"
    ).splitlines()
    assert kinds == ["PIPELINE_START", "STEP_START", "STEP_SUCCESS", "PIPELINE_SUCCESS"], kinds
    wait_for(lambda: no_run_left_in_flight(stack), RUN_WAIT, "no run left in flight")


def test_s3_outage_mid_run_is_retried_and_lands_once(stack, wait_for):
    """Stop S3 as soon as the sensor has requested the landing run (the run is in flight but its
    container has not read the file yet: a small file lands within seconds of its container
    starting, too fast to stop S3 "during the step" by polling), start it again after the step
    has failed on it: the step's error names the S3 endpoint; the step retry (or, if the outage
    outlasted it, a re-run) publishes the file exactly once and files it under processed/.

    Fails on the old code: nothing retried the step and the error did not say S3 (on this
    stack, a 20 s stop of S3 failed the step within ~3 s with "Could not resolve host")."""
    name = f"during-s3-outage-{uuid.uuid4().hex[:6]}.csv"
    stack.drop_files([("valid", name)])

    def requested():
        # psql through `exec` answers in well under a second (a tools container takes seconds).
        return stack.psql(
            "SELECT r.run_id FROM runs r JOIN run_tags t ON t.run_id = r.run_id "
            f"WHERE t.key = 'landing/s3_key' AND t.value = 'incoming/{name}' "
            "AND r.status IN ('QUEUED', 'NOT_STARTED', 'STARTING')"
        )

    run_id = wait_for(requested, SENSOR_WAIT, f"the sensor to request the landing run of {name}", interval=0.5)
    with stack.stopped("minio", healthy_within=SERVICE_WAIT):

        def hit_s3_error():
            found = events(stack, run_id, "STEP_UP_FOR_RETRY") + events(stack, run_id, "STEP_FAILURE")
            return found or (stack.client("run", run_id)["status"] in TERMINAL and [None])

        failures = wait_for(hit_s3_error, RUN_WAIT, "the landing step to hit the S3 outage", interval=3)
    assert failures[0] is not None, "the run finished without ever touching S3 during the outage"
    error = json.dumps(failures[0])
    # The landing step and the lake's IO manager both wrap the error in one naming the endpoint.
    assert any(text in error for text in ("S3 unreachable at", stack.env["S3_ENDPOINT_URL"])), error[:3000]

    run = stack.wait_run(run_id, RUN_WAIT)
    if run["status"] != "SUCCESS":  # the outage outlasted the step retries: an operator re-runs it
        tags = {"dagster/partition": name, "landing/s3_key": f"incoming/{name}"}
        config = {"ops": {"landed_orders": {"config": {"s3_key": f"incoming/{name}"}}}}
        run = stack.wait_run(stack.launch("landing_job", config=config, tags=tags), RUN_WAIT)
    assert run["status"] == "SUCCESS", run
    assert stack.warehouse_rows(name) == ROWS
    assert f"processed/{name}" in stack.s3_keys(stack.env["LANDING_BUCKET"], "processed/")


# What ingest_orders_job writes to the lake: one object per asset (all unpartitioned).
INGEST_OBJECTS = {
    "raw_orders": "raw_orders.parquet",
    "staged_orders": "staged_orders.parquet",
    "shop/customers": "shop/customers.parquet",
    "shop/orders": "shop/orders.parquet",
    "shop/order_items": "shop/order_items.parquet",
}
# One tools container (each costs seconds of CPU) reads what the run left in S3: rows and
# distinct order ids of the given lake objects, and the compute-log keys of the run.
S3_AFTER_RUN = """
import json, sys
from app.io_managers.s3_parquet import download_frame
from dagster_platform.s3_store import S3Store
store = S3Store.from_environment()
lake, logs, run_id, keys = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
def listed(bucket, prefix=""):
    pages = store.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]
stored = {}
for key in keys:
    frame = download_frame(store, lake, key)
    stored[key] = {"rows": len(frame), "order_ids": int(frame["order_id"].nunique()) if "order_id" in frame else None}
print(json.dumps({"objects": stored, "logs": [k for k in listed(logs) if run_id in k]}))
"""
S3_OUTAGE_SECONDS = 20


def test_s3_outage_during_ingest_orders_job_is_ridden_through_by_step_retries(stack, wait_for):
    """Stop S3, launch ingest_orders_job and keep S3 down for 20 s after its first step hit the
    outage: the steps retry with backoff inside the same run (no new run, no operator), the run
    succeeds, every asset is materialized exactly once, and each lake object holds one copy of
    its rows (staged_orders: one row per order id).

    Fails without the step retries: the first lake write failed the run within ~3 s ("Could
    not resolve host", seen on this stack), and run_retries does not retry step failures."""
    lake = stack.env["LAKE_BUCKET"]
    # S3 goes down before the launch: nothing before the first step needs it, and a run's steps
    # can finish in the second it takes to stop a container, so a stop "during the step" races.
    with stack.stopped("minio", healthy_within=SERVICE_WAIT):
        run_id = stack.launch("ingest_orders_job")
        first = wait_for(
            lambda: events(stack, run_id, "STEP_UP_FOR_RETRY") or stack.client("run", run_id)["status"] in TERMINAL,
            RUN_WAIT,
            "a step of ingest_orders_job to hit the S3 outage",
            interval=1,
        )
        hit = time.monotonic()
        assert first is not True, f"the run finished without a step retry: {stack.client('run', run_id)}"
        assert "S3 unreachable at" in json.dumps(first[0]), json.dumps(first[0])[:3000]
        time.sleep(max(0.0, S3_OUTAGE_SECONDS - (time.monotonic() - hit)))
        assert stack.client("run", run_id)["status"] not in TERMINAL, "the run ended during the outage"

    run = stack.wait_run(run_id, RUN_WAIT)
    assert run["status"] == "SUCCESS", run
    assert len(events(stack, run_id, "STEP_UP_FOR_RETRY")) >= 2, "the outage was ridden through by one retry"
    assert stack.client("runs", "--tag", f"dagster/parent_run_id={run_id}") == [], "a new run was needed"

    materialized = [
        "/".join(e["dagster_event"]["event_specific_data"]["materialization"]["asset_key"]["path"])
        for e in events(stack, run_id, "ASSET_MATERIALIZATION")
    ]
    assert sorted(materialized) == sorted(INGEST_OBJECTS), materialized
    found = json.loads(
        stack.tool(
            "python", "-c", S3_AFTER_RUN, lake, stack.env["COMPUTE_LOGS_BUCKET"], run_id, *INGEST_OBJECTS.values()
        )
    )
    stored = found["objects"]
    # The code location's own source, with the stack's row count: the rows each object must hold once.
    shop = ShopSource(row_count=int(stack.env["ORDERS_ROW_COUNT"]))
    expected = {
        "raw_orders.parquet": shop.orders_api_feed(),
        "staged_orders.parquet": shop.orders(),
        "shop/customers.parquet": shop.customers(),
        "shop/orders.parquet": shop.orders(),
        "shop/order_items.parquet": shop.order_items(),
    }
    assert {key: stored[key]["rows"] for key in expected} == {key: len(frame) for key, frame in expected.items()}
    assert stored["staged_orders.parquet"]["order_ids"] == len(shop.orders()), stored
    # Compute logs are uploaded when the run's steps are done (after the outage): none were lost.
    assert found["logs"], f"no compute logs of {run_id} in S3"


def test_s3_outage_at_the_end_of_a_run_keeps_its_compute_logs(stack, wait_for):
    """S3 goes down while a canary run sleeps and comes back only after its step succeeded, so
    the run's compute-log upload (when its steps are done) meets the outage: the run container
    says the upload is waiting for S3, the run succeeds, and its stdout and stderr are in the
    compute-log bucket, with no failed log capture. (dagster-aws's own manager gave up at once
    and left no logs: tests/unit/test_compute_logs.py.)"""
    # Long enough to stop S3 (about a second) while the step still sleeps.
    run_id = stack.launch(CANARY, config=canary_config(10))
    wait_for(lambda: events(stack, run_id, "STEP_START"), RUN_WAIT, "the canary step to start", interval=1)
    with stack.stopped("minio", healthy_within=SERVICE_WAIT):
        wait_for(lambda: events(stack, run_id, "STEP_SUCCESS"), RUN_WAIT, "the canary step to end", interval=1)
        time.sleep(5)  # the upload runs into the outage and waits
        assert stack.client("run", run_id)["status"] not in TERMINAL, "the run ended while S3 was down"

    run = stack.wait_run(run_id, RUN_WAIT)
    assert run["status"] == "SUCCESS", run
    worker = stack.docker("logs", stack.tags_of(run)["docker/container_id"], check=False)
    assert "failed, S3 unreachable; trying again" in worker.stdout + worker.stderr, worker.stderr[-3000:]
    engine = [e["dagster_event"].get("message") or "" for e in events(stack, run_id, "ENGINE_EVENT")]
    assert "Exception while cleaning up compute log capture" not in engine, engine
    logs = stack.s3_texts(stack.env["COMPUTE_LOGS_BUCKET"], f"compute-logs/storage/{run_id}/")
    final = {key.rsplit(".", 1)[-1]: text for key, text in logs.items() if key.endswith((".out", ".err"))}
    assert set(final) == {"out", "err"}, sorted(logs)
    assert "canary: done" in final["out"], final["out"][-2000:]
