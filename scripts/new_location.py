"""Add a team code location to the platform: ``python scripts/new_location.py NAME``.

Creates the package ``NAME/`` (a ``definitions.py`` with a first asset) and its unit test, and
enters the location everywhere the platform lists its locations, each entry shaped like the
example location `app`'s:

- pyproject.toml: an extra ``NAME`` (the location's own libraries, empty to begin with) and
  the package in the build backend's module list; then ``uv lock`` (one lock for all);
- docker-compose.yml: a code-server service ``NAME-code`` from the ``x-code-location`` anchor,
  in its own image ``DAGSTER_<NAME>_IMAGE``, which the launcher's Docker API proxy admits;
- compose/engine-25.yml, workspace.yaml, deploy/helm/values.yaml, dagster_cloud.yaml;
- .env.example and env/prod.env.example: the image variable.

Then ``docker compose up -d --build --wait`` serves it (the webserver's and daemon's image
carries workspace.yaml, so they are rebuilt and restarted with it). Refuses, changing nothing,
a name that is not a lowercase Python identifier, shadows a module Python or the project
already has, or is taken. ``--root`` scaffolds into another checkout (the tests use a copy).
"""

import argparse
import keyword
import re
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{1,30}")
RESERVED = {"app", "dagster_platform", "scripts", "tests", "deploy", "compose", "docs", "env", "certs", "platform"}
# Where the compose service and the Engine 25 probe line go: after the example location's.
COMPOSE_ANCHOR_LINE = "  # (scripts/new_location.py adds team code locations above this line)\n"
ENGINE25_AFTER = "  user-code: {healthcheck: *probe-timing}\n"
HELM_BEFORE = "\npostgresql:\n"
POLICY_IMAGES = re.compile(r"^(      DOCKER_POLICY_IMAGES: .*)$", re.MULTILINE)
MODULE_NAMES = re.compile(r"^module-name = \[(.*)\]$", re.MULTILINE)
APP_EXTRA = re.compile(r"^app = \[\n(?:    .*\n)*\]\n", re.MULTILINE)

DEFINITIONS = '''"""The `{name}` code location: ``dagster api grpc -m {name}.definitions``.

Its own code server and image (docker-compose.yml `{service}`), its libraries in the
`{name}` extra of pyproject.toml. Runs execute in this location's image.
"""

import dagster as dg
from dagster_platform.environment import current_environment
from dagster_platform.executor import RUN_EXECUTOR


@dg.asset(group_name="{name}", kinds={{"python"}}, owners=["team:{name}"])
def {name}_first_asset() -> dg.MaterializeResult:
    """A first asset of the location: replace it with the team's own."""
    return dg.MaterializeResult(metadata={{"location": "{name}", "environment": current_environment().value}})


# Launch it from the UI, a schedule or `scripts/platform_client.py launch {name}_job`.
{name}_job = dg.define_asset_job("{name}_job", selection=dg.AssetSelection.groups("{name}"))

defs = dg.Definitions(assets=[{name}_first_asset], jobs=[{name}_job], executor=RUN_EXECUTOR)
'''

UNIT_TEST = '''"""The `{name}` code location loads and materializes its first asset."""

import dagster as dg

from {name}.definitions import defs, {name}_first_asset


def test_{name}_definitions_load():
    """The location's definitions are valid on their own."""
    dg.Definitions.validate_loadable(defs)


def test_{name}_first_asset_materializes():
    """The first asset runs in process and reports its location."""
    result = dg.materialize([{name}_first_asset])
    assert result.success
    [event] = result.get_asset_materialization_events()
    assert event.materialization.metadata["location"].value == "{name}"
'''

SERVICE = """  # Team location `{name}` ({name}/), added by scripts/new_location.py.
  {service}:
    <<: *code-location
    image: ${{{image_var}:-{image}}}
    build:
      <<: *code-location-build
      args:
        <<: *code-location-build-args
        CODE_LOCATION_PACKAGE: {name}
        UV_EXTRAS: --extra {name}
    environment:
      <<: *code-server-env
      DAGSTER_CURRENT_IMAGE: ${{{image_var}:-{image}}}
    command: ["dagster", "api", "grpc", "-h", "0.0.0.0", "-p", "4000", "-m", "{name}.definitions"]

"""

WORKSPACE = """  # Team location `{name}` ({name}/).
  - grpc_server:
      host: {service}
      port: 4000
      location_name: {name}
"""

HELM = """    # Team location `{name}`, added by scripts/new_location.py.
    - name: {name}
      image:
        repository: registry.example.com/your-org/dagster-platform-{dashed}  # CHANGE-ME
        tag: "0.1.0"
        pullPolicy: IfNotPresent
      codeServerArgs: ["-m", "{name}.definitions"]
      port: 3030
      includeConfigInLaunchedRuns: *launched-runs
      env: *location-env
"""

CLOUD = """  - location_name: {name}
    code_source:
      module_name: {name}.definitions
    build:
      directory: .
      registry: registry.example.com/your-org/dagster-platform-{dashed}  # placeholder: your image registry
    working_directory: /opt/dagster/project
    container_context: *run-context
"""


class ScaffoldError(Exception):
    """A name or checkout the scaffold refuses; nothing was changed."""


def check_name(name: str, root: Path) -> None:
    """Refuse names that cannot be a location package here (see the module docstring)."""
    if not NAME_PATTERN.fullmatch(name) or keyword.iskeyword(name):
        raise ScaffoldError(f"{name!r}: a location name is a lowercase Python identifier of 2 to 31 characters")
    if name in RESERVED or name in sys.stdlib_module_names or name.startswith(("dagster", "test")):
        raise ScaffoldError(f"{name!r} would shadow a module Python, Dagster or this project already has")
    if (root / name).exists():
        raise ScaffoldError(f"{root / name} already exists")
    if f"location_name: {name}\n" in (root / "workspace.yaml").read_text():
        raise ScaffoldError(f"workspace.yaml already has a location {name!r}")


