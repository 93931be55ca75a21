"""A copy of this checkout's tracked files, for tests that change the project (the scaffold)."""

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def copy_checkout(dest: Path) -> Path:
    """Copy every file git tracks (as it is in the working tree) under `dest`; return `dest`.

    Ignored files (the venv, caches, data/) are left out, so the copy is what a fresh clone
    holds, plus uncommitted edits to tracked files.
    """
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest
