"""Files that run inside the Linux containers keep LF line endings on every checkout.

A Windows checkout with `core.autocrlf=true` would otherwise write CRLF: a shell script's
`#!/usr/bin/env bash` then asks for `bash\r`, the Postgres init script fails on its first
line, and the container exits at start. .gitattributes pins `eol=lf` on them; this checks,
with git's own `check-attr`, that every such tracked file is covered, and that a new file
of each kind would be too.
"""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Names that are run or read inside a container whatever their extension.
CONTAINER_FILE_NAMES = {"Dockerfile", "Caddyfile"}
# Kinds a new file may be added as: each must be covered before it exists.
NEW_FILE_EXAMPLES = [
    "scripts/new-tool.sh",
    "deploy/postgres/initdb/20-new.sh",
    "app/new_module.py",
    "deploy/new/Dockerfile",
    "deploy/new/Caddyfile",
    "compose/new.yml",
    "env/new.env",
]


def git(*args: str) -> str:
    """Run git in the project root; return stdout."""
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60).stdout


def must_be_lf(path: str) -> bool:
    """True for a tracked file run inside a container: a shebang, an executable bit, or a
    name a container reads (Dockerfile, Caddyfile), plus every YAML, TOML and env file."""
    file = ROOT / path
    if Path(path).name in CONTAINER_FILE_NAMES or path.endswith((".yml", ".yaml", ".toml", ".env", ".env.example")):
        return True
    if not file.is_file():
        return False
    with file.open("rb") as handle:
        return handle.read(2) == b"#!" or bool(file.stat().st_mode & 0o111)


def eol_of(paths: list[str]) -> dict[str, str]:
    """path -> the `eol` attribute git applies to it (`lf`, `crlf` or `unspecified`)."""
    out = git("check-attr", "-z", "eol", "--", *paths).split("\0")
    return {out[i]: out[i + 2] for i in range(0, len(out) - 2, 3)}


def test_every_file_run_in_a_container_is_lf():
    """Shell scripts, the init script, shebang Python files, Dockerfiles, the Caddyfile and
    every YAML/env file get eol=lf from .gitattributes."""
    tracked = [p for p in git("ls-files", "-z").split("\0") if p]
    wanted = [p for p in tracked if must_be_lf(p)]
    # The files the brief names must be among them, so the selection itself cannot go empty.
    assert {"deploy/postgres/initdb/10-platform-role.sh", "deploy/gateway/Caddyfile", "scripts/test"} <= set(wanted)
    not_lf = {path: eol for path, eol in eol_of(wanted).items() if eol != "lf"}
    assert not not_lf, f"add these to .gitattributes with eol=lf: {not_lf}"


def test_a_new_file_of_each_kind_is_lf_too():
    """Patterns, not a list of today's files: a new script or config is covered from its start."""
    not_lf = {path: eol for path, eol in eol_of(NEW_FILE_EXAMPLES).items() if eol != "lf"}
    assert not not_lf, not_lf
