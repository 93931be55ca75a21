"""Diagnose a running platform: check each thing that usually goes wrong, say how to fix it.

    docker compose run --rm tools                   (the `tools` service runs this by default)
    docker compose run --rm tools python scripts/doctor.py --stuck-minutes 5

Checks, in order: the prod preflight (scripts/preflight.py, the rules the image's entrypoint
enforces), required environment variables (the run launcher's list in dagster.yaml),
Postgres storage (reachable, connection headroom), S3 (endpoint reachable, every bucket
present), the code location (loads in the webserver), daemon heartbeats, runs stuck in
STARTING or QUEUED, concurrency and monitoring settings, and leftover run containers.
Prints one line per check ([ OK ] / [WARN] / [FAIL]) with a fix, and exits 1 on any FAIL.
"""

import argparse
import datetime as dt
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

# Forwarded variables that may be empty: compose defaults them to empty (AWS_SESSION_TOKEN: static
# keys have no token) or libpq has its own default.
OPTIONAL_VARS = {
    "FAILURE_WEBHOOK_URL",
    "PGSSLMODE",
    "SNOWFLAKE_ROLE",
    "SNOWFLAKE_PRIVATE_KEY_PASSWORD",
    "AWS_SESSION_TOKEN",
}
# Needed only by the backend that uses them (WAREHOUSE_BACKEND=snowflake).
SNOWFLAKE_PREFIX = "SNOWFLAKE_"
BUCKET_VARS = ("LAKE_BUCKET", "LANDING_BUCKET", "COMPUTE_LOGS_BUCKET")
CONTAINER_WARN_THRESHOLD = 50


@dataclass
class Finding:
    """The outcome of one check."""

    level: str  # OK, WARN or FAIL
    check: str
    detail: str
    fix: str = ""


def instance_config() -> dict:
    """The instance's dagster.yaml as a dict."""
    home = Path(os.environ.get("DAGSTER_HOME", "/opt/dagster/dagster_home"))
    return yaml.safe_load((home / "dagster.yaml").read_text())


def check_preflight() -> list[Finding]:
    """The entrypoint's preflight rules (one implementation: scripts/preflight.py)."""
    import preflight

    problems = preflight.problems(os.environ)
    if problems:
        return [
            Finding("FAIL", "preflight", problem, "fix the env file; containers refuse to start like this")
            for problem in problems
        ]
    return [Finding("OK", "preflight", f"PLATFORM_ENV={os.environ['PLATFORM_ENV']}: no unsafe setting")]


def launcher_env_from_environment(config: dict) -> list[str]:
    """The variables dagster.yaml's run launcher copies from the launching process's environment
    into run containers. Entries written `NAME=value` give runs a fixed value instead and need
    nothing from the environment."""
    return [n for n in config["run_launcher"]["config"]["env_vars"] if "=" not in n]


def check_env(config: dict) -> list[Finding]:
    """Every variable the run launcher forwards must be set (the optional ones may be empty)."""
    names = launcher_env_from_environment(config)
    snowflake = os.environ.get("WAREHOUSE_BACKEND", "duckdb") == "snowflake"
    missing = [
        n
        for n in names
        if n not in OPTIONAL_VARS and not os.environ.get(n) and (snowflake or not n.startswith(SNOWFLAKE_PREFIX))
    ]
    if missing:
        return [
            Finding(
                "FAIL",
                "environment",
                f"unset or empty: {', '.join(missing)}",
                "set them in your env file (documented in .env.example) and recreate the services",
            )
        ]
    return [Finding("OK", "environment", f"all {len(names) - len(OPTIONAL_VARS)} required variables set")]


