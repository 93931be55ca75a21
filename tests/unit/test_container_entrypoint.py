"""scripts/container-entrypoint.sh: prod refuses template or missing secrets, naming them;
other environments start as given."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ENTRYPOINT = Path(__file__).resolve().parents[2] / "scripts" / "container-entrypoint.sh"
GOOD = {"DAGSTER_POSTGRES_PASSWORD": "s3cr3t-from-vault-91", "AWS_SECRET_ACCESS_KEY": "generated-key-4f9a2c"}


@pytest.fixture(scope="module")
def entrypoint() -> str:
    """A copy of the entrypoint that `nobody` can read.

    The checkout itself may sit under a private (0700) directory, e.g. a home directory,
    where `nobody` cannot reach the script: copy it to a world-readable temp dir first.
    """
    with tempfile.TemporaryDirectory(prefix="entrypoint-") as folder:
        os.chmod(folder, 0o755)
        copy = Path(folder) / ENTRYPOINT.name
        shutil.copyfile(ENTRYPOINT, copy)
        copy.chmod(0o755)
        yield str(copy)


@pytest.fixture
def run_entrypoint(entrypoint):
    """Run the entrypoint with `echo started` as the command, as an unprivileged user (as
    root it would switch to the image's `dagster` user, which exists only in the image; that
    path is exercised by the daemon and webserver in the stack tier)."""

    def run(env: dict[str, str]) -> subprocess.CompletedProcess:
        cmd = ["bash", entrypoint, "echo", "started"]
        if os.geteuid() == 0:
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
        # cwd "/": the unprivileged user may not be allowed into the checkout either.
        return subprocess.run(cmd, env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True, cwd="/")

    return run


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"DAGSTER_POSTGRES_PASSWORD": "local-only-postgres-password"}, "DAGSTER_POSTGRES_PASSWORD still holds the local template default"),
        ({"AWS_SECRET_ACCESS_KEY": ""}, "AWS_SECRET_ACCESS_KEY is required in prod"),
        ({"DAGSTER_POSTGRES_PASSWORD": "short"}, "DAGSTER_POSTGRES_PASSWORD is shorter than 12 characters"),
    ],
    ids=["template-default", "missing", "too-short"],
)
def test_prod_refuses_unsafe_secrets(run_entrypoint, override, message):
    """Exit 64 with the variable named; the command never runs."""
    result = run_entrypoint({"PLATFORM_ENV": "prod", **GOOD, **override})
    assert result.returncode == 64, result
    assert message in result.stderr
    assert "started" not in result.stdout


@pytest.mark.parametrize("env", [{"PLATFORM_ENV": "prod", **GOOD}, {"PLATFORM_ENV": "local",
                                 "DAGSTER_POSTGRES_PASSWORD": "local-only-postgres-password"}])
def test_safe_settings_start_the_command(run_entrypoint, env):
    """Real secrets in prod, or template ones locally: the command runs."""
    result = run_entrypoint(env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"
