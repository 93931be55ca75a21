"""compose/dev.yml: code edits reach the code server and run containers after a "Reload",
with no image rebuild."""

from pathlib import Path

import pytest

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[2]
PROBE = ROOT / "app" / "defs" / "orders" / "zz_reload_probe.py"
PROBE_CODE = '''"""Temporary asset written by tests/stack/test_dev_override.py."""

import dagster as dg


@dg.asset(group_name="orders", owners=["team:data-engineering"], kinds={"python"})
def reload_probe() -> None:
    """Exists only while the dev-override test runs."""
    print("reload probe ran")


reload_probe_job = dg.define_asset_job("reload_probe_job", selection=[reload_probe])
'''
DEV_FILES = ("-f", "docker-compose.yml", "-f", "compose/dev.yml")


def test_edit_reload_and_run_without_rebuild(stack):
    """Recreate user-code with the dev override, add an asset file, reload: the asset is
    listed, and a job defined in the new file runs successfully in its own container."""
    try:
        # The launcher's proxy too: dev lets it pass the run containers' bind mount of app/.
        stack.compose(*DEV_FILES, "up", "-d", "--wait", "--no-deps", "user-code", "docker-proxy")
        PROBE.write_text(PROBE_CODE)
        reloaded = stack.client("reload", "app")
        assert reloaded["status"] == "SUCCESS", reloaded
        assert "reload_probe" in stack.client("asset-keys")
        run = stack.launch_and_wait("reload_probe_job")
        assert run["status"] == "SUCCESS", run
    finally:
        PROBE.unlink(missing_ok=True)
        stack.compose("up", "-d", "--wait", "--no-deps", "user-code", "docker-proxy")
        stack.client("reload", "app")
    assert "reload_probe" not in stack.client("asset-keys")
