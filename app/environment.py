"""Where this code location keeps its embedded-dev data.

``PLATFORM_ENV`` and what each environment means belong to the platform
(``dagster_platform.environment``); only what this location alone needs lives here.
"""

import os
from pathlib import Path

# Project root (the folder holding pyproject.toml); dev state lives in its git-ignored data/.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def dev_data_dir() -> Path:
    """Where embedded dev keeps its DuckDB files: ``PLATFORM_DEV_DATA_DIR``, else the project's ``data/``.

    The variable exists so tests (and a second checkout's ``scripts/dev``) never write into
    a developer's dev data.
    """
    return Path(os.environ.get("PLATFORM_DEV_DATA_DIR") or PROJECT_ROOT / "data")
