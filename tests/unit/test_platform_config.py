"""Consistency of the platform's configuration files, without Docker.

The classic Docker-deployment bugs are drift between files: a variable the code reads but
the run launcher does not forward, a compose variable nobody documented, an env file that
sets a name the rest of the stack never reads, an unpinned image. Each test here catches
one of those in review instead of in a failed run.
"""

import re
from pathlib import Path

import pytest
import yaml

from doctor import launcher_env_from_environment

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILES = [ROOT / "docker-compose.yml", *sorted((ROOT / "compose").glob("*.yml"))]
# Set by compose itself or fixed inside the image, so not forwarded from the env file.
FIXED_IN_COMPOSE = {"WAREHOUSE_DUCKDB_PATH"}


def env_names(text: str) -> set[str]:
    """KEY names of a KEY=VALUE file, commented-out examples included."""
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def env_values(path: Path) -> dict[str, str]:
    """KEY -> VALUE of the active (uncommented) lines of a KEY=VALUE file."""
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#") and "=" in line)


def instance_env_refs(path: Path) -> set[str]:
    """Names used as `{env: NAME}` in a Dagster YAML file."""
    return set(re.findall(r"\{env:\s*([A-Z0-9_]+)\}", path.read_text()))


@pytest.fixture(scope="module")
def compose() -> dict:
    """docker-compose.yml parsed (anchors resolved)."""
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def dagster_yaml() -> dict:
    """dagster.yaml parsed."""
    return yaml.safe_load((ROOT / "dagster.yaml").read_text())


@pytest.fixture(scope="module")
def documented() -> set[str]:
    """Every variable .env.example documents."""
    return env_names((ROOT / ".env.example").read_text())


@pytest.fixture(scope="module")
def launcher_env(dagster_yaml) -> set[str]:
    """Variables DockerRunLauncher copies from the daemon's environment to run containers."""
    return set(launcher_env_from_environment(dagster_yaml))


def test_run_containers_get_every_variable_the_instance_config_reads(launcher_env):
    """dagster.yaml's `{env: X}` values must reach run containers, or runs hang in STARTING."""
    missing = instance_env_refs(ROOT / "dagster.yaml") - launcher_env - {"DAGSTER_NETWORK"}
    assert not missing, f"add to run_launcher.config.env_vars: {sorted(missing)}"


def test_run_containers_get_every_variable_the_code_reads(launcher_env):
    """Every `EnvVar("X")` / os.environ lookup in app/ and dagster_platform/ (both locations'
    code, run workers included) is forwarded to run containers."""
    code = "\n".join(p.read_text() for folder in ("app", "dagster_platform") for p in (ROOT / folder).rglob("*.py"))
    read = set(re.findall(r"(?:EnvVar(?:\.int)?|env_var_or_default)\(\s*[\"']([A-Z0-9_]+)[\"']", code))
    read |= set(re.findall(r"(?:environ\.get|getenv|environ\[)\(?\s*[\"']([A-Z0-9_]+)[\"']", code))
    assert read, "found no environment variable reads in app/ - has the pattern changed?"
    # Read by the housekeeping schedule in the code server and passed to its run as run config.
    read -= {"DAGSTER_NETWORK", "RUN_CONTAINER_MAX_AGE_HOURS"}
    # Read only in embedded dev (PLATFORM_ENV=dev), which has no run containers.
    read -= {"PLATFORM_DEV_DATA_DIR"}
    assert not read - launcher_env, f"add to run_launcher.config.env_vars: {sorted(read - launcher_env)}"


def test_compose_passes_every_forwarded_variable_to_dagster_services(compose, launcher_env):
    """The launcher copies variables from the daemon's env: compose must set each one there."""
    daemon_env = set(compose["services"]["daemon"]["environment"])
    assert not launcher_env - daemon_env, sorted(launcher_env - daemon_env)


def test_every_compose_variable_is_documented(documented):
    """Each ${VAR} used by a compose file appears in .env.example."""
    used = set()
    for path in COMPOSE_FILES:
        code = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#"))
        # `$${X}` is an escaped dollar: expanded inside the container, not by compose.
        used |= set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", code))
    used -= {"PWD"}
    assert not used - documented, f"document in .env.example: {sorted(used - documented)}"


def test_every_forwarded_variable_is_documented(launcher_env, documented):
    """Each variable a run container receives is documented in .env.example."""
    assert not launcher_env - documented, sorted(launcher_env - documented)


@pytest.mark.parametrize("env_file", ["env/ci.env", "env/prod.env.example"])
def test_environment_files_only_override_documented_variables(env_file, documented):
    """CI and prod layer over .env.example: a name it lacks is a typo or undocumented."""
    names = env_names((ROOT / env_file).read_text())
    assert names, env_file
    assert not names - documented, sorted(names - documented)


