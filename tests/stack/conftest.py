"""Fixtures for the stack tier: a real `docker compose` platform, built and started once.

The stack is brought up from scratch (volumes removed) with `--wait`, shared by every stack
test, and torn down at the end. When a stack test fails, the logs of every service are
printed. Which env files drive compose is set by STACK_ENV_FILES (default: the local
template plus env/ci.env; .ci/run adds .ci/standins.env to use locally built images).

STACK_KEEP=1 leaves the stack running afterwards; STACK_REUSE=1 then reuses it as it is
(for iterating on a test; a rebuild of the image is up to you).

Without a Docker engine these tests are skipped with that reason, unless REQUIRE_STACK=1
(set by .ci/run), where a missing engine is a failure: CI must never pass silently.
"""

import base64
import contextlib
import json
import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import pytest
from gateway import EDITOR, Gateway

import platform_client
from platform_client import TERMINAL

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ENV_FILES = ".env.example env/ci.env"

# The landing sensor ticks every 30 s, then a run container starts.
SENSOR_WAIT = 420
# Postgres's first line at start after a clean shutdown; after a SIGKILL it says "database
# system was interrupted" and runs crash recovery.
POSTGRES_CLEAN_START = "database system was shut down at"
# The engine sends an event to its subscribers just after the call that caused it returns.
EVENT_DELIVERY_SECONDS = 2


def docker_engine_available() -> bool:
    """True when `docker info` reaches an engine."""
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=30, check=False).returncode == 0
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False


def read_env_files(paths: list[Path]) -> dict[str, str]:
    """Merge KEY=VALUE files the way compose does: later files win."""
    values: dict[str, str] = {}
    for path in paths:
        for raw in path.read_text().splitlines():
            line = raw.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip()
    return values


@dataclass(frozen=True)
class ContainerExit:
    """A container of the stack that ended, as the Docker engine reported it."""

    service: str
    name: str
    exit_code: int


