"""The image's layer order keeps a rebuild after a code edit to one small layer.

An edit to app/ must not touch the dependency stage (BuildKit would then content-hash the whole
venv again before it can reuse the copy of it) and must leave no layer after app/'s own copy
(each one is rebuilt and exported again). Checked on the Dockerfile's text: the stack tier
builds the image, and these are the properties that keep that build fast.
"""

import re

from conftest import ROOT


def stages() -> dict[str, list[str]]:
    """The Dockerfile's instructions (continuation lines joined), by stage name."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    found: dict[str, list[str]] = {}
    current: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            current = found.setdefault(line.split()[-1], [])
        current.append(line)
    return found


def test_the_dependency_stage_never_reads_the_code():
    deps = stages()["deps"]
    assert not [
        step for step in deps if re.match(r"(COPY|ADD)\b.*\b(app|dagster_platform|\$\{CODE_LOCATION_PACKAGE\})/", step)
    ], deps


def test_the_code_is_the_last_layer_of_the_runtime_image():
    runtime = stages()["runtime"]
    layers = [step for step in runtime if re.match(r"(COPY|ADD|RUN)\b", step)]
    assert re.match(r"COPY\b.*\$\{CODE_LOCATION_PACKAGE\}/ \./\$\{CODE_LOCATION_PACKAGE\}/$", layers[-1]), layers[-1]
    # Modes are set by the copy itself (a RUN chmod after it would be one more layer per edit).
    assert "--chmod=" in layers[-1], layers[-1]
