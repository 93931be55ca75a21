"""The code location: ``dagster api grpc -m app.definitions`` loads ``defs``.

Everything under ``app/defs/`` is discovered by ``load_from_defs_folder`` (the dg
layout; it replaces the deprecated ``load_defs``). It finds the project through
pyproject.toml's ``[tool.dg]`` section, which must sit next to the ``app`` package.
``defs`` is built at import (a plain ``dg.Definitions``, not the lazy
``@dg.definitions`` form) so tests and scripts can use it directly.
"""

from pathlib import Path

import dagster as dg

defs: dg.Definitions = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