def test_prod_template_leaves_every_secret_empty():
    """The prod template holds no credentials; compose then refuses to start until set."""
    values = env_values(ROOT / "env/prod.env.example")
    for secret in ("DAGSTER_POSTGRES_PASSWORD", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert values.get(secret) == "", secret


def test_local_secrets_are_marked_so_prod_refuses_them():
    """Template secrets contain "local-only", which the entrypoint rejects in prod."""
    values = env_values(ROOT / ".env.example")
    for secret in ("DAGSTER_POSTGRES_PASSWORD", "AWS_SECRET_ACCESS_KEY"):
        assert "local-only" in values[secret]
    assert "local-only" in (ROOT / "scripts/container-entrypoint.sh").read_text()


def test_images_are_pinned(compose):
    """Exact image tags everywhere: no :latest, no bare names."""
    texts = [p.read_text() for p in COMPOSE_FILES] + [(ROOT / "Dockerfile").read_text()]
    images = re.findall(
        r"(?:image: \$\{[A-Z_]+:-|PYTHON_BASE_IMAGE=|PYTHON_BASE_IMAGE: \$\{PYTHON_BASE_IMAGE:-)([^}\s]+)",
        "\n".join(texts),
    )
    assert len(images) >= 4, images
    for image in images:
        if re.match(r"dagster-platform(-[a-z0-9-]+)?:", image):
            continue  # the project's own locally built images, one per code location
        name, _, tag = image.rpartition(":")
        assert name and tag and tag != "latest" and any(c.isdigit() for c in tag), image


def test_every_dependency_waits_for_health(compose):
    """depends_on always names a condition, so `up --wait` means really ready."""
    for name, service in compose["services"].items():
        for dep, spec in (service.get("depends_on") or {}).items():
            assert isinstance(spec, dict) and spec.get("condition") in (
                "service_healthy",
                "service_completed_successfully",
            ), (name, dep)


def test_long_running_services_have_healthchecks_and_restart(compose):
    """Every long-running service is health-checked and restarted by Docker."""
    for name in ("postgres", "minio", "user-code", "webserver", "daemon"):
        service = compose["services"][name]
        assert service["healthcheck"]["test"], name
        assert service["restart"] == "unless-stopped", name


def test_run_launcher_uses_the_compose_network(compose, dagster_yaml):
    """The launcher joins runs to the network compose creates under an explicit name."""
    assert dagster_yaml["run_launcher"]["config"]["networks"] == [{"env": "DAGSTER_NETWORK"}]
    assert compose["networks"]["dagster"]["name"] == "${DAGSTER_NETWORK:-dagster_platform}"


def published_ports(path: Path) -> dict[str, list[str]]:
    """Service -> the host ports a compose file publishes for it."""
    services = yaml.safe_load(path.read_text()).get("services") or {}
    return {name: [str(port) for port in spec.get("ports", [])] for name, spec in services.items() if spec.get("ports")}


def test_only_the_gateway_is_published():
    """The webservers have no login and execute mutations sent as GET: no compose file may
    publish them, not even on loopback (a web page in the developer's browser could reach it).
    The gateway is the one door; opt-in overrides publish infrastructure on loopback only."""
    assert set(published_ports(ROOT / "docker-compose.yml")) == {"gateway"}
    for path in COMPOSE_FILES[1:]:
        ports = published_ports(path)
        assert not {"webserver", "webserver-readonly"} & set(ports), f"{path.name} publishes a webserver: {ports}"
        for service, mappings in ports.items():
            for mapping in mappings:
                assert mapping.startswith("127.0.0.1:"), f"{path.name}: {service} publishes {mapping} beyond loopback"


def test_the_path_prefix_reaches_everything_that_builds_a_webserver_url(compose):
    """DAGSTER_WEBSERVER_PATH_PREFIX: both webservers serve under it (dagster-webserver reads
    the variable itself), their probes ask {prefix}/server_info (outside the prefix the
    webserver answers 404, so the probe would never pass), the gateway matches its GraphQL
    rules under it and the tools container's platform client prefixes its requests."""
    prefix = "${DAGSTER_WEBSERVER_PATH_PREFIX:-}"
    for name in ("webserver", "webserver-readonly"):
        service = compose["services"][name]
        assert service["environment"]["DAGSTER_WEBSERVER_PATH_PREFIX"] == prefix
        assert not any("path-prefix" in arg for arg in service["command"]), "one source: the variable"
        assert service["healthcheck"]["test"][-1] == f"http://127.0.0.1:3000{prefix}/server_info"
    for name in ("gateway", "tools"):
        assert compose["services"][name]["environment"]["DAGSTER_WEBSERVER_PATH_PREFIX"] == prefix
    assert "{$DAGSTER_WEBSERVER_PATH_PREFIX}/graphql*" in (ROOT / "deploy/gateway/Caddyfile").read_text()


def test_every_process_opening_the_instance_waits_for_the_migrate_step(compose):
    """The webservers and the daemon start only on a schema migrated to this image's Dagster
    (docs/upgrading.md); the step itself runs once and waits for the database."""
    for name in ("webserver", "webserver-readonly", "daemon"):
        assert compose["services"][name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    migrate = compose["services"]["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
