"""Upgrading Dagster (docs/upgrading.md): an instance written by the previous minor release is
migrated by the `migrate` step before the platform starts, after a backup, with its history
intact; a database a later release wrote is refused untouched; the backup restores it.

Its own compose project and volumes (an old schema cannot share the session stack's
database), with only what the instance needs: Postgres, `migrate`, the read-only webserver.
The previous release's image is built from PyPI once and kept (its tag carries a hash of its
Dockerfile). 1.12.22 and 1.13.27 share one schema head, so after recording its history the old
release also steps its schema back to the revision before `using_default_limit` (the column
pools need): the state a release older than 1.12 leaves, which makes a migration really run.
"""

import hashlib
import json
import os
import re
import subprocess

import pytest
import yaml
from conftest import ROOT, Stack, docker, read_env_files

pytestmark = pytest.mark.stack

PREVIOUS = ROOT / "tests/support/previous_dagster"
HISTORY_SCRIPT = (ROOT / "tests/support/upgrade_history.py").read_text()
# The last schema revision without concurrency_limits.using_default_limit (migration 048).
OLD_REVISION = "6b7fb194ff9c"
# A revision no release has: what a later Dagster's migration leaves for this image.
FUTURE_REVISION = "ffffffffffff"
POSTGRES_VARS = (
    "DAGSTER_POSTGRES_HOST",
    "DAGSTER_POSTGRES_PORT",
    "DAGSTER_POSTGRES_USER",
    "DAGSTER_POSTGRES_PASSWORD",
    "DAGSTER_POSTGRES_DB",
)


def previous_image(stack: Stack) -> str:
    """The previous minor's image, built unless one of this Dockerfile's content is present."""
    base = stack.env.get("PYTHON_BASE_IMAGE", "python:3.13.9-slim-trixie")
    digest = hashlib.sha256((PREVIOUS / "Dockerfile").read_bytes() + base.encode()).hexdigest()[:12]
    tag = f"dagster-platform-test/previous-dagster:{digest}"
    if docker("image", "inspect", tag, check=False).returncode != 0:
        ca = os.environ.get("EXTRA_CA_BUNDLE", str(ROOT / "certs/empty.pem"))
        subprocess.run(
            ["docker", "build", "-q", "--secret", f"id=extra_ca,src={ca}", "--build-arg",
             f"PYTHON_BASE_IMAGE={base}", "-t", tag, str(PREVIOUS)],
            env={**os.environ, "DOCKER_BUILDKIT": "1"}, check=True, capture_output=True, timeout=900,
        )  # fmt: skip
    return tag


def instance_config(*keys: str) -> dict:
    """These blocks of the platform's dagster.yaml: the instance both releases open. The
    platform's storage class (dagster_platform.postgres_storage, a webserver-only pool tweak) is not in the
    previous release's image; it opens the same tables as `storage.postgres`, so both
    releases are given that."""
    config = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    blocks = {key: config[key] for key in keys}
    if "custom" in blocks.get("storage", {}):
        blocks["storage"] = {"postgres": blocks["storage"]["custom"]["config"]}
    return blocks


