"""CI's stand-in images (.ci/standins/) declare the upstream images' users, and are rebuilt on edits.

The upstream facts, read from the upstream Dockerfiles and entrypoints: `python:3.13-slim-trixie`,
`quay.io/minio/minio` and `caddy:2.11` set no USER (root); `postgres:17-trixie` starts as root
and its entrypoint drops to `postgres`, which it creates first with uid and gid 999. A stand-in
that runs as another user would let a compose setting pass CI that fails on the real image.
The build script checks the built images the same way (`expect_user`); this test keeps its
table and the Dockerfiles in line with the facts before anything is built.
"""

import re
from pathlib import Path

import pytest

CI = Path(__file__).resolve().parents[2] / ".ci"
BUILD_SCRIPT = (CI / "build-standin-images.sh").read_text()

# stand-in -> (uid:gid of the image's default user, {service account: uid:gid})
UPSTREAM_USERS = {
    "python": ("0:0", {}),
    "postgres": ("0:0", {"postgres": "999:999"}),
    "s3": ("0:0", {}),
    "caddy": ("0:0", {}),
}


def _final_stage(name: str) -> str:
    """The instructions of the stage the image is made of (after the last FROM)."""
    text = (CI / "standins" / name / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)  # join continuation lines
    return re.split(r"(?m)^FROM\s", text)[-1]


def test_every_standin_is_covered():
    """A new stand-in must be added to the table (and to the build's check) on purpose."""
    assert sorted(p.name for p in (CI / "standins").iterdir() if p.is_dir()) == sorted(UPSTREAM_USERS)


@pytest.mark.parametrize("name", sorted(UPSTREAM_USERS))
def test_dockerfile_declares_the_upstream_user(name):
    """No USER unless upstream has one; service accounts created with the upstream ids."""
    default, accounts = UPSTREAM_USERS[name]
    stage = _final_stage(name)
    users = re.findall(r"(?m)^USER\s+(\S+)", stage)
    assert users == ([] if default == "0:0" else [default]), f"{name}: USER {users}, upstream {default}"
    for account, ids in accounts.items():
        uid, gid = ids.split(":")
        # One command (up to `&&` or `;`) naming both the account and its id, in any order.
        for command, flag, number in (("groupadd", "--gid", gid), ("useradd", "--uid", uid)):
            pattern = rf"{command}(?=[^&;]*{flag}[= ]{number}\b)(?=[^&;]*\s{account}\b)"
            assert re.search(pattern, stage), f"{name}: no `{command} {flag}={number} {account}`"
        # Created before any package whose install scripts would create it with another id.
        assert stage.index("useradd") < stage.index("apt-get install"), f"{name}: {account} created too late"


@pytest.mark.parametrize("name", sorted(UPSTREAM_USERS))
def test_build_checks_the_built_image_for_the_same_user(name):
    """The build script's `expect_user` line for the image states the same ids."""
    default, accounts = UPSTREAM_USERS[name]
    expected = " ".join([default, *(f"{account} {ids}" for account, ids in accounts.items())])
    lines = re.findall(rf'(?m)^expect_user "\${name}_image" (.+)$', BUILD_SCRIPT)
    assert lines == [expected], f"{name}: build checks {lines}, upstream is {expected}"


@pytest.mark.parametrize("name", sorted(UPSTREAM_USERS))
def test_tag_carries_a_hash_of_the_build_context(name):
    """An edit to a stand-in's files gives a new tag, so CI builds it instead of reusing it."""
    tag = re.search(rf'(?m)^{name}_image="(.+)"$', BUILD_SCRIPT)
    assert tag, f"no {name}_image in the build script"
    hashed = re.search(r"\$\(context_hash ([^)]*)\)", tag.group(1))
    assert hashed and name in hashed.group(1).split(), f"{name}: tag {tag.group(1)} lacks its own context hash"
    if "PYTHON_BASE_IMAGE" in (CI / "standins" / name / "Dockerfile").read_text():
        assert "python" in hashed.group(1).split(), f"{name} is built FROM the python stand-in: hash that too"