@dataclass
class Stack:
    """A compose project under test, with helpers to run commands against it."""

    env_files: list[Path]
    env: dict[str, str]
    failed: list[str] = field(default_factory=list)

    def compose_cmd(self, *args: str) -> list[str]:
        """`docker compose --env-file ... <args>` for this stack."""
        cmd = ["docker", "compose"]
        for path in self.env_files:
            cmd += ["--env-file", str(path)]
        return [*cmd, *args]

    def compose(self, *args: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess:
        """Run a compose command in the project root and capture its output."""
        result = subprocess.run(
            self.compose_cmd(*args), cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"`{shlex.join(self.compose_cmd(*args))}` exited {result.returncode}\n"
                f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
            )
        return result

    def tool_result(
        self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 600
    ) -> subprocess.CompletedProcess:
        """Run a command in a one-off `tools` container on the compose network."""
        overrides = [f"--env={key}={value}" for key, value in (env or {}).items()]
        cmd = self.compose_cmd("run", "--rm", "--no-deps", "-T", *overrides, "tools", *args)
        return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, input=stdin, timeout=timeout, check=False)

    def tool(self, *args: str, stdin: str | None = None, timeout: float = 600) -> str:
        """Like `tool_result`, but fail unless the command exits 0; return its stdout."""
        result = self.tool_result(*args, stdin=stdin, timeout=timeout)
        if result.returncode != 0:
            raise AssertionError(
                f"tools `{shlex.join(args)}` exited {result.returncode}\n"
                f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
            )
        return result.stdout

    def client(self, *args: str, attempts: int = 3) -> object:
        """A scripts/platform_client.py command, run in this process through the gateway's
        editors' site, signed in as the local editor (the webserver publishes no port); returns
        its result. In-process because the tests poll through it
        hundreds of times: a tools container per call cost seconds of CPU each on a 2-core
        host, and competed with the runs under test. (test_platform_smoke runs the client in
        the tools container, as users do.) Every request is bounded by REQUEST_TIMEOUT.

        A failed GraphQL request is tried again (`attempts` in all, 10 s apart): while a
        faulted webserver or code server restarts, the gateway answers 502 and GraphQL
        answers errors, and a test polling through that must not die on it."""
        gateway = Gateway.from_env(self.env)
        address = gateway.signed_in(gateway.editor_url, EDITOR)
        for attempt in range(1, attempts + 1):
            try:
                return platform_client.run_command(["--webserver", address, *args])
            except Exception:
                if attempt == attempts:
                    raise
                time.sleep(10)
        raise ValueError(f"attempts must be at least 1, not {attempts}")

    def launch_and_wait(self, job: str, *, config: dict | None = None, timeout: float = 420) -> dict:
        """Launch `job` through GraphQL and wait for a terminal status; return the run."""
        launched = self.client("launch", job, "--config", json.dumps(config or {}))
        waited = self.client("wait", launched["run_id"], "--timeout", str(timeout))
        assert waited["terminal"], f"run {launched['run_id']} of {job} not finished after {timeout}s: {waited}"
        return self.client("run", launched["run_id"])

    def launch(self, job: str, *, config: dict | None = None, tags: dict[str, str] | None = None) -> str:
        """Launch `job` through GraphQL (queued by the daemon); return the run id."""
        tag_args = [arg for key, value in (tags or {}).items() for arg in ("--tag", f"{key}={value}")]
        return self.client("launch", job, "--config", json.dumps(config or {}), *tag_args)["run_id"]

    def wait_run(self, run_id: str, timeout: float) -> dict:
        """Wait (bounded) for a terminal status; return the run's details."""
        waited = self.client("wait", run_id, "--timeout", str(timeout))
        assert waited["terminal"], f"run {run_id} not finished after {timeout}s: {waited}"
        return self.client("run", run_id)

    @staticmethod
    def tags_of(run: dict) -> dict[str, str]:
        """A run's tags as a mapping."""
        return run_tags(run)

    def started_container(self, run_id: str, timeout: float = 300) -> str:
        """Wait until the run is STARTED in its container; return the container id."""

        def check():
            run = self.client("run", run_id)
            assert run["status"] in ("QUEUED", "NOT_STARTED", "STARTING", "STARTED"), run
            tags = run_tags(run)
            return tags.get("docker/container_id") if run["status"] == "STARTED" else None

        return poll_until(check, timeout, f"run {run_id} to start", interval=2)

    @contextlib.contextmanager
    def warehouse_lock(self, max_seconds: float = 600):
        """Hold the DuckDB warehouse file's write lock from a tools container (as a BI tool or a
        stuck writer would): every warehouse write fails while the block runs. Released at the
        end of the block (or after `max_seconds` at the latest, so it can never outlive a test)."""
        code = (
            "import duckdb, os, sys, threading\n"
            "c = duckdb.connect(os.environ['WAREHOUSE_DUCKDB_PATH'])\n"
            f"threading.Timer({max_seconds}, lambda: os._exit(0)).start()\n"
            "print('locked', flush=True)\n"
            "sys.stdin.read()\n"
            "os._exit(0)\n"
        )
        proc = subprocess.Popen(
            self.compose_cmd("run", "--rm", "--no-deps", "-T", "tools", "python", "-c", code),
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            line = proc.stdout.readline()  # bounded: the holder exits after max_seconds
            assert line.strip() == "locked", f"could not lock the warehouse: {line!r}"
            yield
        finally:
            proc.stdin.close()  # EOF: the holder exits and its container is removed
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()

    def warehouse_rows(self, source_file: str) -> int:
        """Rows of one landing file in the warehouse table landing.warehouse_landed_orders (read-only)."""
        return len(self.warehouse_table([source_file])[source_file])

    def warehouse_table(self, source_files: list[str]) -> dict[str, list[list[str]]]:
        """The rows of each landing file in landing.warehouse_landed_orders, as text, in file
        order of order_id (one tools container for all of them)."""
        code = (
            "import duckdb, json, os, sys\n"
            "c = duckdb.connect(os.environ['WAREHOUSE_DUCKDB_PATH'], read_only=True)\n"
            "q = \"SELECT order_id, customer_id, strftime(order_date, '%Y-%m-%d'), region, amount\"\n"
            'q += " FROM landing.warehouse_landed_orders WHERE source_file = ? ORDER BY order_id"\n'
            "print(json.dumps({f: [[str(v) for v in row] for row in c.execute(q, [f]).fetchall()] for f in sys.argv[1:]}))\n"
        )
        return json.loads(self.tool("python", "-c", code, *source_files).strip().splitlines()[-1])

    def s3_put_many(self, bucket: str, objects: dict[str, bytes]) -> None:
        """Write several objects (any bytes) in one tools container, in the given order."""
        code = (
            "import base64, json, sys\n"
            "from dagster_platform.s3_store import S3Store\n"
            "store = S3Store.from_environment()\n"
            "for key, body in json.loads(sys.stdin.read()).items():\n"
            "    store.put_bytes(sys.argv[1], key, base64.b64decode(body))\n"
        )
        payload = json.dumps({key: base64.b64encode(body).decode() for key, body in objects.items()})
        self.tool("python", "-c", code, bucket, stdin=payload)

    def drop_files(self, files: list[tuple[str, ...]]) -> None:
        """Upload landing files with the app's own drop tool, in one tools container:
        (kind, name, *options) tuples, kinds and options as in `python -m app.drop_landing_files --help`."""
        script = "import json, sys\nfrom app.drop_landing_files import main\nfor kind, name, *options in json.loads(sys.argv[1]):\n    main([kind, '--name', name, *options])\n"
        self.tool("python", "-c", script, json.dumps(files))

    def landing_runs(self, name: str) -> list[dict]:
        """landing_job runs for incoming/<name>, newest first."""
        return self.client("runs", "--job", "landing_job", "--tag", f"landing/s3_key=incoming/{name}")

    def s3_keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Keys in a bucket of the stack's S3 server."""
        out = self.tool("python", "scripts/s3_tool.py", "ls", bucket, prefix)
        return [json.loads(line)["key"] for line in out.splitlines() if line.strip()]

    def s3_texts(self, bucket: str, prefix: str = "", suffix: str = "") -> dict[str, str]:
        """Key -> text of every object under a prefix whose key ends with `suffix`, read in one
        tools container (each container costs seconds; `s3_keys` and `s3_cat` take one per call)."""
        code = (
            "import json, sys\n"
            "from dagster_platform.s3_store import S3Store\n"
            "client, bucket, prefix, suffix = S3Store.from_environment().client(), *sys.argv[1:4]\n"
            "pages = client.get_paginator('list_objects_v2').paginate(Bucket=bucket, Prefix=prefix)\n"
            "keys = [item['Key'] for page in pages for item in page.get('Contents', []) if item['Key'].endswith(suffix)]\n"
            "print(json.dumps({k: client.get_object(Bucket=bucket, Key=k)['Body'].read().decode(errors='replace') for k in keys}))\n"
        )
        return json.loads(self.tool("python", "-c", code, bucket, prefix, suffix).strip().splitlines()[-1])

    def s3_cat(self, bucket: str, key: str) -> str:
        """Read an object from the stack's S3 server."""
        return self.tool("python", "scripts/s3_tool.py", "cat", bucket, key)

    def psql(self, sql: str) -> str:
        """Run SQL in the stack's Postgres (run/event storage); return unaligned output."""
        return self.compose(
            "exec",
            "-T",
            "postgres",
            "psql",
            "-U",
            self.env["DAGSTER_POSTGRES_USER"],
            "-d",
            self.env["DAGSTER_POSTGRES_DB"],
            "-tAc",
            sql,
        ).stdout.strip()

    def up(self) -> float:
        """`up -d --wait`; return seconds until every service was healthy."""
        start = time.monotonic()
        try:
            self.compose("up", "-d", "--wait", timeout=900)
        except AssertionError:
            self.dump_logs()
            raise
        return time.monotonic() - start

    def down(self, *, volumes: bool) -> None:
        """Stop the stack; with `volumes`, also delete its data and the run containers.

        Run containers go first: while one exists (even exited) it holds the network and the
        warehouse volume, and `down -v` would leave both behind (as scripts/reset does it).
        """
        if volumes:
            # Services first, so the daemon cannot launch another run container meanwhile.
            self.compose("--profile", "*", "stop", check=False, timeout=600)
            self.remove_run_containers()
        self.compose(
            "--profile", "*", "down", "--remove-orphans", *(["-v"] if volumes else []), check=False, timeout=600
        )

    def run_containers(self) -> list[str]:
        """IDs of the run containers DockerRunLauncher started on this stack's network."""
        out = subprocess.run(
            [
                "docker",
                "ps",
                "-aq",
                "--filter",
                "label=io.dagster-platform.role=run",
                "--filter",
                f"network={self.env['DAGSTER_NETWORK']}",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        return out.split()

    def remove_run_containers(self) -> None:
        """Remove this stack's run containers (labelled, on its network)."""
        ids = self.run_containers()
        if ids:
            subprocess.run(["docker", "rm", "-f", *ids], capture_output=True, timeout=300, check=False)

    @contextlib.contextmanager
    def container_exits(self) -> Iterator[list[ContainerExit]]:
        """Record every container of this compose project that dies during the block, with its
        service and exit code, as the engine reports it (`die` events): also for containers
        that are removed before the block ends (`down`).

        Streamed while the block runs: the engine replays only its last 256 events, which the
        healthchecks' exec events of a few stacks fill within seconds."""
        project = self.env.get("COMPOSE_PROJECT_NAME", "dagster-platform")
        since = f"{time.time():.3f}"
        proc = subprocess.Popen(
            ["docker", "events", "--since", since, "--filter", "type=container", "--filter", "event=die",
             "--filter", f"label=com.docker.compose.project={project}", "--format", "{{json .}}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )  # fmt: skip
        exits: list[ContainerExit] = []

        def read() -> None:
            for line in proc.stdout or ():
                attributes = json.loads(line)["Actor"]["Attributes"]
                exits.append(
                    ContainerExit(
                        service=attributes.get("com.docker.compose.service", ""),
                        name=attributes.get("name", ""),
                        exit_code=int(attributes.get("exitCode", "-1")),
                    )
                )

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            yield exits
        finally:
            time.sleep(EVENT_DELIVERY_SECONDS)
            proc.terminate()
            proc.wait(timeout=30)
            reader.join(timeout=30)

    @staticmethod
    def docker(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        """The bounded `docker` CLI call of this module, for test modules."""
        return docker(*args, check=check, timeout=timeout)

    @staticmethod
    def inspect(cid: str) -> dict:
        """`docker inspect` of one container."""
        return json.loads(docker("inspect", cid).stdout)[0]

    def container_id(self, service: str) -> str:
        """The container of a running compose service."""
        cid = self.compose("ps", "-q", service, timeout=60).stdout.strip()
        assert cid, f"service {service} has no running container"
        return cid

    def signal(self, service: str, sig: signal.Signals) -> str:
        """Send `sig` to the service's main process from the host; return the container id.

        Not `docker kill --signal`: Docker records that as a manual stop, which changes the
        container's restart behaviour for the rest of the session. As root the host signals
        the pid directly; otherwise a throwaway container in the host's pid namespace does.
        """
        cid = self.container_id(service)
        pid = int(docker("inspect", "-f", "{{.State.Pid}}", cid).stdout.strip())
        assert pid > 0, f"{service} is not running"
        if os.geteuid() == 0:
            os.kill(pid, sig)
        else:
            image = docker("inspect", "-f", "{{.Config.Image}}", cid).stdout.strip()
            docker(
                "run",
                "--rm",
                "--pid=host",
                "--user",
                "0",
                "--entrypoint",
                "python3",
                image,
                "-c",
                f"import os; os.kill({pid}, {int(sig)})",
            )
        return cid

    def crash(self, service: str) -> str:
        """Kill the service's main process with SIGKILL from the host, as a crash (OOM, segfault)
        would. Unlike `docker kill` (a manual stop), this lets `restart: unless-stopped` restart
        it. Returns the killed container's id."""
        return self.signal(service, signal.SIGKILL)

    def health(self, service: str) -> str:
        """`healthy`, `starting`, `unhealthy`, or the container state when it has no healthcheck."""
        cid = self.compose("ps", "-aq", service, timeout=60).stdout.strip()
        if not cid:
            return "missing"
        fmt = "{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}"
        return docker("inspect", "-f", fmt, cid, check=False).stdout.strip()

    def wait_healthy(self, *services: str, timeout: float = 300) -> None:
        """Wait (bounded) until every service reports healthy."""
        poll_until(
            lambda: all(self.health(s) == "healthy" for s in services),
            timeout,
            f"{', '.join(services)} to be healthy",
            interval=3,
        )

    @contextlib.contextmanager
    def stopped(self, service: str, healthy_within: float = 300):
        """Stop `service` at once for the block (an outage); start it again afterwards, and wait
        (bounded) until it is healthy, even when the block fails."""
        self.compose("stop", "--timeout", "1", service, timeout=120)
        try:
            yield
        finally:
            self.compose("start", service, timeout=180)
            self.wait_healthy(service, timeout=healthy_within)

    def dump_logs(self) -> None:
        """Print the state and the recent logs of every service (and of run containers)."""
        print("\n===== docker compose ps =====")
        print(self.compose("ps", "-a", check=False, timeout=60).stdout)
        print("===== docker compose logs (last 200 lines per service) =====")
        print(self.compose("logs", "--no-color", "--tail", "200", check=False, timeout=120).stdout)
        for cid in self.run_containers():
            logs = docker("logs", "--tail", "100", cid, check=False)
            print(f"===== run container {cid} =====\n{logs.stdout}{logs.stderr}")


def run_tags(run: dict) -> dict[str, str]:
    """A run's tags as a mapping."""
    return {t["key"]: t["value"] for t in run["tags"]}


class RunSampler:
    """Samples, in a background thread, how many runs are active (as the run queue counts them) in
    Postgres: all of them, and those carrying a tag. Run limits are asserted from the peaks."""

    def __init__(self, stack: "Stack", tag_key: str, tag_value: str | None = None, interval: float = 1.0):
        self.stack, self.interval = stack, interval
        tag_match = f"t.key = '{tag_key}'" + (f" AND t.value = '{tag_value}'" if tag_value else "")
        self.sql = (
            "SELECT count(*) FILTER (WHERE r.status IN ('STARTING','STARTED','CANCELING')), "
            "count(*) FILTER (WHERE r.status IN ('STARTING','STARTED','CANCELING') AND t.run_id IS NOT NULL), "
            "count(*) FILTER (WHERE r.status = 'QUEUED' AND t.run_id IS NOT NULL) "
            f"FROM runs r LEFT JOIN run_tags t ON t.run_id = r.run_id AND {tag_match}"
        )
        self.samples: list[tuple[int, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                out = self.stack.psql(self.sql)
                self.samples.append(tuple(int(x) for x in out.split("|")))
            except (AssertionError, subprocess.TimeoutExpired, ValueError):
                pass  # a missed sample is fine; the peak comes from the others
            self._stop.wait(self.interval)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=120)

    @property
    def peak_running(self) -> int:
        """Most runs in progress at once."""
        return max((s[0] for s in self.samples), default=0)

    @property
    def peak_tagged(self) -> int:
        """Most tagged runs in progress at once."""
        return max((s[1] for s in self.samples), default=0)

    @property
    def tagged_held_back(self) -> bool:
        """True when, at some sample, tagged runs waited in the queue while others ran."""
        return any(s[2] > 0 and s[1] > 0 for s in self.samples)


def docker(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run a `docker` command with a timeout (a hung engine must not hang the suite)."""
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"`docker {shlex.join(args)}` exited {result.returncode}: {result.stderr[-2000:]}")
    return result


def poll_until(predicate, timeout: float, what: str, interval: float = 5):
    """Poll `predicate` until it returns something truthy; fail naming `what` on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


@pytest.fixture
def landing(stack, wait_for):
    """Helpers for one landing test: the bucket and waits on the landing run of a file."""

    class Landing:
        bucket = stack.env["LANDING_BUCKET"]
        sensor_wait = SENSOR_WAIT

        @staticmethod
        def finished_run(name: str, timeout: float = SENSOR_WAIT) -> dict:
            def check():
                done = [r for r in stack.landing_runs(name) if r["status"] in TERMINAL]
                return done[0] if done else None

            return stack.client("run", wait_for(check, timeout, f"a finished landing run of {name!r}")["runId"])

        @staticmethod
        def keys(prefix: str) -> set[str]:
            return set(stack.s3_keys(Landing.bucket, prefix))

    return Landing


@pytest.fixture
def wait_for():
    """`poll_until` for tests: wait (bounded) for something to happen on the stack."""
    return poll_until


@pytest.fixture
def run_sampler(stack):
    """`run_sampler(tag_key, tag_value=None)`: a RunSampler context manager on the stack."""
    return lambda tag_key, tag_value=None: RunSampler(stack, tag_key, tag_value)


def pytest_configure(config):
    """Register the `disruptive` marker (tests that stop or crash services)."""
    config.addinivalue_line("markers", "disruptive: stack tests that crash or stop services; run last")


def pytest_collection_modifyitems(items):
    """Run disruptive stack tests after all others, so a slow recovery cannot affect them."""
    items.sort(key=lambda item: item.get_closest_marker("disruptive") is not None)


def pytest_runtest_makereport(item, call):
    """Remember failing stack tests so the session fixture can print service logs."""
    if call.excinfo is not None and "stack" in item.keywords:
        item.session.stack_failures = [*getattr(item.session, "stack_failures", []), item.nodeid]


@pytest.fixture(scope="session")
def stack(request) -> Stack:
    """The running platform, started from scratch once per session."""
    if not docker_engine_available():
        if os.environ.get("REQUIRE_STACK") == "1":
            pytest.fail("REQUIRE_STACK=1 but no Docker engine answers `docker info`")
        pytest.skip(
            "no Docker engine answers `docker info`; the stack tier needs one (REQUIRE_STACK=1 makes this fail)"
        )
    env_files = [ROOT / p for p in os.environ.get("STACK_ENV_FILES", DEFAULT_ENV_FILES).split()]
    stack = Stack(env_files=env_files, env=read_env_files(env_files))
    if os.environ.get("STACK_REUSE") == "1" and stack.health("webserver") == "healthy":
        # Development only: iterate on tests against a stack left running by STACK_KEEP=1.
        yield stack
        return
    stack.down(volumes=True)
    build_start = time.monotonic()
    stack.compose("build", timeout=1800)
    print(f"\n[figure] image build: {time.monotonic() - build_start:.1f} s")
    seconds = stack.up()
    print(f"[figure] docker compose up --wait, from scratch to all healthy: {seconds:.1f} s")
    yield stack
    if getattr(request.session, "stack_failures", None):
        stack.dump_logs()
    if os.environ.get("STACK_KEEP") != "1":
        stack.down(volumes=True)
