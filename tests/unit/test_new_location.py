"""scripts/new_location.py: a scaffolded team location is complete, consistent and loads.

Scaffolds into a copy of the checkout, then runs the copy's own consistency tests (the parity
of compose, Helm and Dagster+, process bounds, probe timing, pinned images, the Docker API
policy's settings) and the new location's generated test there. The stack tier builds and runs
one (tests/stack/test_code_locations.py).
"""

import os
import subprocess
import sys
import tomllib

import pytest
import yaml
from checkout import copy_checkout

import new_location

NAME = "marketing"
# The copy's tests that must still pass with a third location in every file.
CONSISTENCY_TESTS = [
    "tests/unit/test_deploy_parity.py",
    "tests/unit/test_process_bounds.py",
    "tests/unit/test_probe_timing.py",
    "tests/unit/test_platform_config.py",
    "tests/unit/test_docker_policy.py::test_compose_settings_admit_the_launchers_body",
    "tests/unit/test_docker_policy.py::test_every_code_locations_image_is_admitted",
    f"tests/unit/test_location_{NAME}.py",
]


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory):
    """A copy of the checkout with the location `marketing` added (uv.lock updated)."""
    root = copy_checkout(tmp_path_factory.mktemp("checkout"))
    # `uv lock` resolves the new extra as a user's run does: from uv's cache, or from the
    # package index for metadata a fresh machine's cache lacks.
    new_location.scaffold(NAME, root)
    return root


def test_the_location_is_entered_everywhere(scaffolded):
    """Compose service from the anchor, workspace, Helm, Dagster+, lock, env files, policy."""
    compose = yaml.safe_load((scaffolded / "docker-compose.yml").read_text())["services"]
    service = compose[f"{NAME}-code"]
    assert service["command"][-1] == f"{NAME}.definitions"
    assert service["build"]["args"]["CODE_LOCATION_PACKAGE"] == NAME
    assert service["healthcheck"] == compose["user-code"]["healthcheck"]  # from the anchor
    assert service["environment"]["DAGSTER_CURRENT_IMAGE"] == service["image"]
    assert "volumes" not in service  # no warehouse: that is app's
    workspace = yaml.safe_load((scaffolded / "workspace.yaml").read_text())["load_from"]
    assert workspace[-1]["grpc_server"] == {"host": f"{NAME}-code", "port": 4000, "location_name": NAME}
    lock = tomllib.loads((scaffolded / "uv.lock").read_text())
    project = next(p for p in lock["package"] if p["name"] == "dagster-platform")
    assert NAME in project["metadata"]["provides-extras"]
    assert f"DAGSTER_{NAME.upper()}_IMAGE=" in (scaffolded / ".env.example").read_text()


def test_the_copy_passes_its_own_consistency_tests(scaffolded):
    """With the new location, the scaffolded checkout's parity and bounds tests pass."""
    env = {**os.environ, "PYTHONPATH": str(scaffolded)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(scaffolded),
            *CONSISTENCY_TESTS,
        ],
        cwd=scaffolded,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("Marketing", "lowercase Python identifier"),
        ("marketing-team", "lowercase Python identifier"),
        ("x", "lowercase Python identifier"),
        ("class", "lowercase Python identifier"),
        ("app", "shadow"),
        ("platform", "shadow"),  # the standard library's `platform`
        ("json", "shadow"),
        ("dagster_x", "shadow"),
        ("tests_x", "shadow"),
        ("marketing\n", "lowercase Python identifier"),
        ("\uff4darketing", "lowercase Python identifier"),  # fullwidth m: NFKC would fold it to ASCII
    ],
)
def test_refused_names_change_nothing(tmp_path, name, why):
    """A refused name is named in the error, and no file of the checkout changed."""
    root = copy_checkout(tmp_path)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    with pytest.raises(new_location.ScaffoldError, match=why):
        new_location.scaffold(name, root, lock=False)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_a_taken_name_is_refused(scaffolded):
    """Scaffolding the same location twice is refused before anything is written."""
    with pytest.raises(new_location.ScaffoldError, match="already exists"):
        new_location.scaffold(NAME, scaffolded, lock=False)