def check_postgres() -> tuple[list[Finding], object]:
    """Connect through the instance (the same path webserver, daemon and runs take)."""
    import dagster as dg

    try:
        instance = dg.DagsterInstance.get()
        instance.get_runs_count()
    except Exception as exc:  # noqa: BLE001 - any failure here is the diagnosis
        host = os.environ.get("DAGSTER_POSTGRES_HOST")
        return [
            Finding(
                "FAIL",
                "postgres",
                f"cannot use run storage at {host}: {str(exc).splitlines()[0]}",
                "check DAGSTER_POSTGRES_* and that the postgres service is healthy (docker compose ps)",
            )
        ], None
    findings = [Finding("OK", "postgres", f"run storage reachable ({instance.get_runs_count()} runs)")]
    try:
        with instance.run_storage.connect() as conn:  # type: ignore[attr-defined]
            from sqlalchemy import text

            used = conn.execute(text("select count(*) from pg_stat_activity")).scalar()
            limit = int(conn.execute(text("show max_connections")).scalar())
        level = "WARN" if used > 0.8 * limit else "OK"
        findings.append(
            Finding(
                level,
                "postgres connections",
                f"{used} of {limit} in use",
                "raise max_connections or lower concurrency.runs.max_concurrent_runs" if level == "WARN" else "",
            )
        )
    except Exception as exc:  # noqa: BLE001 - connection stats are informative only
        findings.append(Finding("WARN", "postgres connections", f"could not read: {exc}"))
    return findings, instance


def check_s3() -> list[Finding]:
    """The single S3 endpoint answers and every bucket exists."""
    from botocore.exceptions import BotoCoreError, ClientError

    from s3_tool import s3_client

    endpoint = os.environ.get("S3_ENDPOINT_URL")
    client = s3_client(max_attempts=1)
    findings = []
    for var in BUCKET_VARS:
        bucket = os.environ.get(var, "")
        try:
            client.head_bucket(Bucket=bucket)
            findings.append(Finding("OK", f"s3 bucket {var}", f"{bucket} present at {endpoint}"))
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            fix = (
                "run `docker compose up create-buckets` (or create it in your cloud account)"
                if code in ("404", "NoSuchBucket")
                else "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"
            )
            findings.append(Finding("FAIL", f"s3 bucket {var}", f"{bucket}: {code} at {endpoint}", fix))
        except (BotoCoreError, ValueError) as exc:
            findings.append(
                Finding(
                    "FAIL",
                    f"s3 bucket {var}",
                    f"endpoint {endpoint} unreachable: {exc}",
                    "check S3_ENDPOINT_URL and that the minio service is healthy",
                )
            )
    return findings


def check_webserver() -> list[Finding]:
    """The code location loads, and every daemon heartbeats (both as the webserver sees them)."""
    from platform_client import query

    gql = """{
      workspaceOrError { ... on Workspace { locationEntries { name
        locationOrLoadError { __typename ... on PythonError { message } } } } }
      instance { daemonHealth { allDaemonStatuses { daemonType required healthy } } }
    }"""
    try:
        data = query(gql, {})
    except Exception as exc:  # noqa: BLE001
        return [
            Finding(
                "FAIL",
                "webserver",
                f"GraphQL unreachable: {exc}",
                "check the webserver service (docker compose logs webserver)",
            )
        ]
    findings = []
    for entry in data["workspaceOrError"]["locationEntries"]:
        loaded = entry["locationOrLoadError"] or {}
        if loaded.get("__typename") == "RepositoryLocation":
            findings.append(Finding("OK", f"code location {entry['name']}", "loaded"))
        else:
            message = (loaded.get("message") or "not loaded").strip().splitlines()[-1]
            findings.append(
                Finding(
                    "FAIL",
                    f"code location {entry['name']}",
                    message,
                    "docker compose logs user-code; fix the error, then Reload in the UI",
                )
            )
    for status in data["instance"]["daemonHealth"]["allDaemonStatuses"]:
        if not status["required"]:
            continue
        ok = status["healthy"]
        findings.append(
            Finding(
                "OK" if ok else "FAIL",
                f"daemon {status['daemonType']}",
                "heartbeating" if ok else "no recent heartbeat",
                "" if ok else "docker compose logs daemon; docker compose restart daemon",
            )
        )
    return findings


