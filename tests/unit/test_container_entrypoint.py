"""scripts/container-entrypoint.sh: it runs the preflight (scripts/preflight.py, whose rules
tests/unit/test_preflight.py covers one by one) before the command; a refusal names the
variable and the command never runs."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
ENTRYPOINT = SCRIPTS / "container-entrypoint.sh"
GOOD = {
    "DAGSTER_POSTGRES_HOST": "db.example.com",
    "PGSSLMODE": "verify-full",
    "DAGSTER_POSTGRES_PASSWORD": "s3cr3t-from-vault-91",
    "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE01",
    "AWS_SECRET_ACCESS_KEY": "generated-key-4f9a2c",
}


@pytest.fixture(scope="module")
def entrypoint() -> str:
    """A copy of the entrypoint, with the preflight beside it, that `nobody` can read.

    The checkout itself may sit under a private (0700) directory, e.g. a home directory,
    where `nobody` cannot reach the script: copy both to a world-readable temp dir first.
    """
    with tempfile.TemporaryDirectory(prefix="entrypoint-") as folder:
        os.chmod(folder, 0o755)
        for name in (ENTRYPOINT.name, "preflight.py"):
            copy = Path(folder) / name
            shutil.copyfile(SCRIPTS / name, copy)
            copy.chmod(0o755)
        yield str(Path(folder) / ENTRYPOINT.name)


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
        # The interpreter running the tests: the entrypoint calls `python3` from PATH.
        path = f"{Path(sys.executable).parent}:/usr/bin:/bin"
        return subprocess.run(
            cmd, env={"PATH": path, **env}, capture_output=True, text=True, cwd="/", check=False, timeout=120
        )

    return run


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            {"DAGSTER_POSTGRES_PASSWORD": "local-only-postgres-password"},
            "DAGSTER_POSTGRES_PASSWORD still holds the local template default",
        ),
        ({"AWS_SECRET_ACCESS_KEY": ""}, "AWS_SECRET_ACCESS_KEY is missing while the other half"),
        ({"DAGSTER_POSTGRES_PASSWORD": "short"}, "DAGSTER_POSTGRES_PASSWORD is shorter than 12 characters"),
        ({"PLATFORM_ENV": ""}, "PLATFORM_ENV='' must be set explicitly"),
    ],
    ids=["template-default", "half-key-pair", "too-short", "no-platform-env"],
)
def test_unsafe_settings_stop_the_container(run_entrypoint, override, message):
    """Exit 64 with the variable named; the command never runs."""
    env = {name: value for name, value in {"PLATFORM_ENV": "prod", **GOOD, **override}.items() if value}
    result = run_entrypoint(env)
    assert result.returncode == 64, result
    assert message in result.stderr
    assert "started" not in result.stdout


@pytest.mark.parametrize(
    "env",
    [
        {"PLATFORM_ENV": "prod", **GOOD},
        {"PLATFORM_ENV": "local", "DAGSTER_POSTGRES_PASSWORD": "local-only-postgres-password"},
    ],
)
def test_safe_settings_start_the_command(run_entrypoint, env):
    """Real secrets in prod, or template ones locally: the command runs."""
    result = run_entrypoint(env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"
