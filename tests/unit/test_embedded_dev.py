"""The embedded default: `scripts/dev` serves the code location with zero services.

Starts the real `dagster dev` (webserver + daemon, SQLite instance, DuckDB IO manager) from
`scripts/dev` with a throwaway DAGSTER_HOME, even though the project root holds the
platform's dagster.yaml and a compose `.env` may exist, then launches `ingest_orders_job`
through GraphQL and waits for SUCCESS. No Docker, Postgres or S3 is involved.
"""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """An unused loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory, clean_environ):
    """`scripts/dev` running on a free port; yields the port; stops the whole process group."""
    port = free_port()
    home = tmp_path_factory.mktemp("dagster_home")
    log = (home / "dev.log").open("w")
    env = {
        **clean_environ,
        "DAGSTER_DEV_PORT": str(port),
        "DEV_DAGSTER_HOME": str(home),
        # Never the checkout's .dagster/ and data/: a developer's dev state (or running scripts/dev).
        "DEV_WORKDIR": str(tmp_path_factory.mktemp("dev_workdir")),
        "PLATFORM_DEV_DATA_DIR": str(tmp_path_factory.mktemp("dev_data")),
        # What a user with a compose .env in their shell would have: must not leak in.
        "PLATFORM_ENV": "local",
        "S3_ENDPOINT_URL": "http://127.0.0.1:1",
    }
    proc = subprocess.Popen(
        [str(ROOT / "scripts/dev")], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"scripts/dev did not serve: {(home / 'dev.log').read_text()[-3000:]}")
                time.sleep(1)
        yield port
    finally:
        stop_process_group(proc)
        log.close()


def stop_process_group(proc: subprocess.Popen) -> None:
    """SIGINT (dagster dev's clean shutdown) to the whole group, SIGKILL if it lingers."""
    for sig, wait in ((signal.SIGINT, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return  # already gone
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def test_dev_mode_runs_a_job_with_zero_services(dev_server, monkeypatch):
    """A job launched through the dev UI's GraphQL succeeds on DuckDB and local files."""
    monkeypatch.setenv("DAGSTER_WEBSERVER_HOST", "127.0.0.1")
    monkeypatch.setenv("DAGSTER_WEBSERVER_INTERNAL_PORT", str(dev_server))
    import platform_client

    run_id = platform_client.client().submit_job_execution("ingest_orders_job", repository_location_name="app")
    status = platform_client.wait_for_run(run_id, timeout=240)
    assert status == "SUCCESS", status
    run = platform_client.query(platform_client.RUN_QUERY, {"runId": run_id})["runOrError"]
    assert run["assetMaterializations"], run