def check_runs(instance, stuck_minutes: int) -> list[Finding]:
    """Runs sitting in STARTING or QUEUED for longer than `stuck_minutes`."""
    import dagster as dg

    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=stuck_minutes)
    findings = []
    fixes = {
        "STARTING": "run monitoring fails these after start_timeout_seconds; check the run "
        "container's `docker logs` (missing env var or image?)",
        "QUEUED": "the queue is full or a tag/pool limit blocks them: see the concurrency line below "
        "and Deployment > Concurrency in the UI",
    }
    for status in (dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.QUEUED):
        stuck = instance.get_runs(filters=dg.RunsFilter(statuses=[status], updated_before=cutoff), limit=50)
        if stuck:
            ids = ", ".join(r.run_id[:8] for r in stuck[:5])
            findings.append(
                Finding(
                    "WARN",
                    f"runs {status.value}",
                    f"{len(stuck)} for over {stuck_minutes} min ({ids})",
                    fixes[status.value],
                )
            )
        else:
            findings.append(Finding("OK", f"runs {status.value}", f"none older than {stuck_minutes} min"))
    return findings


def check_settings(config: dict) -> list[Finding]:
    """Concurrency limits and run monitoring as configured."""
    runs = config.get("concurrency", {}).get("runs", {})
    pools = config.get("concurrency", {}).get("pools", {})
    tags = ", ".join(
        f"{t['key']}{'=' + t['value'] if 'value' in t else ''}:{t['limit']}"
        for t in runs.get("tag_concurrency_limits", [])
    )
    findings = [
        Finding(
            "OK",
            "concurrency",
            f"max_concurrent_runs={runs.get('max_concurrent_runs', 'unlimited')}; "
            f"tag limits [{tags}]; pools default_limit={pools.get('default_limit', 'unlimited')} "
            f"granularity={pools.get('granularity', 'run')}",
        )
    ]
    monitoring = config.get("run_monitoring", {})
    if monitoring.get("enabled"):
        findings.append(
            Finding("OK", "run monitoring", f"on, start timeout {monitoring.get('start_timeout_seconds')} s")
        )
    else:
        findings.append(
            Finding(
                "FAIL",
                "run monitoring",
                "off: a dead run container leaves its run in STARTING forever",
                "set run_monitoring.enabled: true in dagster.yaml",
            )
        )
    return findings


def check_run_containers() -> list[Finding]:
    """Exited run containers pile up unless the housekeeping schedule removes them (through
    DOCKER_HOST: the tools service reaches the Docker API only through docker-proxy)."""
    try:
        import docker

        containers = docker.from_env().containers.list(all=True, filters={"label": "io.dagster-platform.role=run"})
    except Exception as exc:  # noqa: BLE001
        return [
            Finding(
                "WARN",
                "run containers",
                f"Docker API not reachable from here: {exc}",
                "run the doctor in the tools service (DOCKER_HOST=tcp://docker-proxy:2375), "
                "and check that docker-proxy is healthy",
            )
        ]
    exited = [c for c in containers if c.status == "exited"]
    level = "WARN" if len(exited) > CONTAINER_WARN_THRESHOLD else "OK"
    return [
        Finding(
            level,
            "run containers",
            f"{len(exited)} exited, {len(containers) - len(exited)} other",
            "turn on housekeeping_schedule (removes those older than RUN_CONTAINER_MAX_AGE_HOURS)"
            if level == "WARN"
            else "",
        )
    ]


def main(argv: list[str]) -> int:
    """Run every check, print the report, return 1 if any check failed."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stuck-minutes", type=int, default=10)
    args = parser.parse_args(argv)

    config = instance_config()
    findings = check_preflight()
    env = check_env(config)
    findings += env
    if env[0].level != "FAIL":
        postgres, instance = check_postgres()
        findings += postgres + check_s3() + check_webserver()
        if instance is not None:
            findings += check_runs(instance, args.stuck_minutes)
    findings += check_settings(config) + check_run_containers()

    for f in findings:
        print(f"[{f.level:^4}] {f.check}: {f.detail}")
        if f.fix:
            print(f"       fix: {f.fix}")
    failed = sum(f.level == "FAIL" for f in findings)
    warned = sum(f.level == "WARN" for f in findings)
    print(f"doctor: {len(findings)} checks, {failed} failed, {warned} warnings")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
