"""Fixtures for the stack tier: a real `docker compose` platform, built and started once.

The stack is brought up from scratch (volumes removed) with `--wait`, shared by every stack
test, and torn down at the end. When a stack test fails, the logs of every service are
printed. Which env files drive compose is set by STACK_ENV_FILES (default: the local
template plus env/ci.env; .ci/run adds env/standins.env to use locally built images).

Without a Docker engine these tests are skipped with that reason, unless REQUIRE_STACK=1
(set by .ci/run), where a missing engine is a failure: CI must never pass silently.
"""

import json
import os
import shlex
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ENV_FILES = ".env.example env/ci.env"


def docker_engine_available() -> bool:
    """True when `docker info` reaches an engine."""
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False


def read_env_files(paths: list[Path]) -> dict[str, str]:
    """Merge KEY=VALUE files the way compose does: later files win."""
    values: dict[str, str] = {}
    for path in paths:
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip()
    return values


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
            self.compose_cmd(*args), cwd=ROOT, capture_output=True, text=True, timeout=timeout
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
        return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, input=stdin, timeout=timeout)

    def tool(self, *args: str, stdin: str | None = None, timeout: float = 600) -> str:
        """Like `tool_result`, but fail unless the command exits 0; return its stdout."""
        result = self.tool_result(*args, stdin=stdin, timeout=timeout)
        if result.returncode != 0:
            raise AssertionError(
                f"tools `{shlex.join(args)}` exited {result.returncode}\n"
                f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
            )
        return result.stdout

    def client(self, *args: str, timeout: float = 600) -> object:
        """scripts/platform_client.py in the tools container; returns its parsed JSON."""
        out = self.tool("python", "scripts/platform_client.py", *args, timeout=timeout)
        return json.loads(out.strip().splitlines()[-1])

    def launch_and_wait(self, job: str, *, config: dict | None = None, timeout: float = 420) -> dict:
        """Launch `job` through GraphQL and wait for a terminal status; return the run."""
        launched = self.client("launch", job, "--config", json.dumps(config or {}))
        waited = self.client("wait", launched["run_id"], "--timeout", str(timeout), timeout=timeout + 120)
        assert waited["terminal"], f"run {launched['run_id']} of {job} not finished after {timeout}s: {waited}"
        return self.client("run", launched["run_id"])

    def s3_keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Keys in a bucket of the stack's S3 server."""
        out = self.tool("python", "scripts/s3_tool.py", "ls", bucket, prefix)
        return [json.loads(line)["key"] for line in out.splitlines() if line.strip()]

    def s3_put(self, bucket: str, key: str, body: str) -> None:
        """Write an object to the stack's S3 server."""
        self.tool("python", "scripts/s3_tool.py", "put", bucket, key, stdin=body)

    def s3_cat(self, bucket: str, key: str) -> str:
        """Read an object from the stack's S3 server."""
        return self.tool("python", "scripts/s3_tool.py", "cat", bucket, key)

    def psql(self, sql: str) -> str:
        """Run SQL in the stack's Postgres (run/event storage); return unaligned output."""
        return self.compose(
            "exec", "-T", "postgres", "psql", "-U", self.env["DAGSTER_POSTGRES_USER"],
            "-d", self.env["DAGSTER_POSTGRES_DB"], "-tAc", sql,
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
        """Stop the stack; with `volumes`, also delete its data and the run containers."""
        self.compose("--profile", "*", "down", "--remove-orphans", *(["-v"] if volumes else []), check=False)
        if volumes:
            self.remove_run_containers()

    def run_containers(self) -> list[str]:
        """IDs of the run containers DockerRunLauncher started on this stack's network."""
        out = subprocess.run(
            ["docker", "ps", "-aq", "--filter", "label=io.dagster-platform.role=run",
             "--filter", f"network={self.env['DAGSTER_NETWORK']}"],
            capture_output=True, text=True, check=True,
        ).stdout
        return out.split()

    def remove_run_containers(self) -> None:
        """Remove this stack's run containers (labelled, on its network)."""
        ids = self.run_containers()
        if ids:
            subprocess.run(["docker", "rm", "-f", *ids], capture_output=True)

    def dump_logs(self) -> None:
        """Print the state and the recent logs of every service (and of run containers)."""
        print("\n===== docker compose ps =====")
        print(self.compose("ps", "-a", check=False).stdout)
        print("===== docker compose logs (last 200 lines per service) =====")
        print(self.compose("logs", "--no-color", "--tail", "200", check=False).stdout)
        for cid in self.run_containers():
            logs = subprocess.run(["docker", "logs", "--tail", "100", cid], capture_output=True, text=True)
            print(f"===== run container {cid} =====\n{logs.stdout}{logs.stderr}")


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
def wait_for():
    """`poll_until` for tests: wait (bounded) for something to happen on the stack."""
    return poll_until


def pytest_runtest_makereport(item, call):
    """Remember failing stack tests so the session fixture can print service logs."""
    if call.excinfo is not None and "stack" in item.keywords:
        item.session.stack_failures = getattr(item.session, "stack_failures", []) + [item.nodeid]


@pytest.fixture(scope="session")
def stack(request) -> Stack:
    """The running platform, started from scratch once per session."""
    if not docker_engine_available():
        if os.environ.get("REQUIRE_STACK") == "1":
            pytest.fail("REQUIRE_STACK=1 but no Docker engine answers `docker info`")
        pytest.skip("no Docker engine answers `docker info`; the stack tier needs one (REQUIRE_STACK=1 makes this fail)")
    env_files = [ROOT / p for p in os.environ.get("STACK_ENV_FILES", DEFAULT_ENV_FILES).split()]
    stack = Stack(env_files=env_files, env=read_env_files(env_files))
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
