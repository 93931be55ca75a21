"""scripts/container-entrypoint.sh: prod refuses template or missing secrets, naming them;
other environments start as given."""

import os
import subprocess
from pathlib import Path

import pytest

ENTRYPOINT = Path(__file__).resolve().parents[2] / "scripts" / "container-entrypoint.sh"
GOOD = {"DAGSTER_POSTGRES_PASSWORD": "s3cr3t-from-vault-91", "AWS_SECRET_ACCESS_KEY": "generated-key-4f9a2c"}


def run_entrypoint(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the entrypoint with `echo started` as the command, as an unprivileged user (as
    root it would switch to the image's `dagster` user, which exists only in the image; that
    path is exercised by the daemon and webserver in the stack tier)."""
    cmd = ["bash", str(ENTRYPOINT), "echo", "started"]
    if os.geteuid() == 0:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    return subprocess.run(cmd, env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"DAGSTER_POSTGRES_PASSWORD": "local-only-postgres-password"}, "DAGSTER_POSTGRES_PASSWORD still holds the local template default"),
        ({"AWS_SECRET_ACCESS_KEY": ""}, "AWS_SECRET_ACCESS_KEY is required in prod"),
        ({"DAGSTER_POSTGRES_PASSWORD": "short"}, "DAGSTER_POSTGRES_PASSWORD is shorter than 12 characters"),
    ],
    ids=["template-default", "missing", "too-short"],
)
def test_prod_refuses_unsafe_secrets(override, message):
    """Exit 64 with the variable named; the command never runs."""
    result = run_entrypoint({"PLATFORM_ENV": "prod", **GOOD, **override})
    assert result.returncode == 64, result
    assert message in result.stderr
    assert "started" not in result.stdout


@pytest.mark.parametrize("env", [{"PLATFORM_ENV": "prod", **GOOD}, {"PLATFORM_ENV": "local",
                                 "DAGSTER_POSTGRES_PASSWORD": "local-only-postgres-password"}])
def test_safe_settings_start_the_command(env):
    """Real secrets in prod, or template ones locally: the command runs."""
    result = run_entrypoint(env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"