def last_json(output: str) -> dict:
    """The JSON line a history script printed last (Dagster logs go to stderr)."""
    return json.loads(output.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def old_instance(stack: Stack, tmp_path_factory):
    """A project of its own whose Postgres holds history written by the previous minor."""
    project = f"{stack.env['COMPOSE_PROJECT_NAME']}-upgrade"
    env_file = tmp_path_factory.mktemp("upgrade") / "upgrade.env"
    env_file.write_text(
        f"COMPOSE_PROJECT_NAME={project}\n"
        f"DAGSTER_NETWORK={stack.env['DAGSTER_NETWORK']}_upgrade\n"
        f"DAGSTER_WAREHOUSE_VOLUME={stack.env['DAGSTER_WAREHOUSE_VOLUME']}_upgrade\n"
    )
    files = [*stack.env_files, env_file]
    upgrade = Stack(env_files=files, env=read_env_files(files))
    upgrade.down(volumes=True)
    try:
        image = previous_image(stack)
        upgrade.compose("up", "-d", "--wait", "postgres")
        settings = {"instance": instance_config("storage", "telemetry"), "schema_revision": OLD_REVISION}
        recorded = subprocess.run(
            ["docker", "run", "--rm", "-i", "--network", upgrade.env["DAGSTER_NETWORK"],
             *[arg for var in POSTGRES_VARS for arg in ("-e", var)], image,
             "python", "-", "record", json.dumps(settings)],
            input=HISTORY_SCRIPT, env={**os.environ, **{var: upgrade.env[var] for var in POSTGRES_VARS}},
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert recorded.returncode == 0, recorded.stderr[-3000:]
        yield upgrade, last_json(recorded.stdout)
    finally:
        upgrade.down(volumes=True)


def migrate_logs(upgrade: Stack) -> str:
    """Everything the `migrate` step printed, across its runs."""
    return upgrade.compose("logs", "--no-color", "--no-log-prefix", "migrate").stdout


def has_pool_default_column(upgrade: Stack) -> bool:
    """Whether concurrency_limits has the column the pools of this Dagster need."""
    return (
        upgrade.psql(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_name = 'concurrency_limits' AND column_name = 'using_default_limit'"
        )
        == "1"
    )


def backups(upgrade: Stack) -> list[str]:
    """Names of the backups in the `backups` volume."""
    out = upgrade.tool("python", "scripts/migrate.py", "list")
    return [line.split("\t")[0] for line in out.splitlines() if line.strip()]


def test_the_platform_migrates_an_old_instance_before_it_starts_and_keeps_its_history(old_instance):
    """Starting the read-only webserver runs `migrate` first: a backup of the old schema, then
    the schema at this image's head; runs, materializations, check results, the sensor
    cursor and the pool's slots read back through the current Dagster, and new ones work."""
    upgrade, recorded = old_instance
    assert recorded["version"] == "1.12.22"
    assert upgrade.psql("SELECT version_num FROM alembic_version") == OLD_REVISION

    upgrade.compose("up", "-d", "--wait", "webserver-readonly")

    logs = migrate_logs(upgrade)
    assert f"schema at revision {OLD_REVISION}" in logs, logs
    assert upgrade.env["DAGSTER_POSTGRES_PASSWORD"] not in logs
    heads = re.findall(r"done: schema at (\w+)", logs)
    assert heads and upgrade.psql("SELECT version_num FROM alembic_version") == heads[-1] != OLD_REVISION
    assert has_pool_default_column(upgrade)
    [backup] = backups(upgrade)
    assert backup.startswith(f"dagster-{OLD_REVISION}-")
    listing = upgrade.tool("pg_restore", "--list", f"/var/lib/dagster/backups/{backup}")
    assert "TABLE DATA public runs" in listing and "TABLE DATA public event_logs" in listing

    settings = {"instance": instance_config("storage", "concurrency", "telemetry"), "recorded": recorded}
    found = last_json(upgrade.tool("python", "-", "verify", json.dumps(settings), stdin=HISTORY_SCRIPT))
    old_runs = sorted(recorded["run_ids"])
    assert found["version"] != recorded["version"]
    assert found["run_status"] == dict.fromkeys(recorded["run_ids"], "SUCCESS")
    assert found["run_tags"] == dict.fromkeys(recorded["run_ids"], recorded["version"])
    assert found["materialized_by"] == old_runs
    assert found["check_runs"] == old_runs
    assert found["cursors"] == [recorded["cursor"]]
    assert found["pool_slots"] == 3
    assert found["pool_claims"] == [[recorded["run_ids"][0], "held_step"]]
    new_run = found["new_run"]
    assert found["new_run_status"] == "SUCCESS" and found["new_run_materialized"] == new_run
    assert found["check_runs_after"] == sorted([*old_runs, new_run])
    assert found["new_claim"] == "CLAIMED"
    assert found["pool_claims_after"] == sorted([[recorded["run_ids"][0], "held_step"], [new_run, "new_step"]])

    # Nothing left to migrate: the step runs again, fast, without another backup.
    again = upgrade.compose("run", "--rm", "--no-deps", "migrate")
    assert "no schema migration due" in again.stdout, again.stdout
    assert backups(upgrade) == [backup]


def schema_state(upgrade: Stack) -> str:
    """The schema revision, every column, and the row counts of runs and events."""
    return upgrade.psql(
        "SELECT (SELECT version_num FROM alembic_version) || ' ' || "
        "(SELECT md5(string_agg(table_name || '.' || column_name || ':' || data_type, ',' "
        "ORDER BY table_name, column_name)) FROM information_schema.columns WHERE table_schema = 'public') || ' ' || "
        "(SELECT count(*) FROM runs) || ' ' || (SELECT count(*) FROM event_logs)"
    )


def test_a_database_ahead_of_the_image_is_refused_unchanged_and_the_backup_restores(old_instance):
    """A schema revision this image does not know (a later release migrated it; a rollback
    without a restore): `migrate` fails with a message saying so, the platform does not start,
    nothing is written. Then the documented rollback: restoring the pre-upgrade backup."""
    upgrade, recorded = old_instance
    upgrade.compose("stop", "webserver-readonly")
    upgrade.psql(f"UPDATE alembic_version SET version_num = '{FUTURE_REVISION}'")
    before, kept = schema_state(upgrade), backups(upgrade)

    started = upgrade.compose("up", "-d", "webserver-readonly", check=False)
    assert started.returncode != 0, started.stdout
    webserver = upgrade.compose("ps", "-aq", "webserver-readonly").stdout.strip()
    assert docker("inspect", "-f", "{{.State.Running}}", webserver).stdout.strip() == "false"
    migrate = upgrade.compose("ps", "-aq", "migrate").stdout.strip()
    assert docker("inspect", "-f", "{{.State.ExitCode}}", migrate).stdout.strip() == "3"
    refusal = migrate_logs(upgrade).split("done: schema at")[-1]
    assert f"REFUSED: the database schema is at revision {FUTURE_REVISION}" in refusal, refusal
    assert "Nothing was changed" in refusal
    assert schema_state(upgrade) == before
    assert backups(upgrade) == kept

    [backup] = kept
    upgrade.tool("python", "scripts/migrate.py", "restore", backup)
    assert upgrade.psql("SELECT version_num FROM alembic_version") == OLD_REVISION
    assert upgrade.psql("SELECT run_id FROM runs ORDER BY run_id").split() == sorted(recorded["run_ids"])
    assert not has_pool_default_column(upgrade)