def insert(text: str, marker: str, addition: str, *, before: bool, where: str) -> str:
    """`text` with `addition` placed before or after its one `marker`."""
    if text.count(marker) != 1:
        raise ScaffoldError(f"{where}: expected the line {marker.strip()!r} exactly once")
    return text.replace(marker, addition + marker if before else marker + addition)


def planned_edits(name: str, root: Path) -> dict[Path, str]:
    """The new content of every file the scaffold creates or changes (nothing is written yet)."""
    service, dashed = f"{name.replace('_', '-')}-code", name.replace("_", "-")
    image_var, image = f"DAGSTER_{name.upper()}_IMAGE", f"dagster-platform-{dashed}:local"
    values = {"name": name, "service": service, "dashed": dashed, "image_var": image_var, "image": image}
    read = {path: (root / path).read_text() for path in FILES}

    pyproject = read["pyproject.toml"]
    if not APP_EXTRA.search(pyproject) or not MODULE_NAMES.search(pyproject):
        raise ScaffoldError("pyproject.toml: the `app` extra or the build backend's module-name list is missing")
    pyproject = APP_EXTRA.sub(lambda m: m.group(0) + f"# The `{name}` location's libraries.\n{name} = []\n", pyproject)
    pyproject = MODULE_NAMES.sub(lambda m: f'module-name = [{m.group(1)}, "{name}"]', pyproject)

    compose = insert(
        read["docker-compose.yml"],
        COMPOSE_ANCHOR_LINE,
        SERVICE.format(**values),
        before=True,
        where="docker-compose.yml",
    )
    if len(POLICY_IMAGES.findall(compose)) != 1:
        raise ScaffoldError("docker-compose.yml: expected one DOCKER_POLICY_IMAGES setting")
    compose = POLICY_IMAGES.sub(lambda m: m.group(1) + f",${{{image_var}:-{image}}}", compose)

    env_example = read[".env.example"]
    prod_env = read["env/prod.env.example"]
    return {
        Path(name) / "__init__.py": f'"""The `{name}` team code location (scripts/new_location.py)."""\n',
        Path(name) / "definitions.py": DEFINITIONS.format(**values),
        Path("tests") / "unit" / f"test_location_{name}.py": UNIT_TEST.format(**values),
        Path("pyproject.toml"): pyproject,
        Path("docker-compose.yml"): compose,
        Path("compose/engine-25.yml"): insert(
            read["compose/engine-25.yml"],
            ENGINE25_AFTER,
            f"  {service}: {{healthcheck: *probe-timing}}\n",
            before=False,
            where="compose/engine-25.yml",
        ),
        Path("workspace.yaml"): read["workspace.yaml"].rstrip("\n") + "\n" + WORKSPACE.format(**values),
        Path("deploy/helm/values.yaml"): insert(
            read["deploy/helm/values.yaml"],
            HELM_BEFORE,
            HELM.format(**values),
            before=True,
            where="deploy/helm/values.yaml",
        ),
        Path("dagster_cloud.yaml"): read["dagster_cloud.yaml"].rstrip("\n") + "\n" + CLOUD.format(**values),
        Path(".env.example"): insert(
            env_example,
            "\nDAGSTER_APP_IMAGE=dagster-platform-app:local\n",
            f"{image_var}={image}\n",
            before=False,
            where=".env.example",
        ),
        Path("env/prod.env.example"): insert(
            prod_env, "\nDAGSTER_APP_IMAGE=\n", f"{image_var}=\n", before=False, where="env/prod.env.example"
        ),
    }


FILES = (
    "pyproject.toml",
    "docker-compose.yml",
    "compose/engine-25.yml",
    "workspace.yaml",
    "deploy/helm/values.yaml",
    "dagster_cloud.yaml",
    ".env.example",
    "env/prod.env.example",
)


def scaffold(name: str, root: Path = PROJECT_ROOT, *, lock: bool = True) -> list[Path]:
    """Create the location `name` in the checkout at `root`; return the paths written.

    Every edit is computed before the first write, so a refusal leaves the checkout untouched.

    Raises:
        ScaffoldError: for a refused name or a checkout whose files lack an expected marker.
    """
    check_name(name, root)
    edits = planned_edits(name, root)
    (root / name).mkdir()
    for path, content in edits.items():
        (root / path).write_text(content)
    if lock:
        uv = shutil.which("uv")
        if uv is None:
            raise ScaffoldError("files written, but `uv` is not on PATH: run `uv lock` to add the extra to uv.lock")
        subprocess.run([uv, "lock"], cwd=root, check=True)
    return sorted(edits)


def main(argv: list[str] | None = None) -> int:
    """Command line: scaffold one location and say what comes next."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="the location's name and package, e.g. marketing")
    parser.add_argument("--root", type=Path, default=PROJECT_ROOT, help="the checkout to change (default: this one)")
    parser.add_argument("--no-lock", action="store_true", help="leave uv.lock alone (run `uv lock` yourself)")
    args = parser.parse_args(argv)
    try:
        written = scaffold(args.name, args.root.resolve(), lock=not args.no_lock)
    except ScaffoldError as error:
        print(f"new_location: {error}", file=sys.stderr)
        return 2
    print("\n".join(str(path) for path in written))
    print(
        f"\nnext: uv sync && scripts/test tests/unit/test_location_{args.name}.py && docker compose up -d --build --wait"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
