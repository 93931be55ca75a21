"""Parity of the three deployment targets: compose (dagster.yaml), Helm and Dagster+.

dagster.yaml is the source of truth. The Helm values are translated into the dagster.yaml
the chart would render (camelCase values -> snake_case instance keys) and compared section
by section, whole: a key added to dagster.yaml (a new monitoring timeout, a dequeue interval,
a new section) is drift until deploy/helm/values.yaml has it too. Only what differs by design
is left out, each with its reason: how runs are launched and how storage is reached.

dagster_cloud.yaml shares the code location and the variables forwarded to runs (a Dagster+
deployment's instance settings live in Dagster+, not in this file). It is also validated with
the Dagster+ CLI's own model and its `ci check` command.
"""

import copy
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from dagster_platform.postgres_storage import POOL_SIZE_VAR

ROOT = Path(__file__).resolve().parents[2]
DAGSTER_YAML = ROOT / "dagster.yaml"
HELM_VALUES = ROOT / "deploy" / "helm" / "values.yaml"
DAGSTER_CLOUD_YAML = ROOT / "dagster_cloud.yaml"

# Top-level dagster.yaml sections that are not the same on Kubernetes, and why.
DIFFERENT_BY_DESIGN = {
    # DockerRunLauncher vs K8sRunLauncher; its forwarded env vars are compared separately.
    "run_launcher": "launcher differs; env forwarding checked in test_*_forward_the_same_env",
    # The chart writes run/event/schedule storage from postgresql.* values and its own
    # password Secret; the shared part (driver scheme, connection params) is checked apart.
    "storage": "connection comes from the chart; scheme and params checked apart",
}
# The chart's schema requires every tick type once retention is given per type; dagster.yaml
# may omit one, which means Dagster's default (-1, keep forever). Filled in before comparing.
TICK_TYPES_DEFAULT = {"skipped": -1, "success": -1, "failure": -1, "started": -1}
# Libpq reads PGSSLMODE for the instance storage: Dagster+ hosts the storage itself.
STORAGE_ONLY_VARS = {"PGSSLMODE"}
# Read by compose's storage class (dagster_platform/postgres_storage.py) only: the chart and Dagster+ build
# their own instance storage, on which this variable has no effect.
COMPOSE_STORAGE_VARS = {POOL_SIZE_VAR}


def load(path: Path) -> dict:
    """Parse a YAML file."""
    return yaml.safe_load(path.read_text())


def snake(name: str) -> str:
    """`startTimeoutSeconds` -> `start_timeout_seconds`."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def to_instance_keys(value: Any) -> Any:
    """Helm's camelCase keys, recursively, as dagster.yaml's snake_case keys."""
    if isinstance(value, dict):
        return {snake(key): to_instance_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_instance_keys(item) for item in value]
    return value


def helm_instance_settings(values: dict) -> dict:
    """The dagster.yaml sections the chart renders from these values (connection aside).

    Mirrors the chart's own mapping for the settings this project uses; sections the chart
    only renders when enabled are absent when disabled, as in the rendered ConfigMap.
    """
    daemon = values.get("dagsterDaemon", {})
    settings: dict[str, Any] = {}

    concurrency = values.get("concurrency", {})
    if concurrency.get("enabled"):
        settings["concurrency"] = to_instance_keys({k: v for k, v in concurrency.items() if k != "enabled"})

    coordinator = daemon.get("runCoordinator", {})
    if daemon.get("enabled", True) and coordinator.get("enabled"):
        config = coordinator.get("config", {})
        if coordinator.get("type") == "CustomRunCoordinator":
            custom = config["customRunCoordinator"]
            settings["run_coordinator"] = {"module": custom["module"], "class": custom["class"]}
            if custom.get("config"):
                settings["run_coordinator"]["config"] = custom["config"]
        else:
            queued = {k: v for k, v in (config.get("queuedRunCoordinator") or {}).items() if v not in (None, [], {})}
            # Absent from dagster.yaml == the default QueuedRunCoordinator without config.
            if queued:
                settings["run_coordinator"] = {
                    "module": "dagster.core.run_coordinator",
                    "class": "QueuedRunCoordinator",
                    "config": to_instance_keys(queued),
                }

    for helm_key, instance_key in (("runMonitoring", "run_monitoring"), ("runRetries", "run_retries")):
        section = daemon.get(helm_key, {})
        if section.get("enabled"):
            settings[instance_key] = to_instance_keys(section)
    for key in ("sensors", "schedules", "backfills"):
        if daemon.get(key, {}).get("useThreads"):
            settings[key] = to_instance_keys(daemon[key])

    retention = values.get("retention", {})
    if retention.get("enabled"):
        settings["retention"] = to_instance_keys({k: v for k, v in retention.items() if k != "enabled"})

    logs = values.get("computeLogManager", {})
    if logs.get("type") == "CustomComputeLogManager":
        custom = logs["config"]["customComputeLogManager"]
        settings["compute_logs"] = {"module": custom["module"], "class": custom["class"], "config": custom["config"]}
    elif logs:
        # The chart's typed managers render their own shape; translate at least the keys.
        settings["compute_logs"] = {"type": logs.get("type"), "config": to_instance_keys(logs.get("config"))}

    if "telemetry" in values:
        settings["telemetry"] = values["telemetry"]
    # Rendered verbatim at the top level of the instance dagster.yaml.
    settings.update(values.get("additionalInstanceConfig") or {})
    return settings


def compose_instance_settings(dagster_yaml: dict) -> dict:
    """dagster.yaml without the sections that differ by design, tick defaults spelled out."""
    settings = copy.deepcopy({k: v for k, v in dagster_yaml.items() if k not in DIFFERENT_BY_DESIGN})
    for tick_retention in (settings.get("retention") or {}).values():
        by_type = tick_retention.get("purge_after_days")
        if isinstance(by_type, dict):
            tick_retention["purge_after_days"] = {**TICK_TYPES_DEFAULT, **by_type}
    return settings


def diff(expected: Any, actual: Any, path: str = "", other: str = "values.yaml") -> list[str]:
    """Human-readable differences between two parsed YAML trees, one line per path."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        lines = []
        for key in sorted(set(expected) | set(actual), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in actual:
                lines.append(f"{where}: {expected[key]!r} in dagster.yaml, missing in {other}")
            elif key not in expected:
                lines.append(f"{where}: {actual[key]!r} in {other}, missing in dagster.yaml")
            else:
                lines.extend(diff(expected[key], actual[key], where, other))
        return lines
    if expected != actual:
        return [f"{path}: dagster.yaml has {expected!r}, {other} has {actual!r}"]
    return []


def instance_env_refs(section: Any) -> set[str]:
    """Names used as `{env: NAME}` anywhere in a parsed config section."""
    if isinstance(section, dict):
        if set(section) == {"env"} and isinstance(section["env"], str):
            return {section["env"]}
        return set().union(*(instance_env_refs(v) for v in section.values())) if section else set()
    if isinstance(section, list):
        return set().union(*(instance_env_refs(v) for v in section)) if section else set()
    return set()


def code_env_reads() -> set[str]:
    """Variables the code location may read: every quoted UPPER_CASE name in app/.

    Deliberately broad (EnvVar, os.environ, helpers such as env_var_or_default): it only
    decides whether a variable the self-hosted instance reads is also the code's.
    """
    code = "\n".join(p.read_text() for p in (ROOT / "app").rglob("*.py"))
    return set(re.findall(r"[\"']([A-Z][A-Z0-9_]{2,})[\"']", code))


def compose_run_env(dagster_yaml: dict) -> set[str]:
    """Variables DockerRunLauncher forwards to run containers."""
    return {entry.split("=", 1)[0] for entry in dagster_yaml["run_launcher"]["config"]["env_vars"]}


def helm_run_env(values: dict) -> set[str]:
    """Variables run pods get from the code location (forwarded by includeConfigInLaunchedRuns)."""
    deployments = values["dagster-user-deployments"]["deployments"]
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    launcher_names = {entry.split("=", 1)[0] for entry in launcher.get("envVars") or []}
    per_location = []
    for deployment in deployments:
        assert deployment.get("includeConfigInLaunchedRuns", {}).get("enabled", True), (
            f"{deployment['name']}: includeConfigInLaunchedRuns must stay on, or run pods lose the location's env"
        )
        per_location.append({entry["name"] for entry in deployment.get("env") or []} | launcher_names)
    # Every location's run pods get the same variables (each location's code reads them all).
    assert all(names == per_location[0] for names in per_location), per_location
    return per_location[0]


def cloud_run_env(location: dict) -> set[str]:
    """Variables a Dagster+ Kubernetes agent gives this location's run pods."""
    k8s = (location.get("container_context") or {}).get("k8s") or {}
    names = {entry.split("=", 1)[0] for entry in k8s.get("env_vars") or []}
    names |= {entry["name"] for entry in k8s.get("env") or []}
    return names


def helm_env_expected(dagster_yaml: dict) -> set[str]:
    """Compose's run env minus what only the compose storage config and class read."""
    return compose_run_env(dagster_yaml) - instance_env_refs(dagster_yaml["storage"]) - COMPOSE_STORAGE_VARS


def cloud_env_expected(dagster_yaml: dict) -> set[str]:
    """Compose's run env minus what only the self-hosted instance (storage, compute logs) reads."""
    instance_only = instance_env_refs(dagster_yaml["storage"]) | STORAGE_ONLY_VARS | COMPOSE_STORAGE_VARS
    instance_only |= instance_env_refs(dagster_yaml.get("compute_logs")) - code_env_reads()
    return compose_run_env(dagster_yaml) - instance_only


def instance_drift(dagster_yaml: dict, values: dict) -> list[str]:
    """Every shared instance setting that differs between dagster.yaml and the Helm values."""
    lines = diff(compose_instance_settings(dagster_yaml), helm_instance_settings(values))
    compose_db = dagster_yaml["storage"]["custom"]["config"]["postgres_db"]
    helm_db = values["postgresql"]
    lines += diff(
        {"scheme": compose_db.get("scheme"), "params": compose_db.get("params")},
        {"scheme": helm_db.get("postgresqlScheme"), "params": helm_db.get("postgresqlParams")},
        "storage.custom.config.postgres_db",
    )
    return lines


def env_drift(dagster_yaml: dict, values: dict, cloud: dict) -> list[str]:
    """Forwarded run variables that differ from dagster.yaml's, per target."""
    lines = []
    targets = [("deploy/helm/values.yaml", helm_env_expected(dagster_yaml), helm_run_env(values))]
    targets += [
        (f"dagster_cloud.yaml location {loc['location_name']}", cloud_env_expected(dagster_yaml), cloud_run_env(loc))
        for loc in cloud["locations"]
    ]
    # Storage connection variables are each target's own business (the chart and Dagster+
    # connect their own way): neither required nor flagged.
    storage_vars = instance_env_refs(dagster_yaml["storage"])
    for name, expected, forwarded in targets:
        actual = forwarded - storage_vars
        if expected - actual:
            lines.append(f"{name} does not forward {sorted(expected - actual)} to runs")
        if actual - expected:
            lines.append(f"{name} forwards {sorted(actual - expected)}, which dagster.yaml does not")
    return lines


@pytest.fixture
def dagster_yaml() -> dict:
    """dagster.yaml as it is on disk now (read at test time: others edit it)."""
    return load(DAGSTER_YAML)


@pytest.fixture
def helm_values() -> dict:
    """deploy/helm/values.yaml parsed (anchors resolved)."""
    return load(HELM_VALUES)


@pytest.fixture
def cloud_yaml() -> dict:
    """dagster_cloud.yaml parsed."""
    return load(DAGSTER_CLOUD_YAML)


def test_helm_instance_settings_match_dagster_yaml(dagster_yaml, helm_values):
    """Limits, tag limits, pools, monitoring, retries, threads, retention, automation, compute logs."""
    drift = instance_drift(dagster_yaml, helm_values)
    assert not drift, "Helm values drifted from dagster.yaml:\n" + "\n".join(drift)


def test_comparison_covers_the_settings_the_issue_names(dagster_yaml, helm_values):
    """Guard against a vacuous comparison: the shared sections are really compared."""
    compared = set(compose_instance_settings(dagster_yaml)) & set(helm_instance_settings(helm_values))
    required = {"concurrency", "run_monitoring", "run_retries", "retention", "auto_materialize", "compute_logs"}
    assert required <= compared, f"not compared: {sorted(required - compared)}"


def test_run_env_is_forwarded_the_same_way(dagster_yaml, helm_values, cloud_yaml):
    """Run pods (Helm, Dagster+) get the variables run containers get in compose."""
    drift = env_drift(dagster_yaml, helm_values, cloud_yaml)
    assert not drift, "\n".join(drift)


def compose_locations() -> list[tuple[str, str]]:
    """(location name, module) of each workspace.yaml entry, the module from its compose service."""
    services = load(ROOT / "docker-compose.yml")["services"]
    found = []
    for entry in load(ROOT / "workspace.yaml")["load_from"]:
        server = entry["grpc_server"]
        command = services[server["host"]]["command"]
        found.append((server["location_name"], command[command.index("-m") + 1]))
    return found


def test_same_code_locations_everywhere(helm_values, cloud_yaml):
    """The same code locations (names, modules, order) for compose, Helm and Dagster+."""
    expected = compose_locations()
    # The platform's location first, then the example team's (scripts/new_location.py appends).
    assert [name for name, _ in expected][:2] == ["platform", "app"], expected
    helm = [
        (d["name"], d["codeServerArgs"][d["codeServerArgs"].index("-m") + 1])
        for d in helm_values["dagster-user-deployments"]["deployments"]
    ]
    cloud = [(loc["location_name"], loc["code_source"]["module_name"]) for loc in cloud_yaml["locations"]]
    assert helm == expected and cloud == expected, (expected, helm, cloud)


def test_grpc_timeout_is_set_where_the_grpc_clients_read_it(helm_values):
    """Webserver and daemon (the gRPC clients) get compose's DAGSTER_GRPC_TIMEOUT_SECONDS."""
    compose_env = load(ROOT / "docker-compose.yml")["x-dagster-env"]
    default = re.fullmatch(r"\$\{DAGSTER_GRPC_TIMEOUT_SECONDS:-(\d+)\}", compose_env["DAGSTER_GRPC_TIMEOUT_SECONDS"])
    assert default, "compose no longer sets a DAGSTER_GRPC_TIMEOUT_SECONDS default"
    for component in ("dagsterWebserver", "dagsterDaemon"):
        env = {e["name"]: e.get("value") for e in helm_values[component].get("env") or []}
        assert env.get("DAGSTER_GRPC_TIMEOUT_SECONDS") == default.group(1), component


def test_no_literal_credentials_in_deploy_files(helm_values, cloud_yaml):
    """Secrets come from Kubernetes Secrets (`secretKeyRef`, envSecrets), never from these files."""
    secretish = re.compile(r"(PASSWORD|SECRET|TOKEN|ACCESS_KEY|WEBHOOK)", re.IGNORECASE)

    def literals(node: Any, path: str = "") -> list[str]:
        if isinstance(node, dict):
            found = []
            if "name" in node and "value" in node and secretish.search(str(node["name"])):
                found.append(f"{path}: {node['name']} has a literal value")
            for key, value in node.items():
                if secretish.search(str(key)) and isinstance(value, str) and not str(key).endswith("SecretName"):
                    found.append(f"{path}.{key} is a literal")
                found += literals(value, f"{path}.{key}")
            return found
        if isinstance(node, list):
            found = []
            for i, item in enumerate(node):
                if isinstance(item, str) and "=" in item and secretish.search(item.split("=", 1)[0]):
                    found.append(f"{path}[{i}]: {item.split('=', 1)[0]} set literally")
                found += literals(item, f"{path}[{i}]")
            return found
        return []

    found = literals(helm_values, "values") + literals(cloud_yaml, "dagster_cloud")
    assert not found, found


# ---- the comparison can fail: each file changed alone is reported -------------------------


def _mutations():
    """(file, description, function that changes one setting in a parsed copy)."""

    def set_path(tree: dict, path: list, value: Any) -> None:
        for key in path[:-1]:
            tree = tree[key]
        tree[path[-1]] = value

    return [
        ("dagster.yaml", "run limit", lambda d: set_path(d, ["concurrency", "runs", "max_concurrent_runs"], 99)),
        ("dagster.yaml", "new monitoring key", lambda d: set_path(d, ["run_monitoring", "new_timeout_seconds"], 5)),
        (
            "dagster.yaml",
            "dequeue interval",
            lambda d: d.setdefault("run_coordinator", {}).setdefault("config", {}).update(dequeue_interval_seconds=7),
        ),
        ("dagster.yaml", "forwarded env var", lambda d: d["run_launcher"]["config"]["env_vars"].append("NEW_VAR")),
        (
            "dagster.yaml",
            "storage scheme",
            lambda d: set_path(d, ["storage", "custom", "config", "postgres_db", "scheme"], "x"),
        ),
        ("values.yaml", "tag limit", lambda v: set_path(v, ["concurrency", "runs", "tagConcurrencyLimits"], [])),
        ("values.yaml", "pool default", lambda v: set_path(v, ["concurrency", "pools", "defaultLimit"], 3)),
        ("values.yaml", "retries", lambda v: v["dagsterDaemon"]["runRetries"].pop("maxRetries")),
        ("values.yaml", "retention", lambda v: set_path(v, ["retention", "schedule", "purgeAfterDays"], 1)),
        ("values.yaml", "automation", lambda v: v["additionalInstanceConfig"].pop("auto_materialize")),
        ("values.yaml", "backfill threads", lambda v: set_path(v, ["dagsterDaemon", "backfills", "numWorkers"], 9)),
        (
            "values.yaml",
            "compute logs",
            lambda v: set_path(v["computeLogManager"]["config"]["customComputeLogManager"]["config"], ["prefix"], "x"),
        ),
        ("values.yaml", "run env", lambda v: v["dagster-user-deployments"]["deployments"][0]["env"].pop()),
        (
            "dagster_cloud.yaml",
            "run env",
            lambda c: c["locations"][0]["container_context"]["k8s"]["env_vars"].append("EXTRA=1"),
        ),
    ]


@pytest.mark.parametrize(("file", "what", "mutate"), _mutations(), ids=[f"{f}:{w}" for f, w, _ in _mutations()])
def test_drift_in_one_file_alone_is_reported(tmp_path, dagster_yaml, helm_values, cloud_yaml, file, what, mutate):
    """Change one setting in a copy of one file (written to tmp_path and re-read): drift appears."""
    trees = {"dagster.yaml": dagster_yaml, "values.yaml": helm_values, "dagster_cloud.yaml": cloud_yaml}
    assert not instance_drift(dagster_yaml, helm_values) + env_drift(dagster_yaml, helm_values, cloud_yaml), (
        "the real files already drift; fix that first (see the tests above)"
    )
    changed = copy.deepcopy(trees[file])
    mutate(changed)
    copy_path = tmp_path / file
    copy_path.write_text(yaml.safe_dump(changed))
    trees[file] = load(copy_path)
    drift = instance_drift(trees["dagster.yaml"], trees["values.yaml"])
    drift += env_drift(trees["dagster.yaml"], trees["values.yaml"], trees["dagster_cloud.yaml"])
    assert drift, f"changing the {what} in {file} alone went unnoticed"


# ---- dagster_cloud.yaml is valid for the Dagster+ CLI ------------------------------------------


def test_dagster_cloud_yaml_matches_the_cli_model():
    """The Dagster+ CLI's own pydantic model (extra keys forbidden) accepts the file."""
    from dagster_cloud_cli.config.models import load_dagster_cloud_yaml

    parsed = load_dagster_cloud_yaml(DAGSTER_CLOUD_YAML.read_text())
    assert [loc.location_name for loc in parsed.locations] == [name for name, _ in compose_locations()]


def dagster_cloud_cli() -> str:
    """The `dagster-cloud` executable of this environment."""
    beside = Path(sys.executable).with_name("dagster-cloud")
    found = str(beside) if beside.exists() else shutil.which("dagster-cloud")
    assert found, "dagster-cloud-cli is not installed (it is in the dev dependency group)"
    return found


def ci_check(project_dir: Path) -> subprocess.CompletedProcess:
    """`dagster-cloud ci check` of a project folder, with the connection check skipped."""
    return subprocess.run(
        [
            dagster_cloud_cli(),
            "ci",
            "check",
            "--project-dir",
            str(project_dir),
            "--dagster-cloud-connect-check",
            "skip",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_dagster_cloud_cli_ci_check_passes():
    """`dagster-cloud ci check` (connection check skipped) validates the project offline."""
    result = ci_check(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dagster_cloud_cli_ci_check_rejects_a_broken_file(tmp_path):
    """The same check fails on an invalid file, so the test above can fail."""
    (tmp_path / "dagster_cloud.yaml").write_text("locations:\n  - location_name: app\n    no_such_key: 1\n")
    result = ci_check(tmp_path)
    assert result.returncode != 0, result.stdout + result.stderr


def test_duckdb_overlay_mounts_the_warehouse_where_compose_does():
    """values-duckdb.yaml mounts the RWX claim at the directory of compose's DuckDB file."""
    compose_path = load(ROOT / "docker-compose.yml")["x-dagster-env"]["WAREHOUSE_DUCKDB_PATH"]
    overlay = load(HELM_VALUES.with_name("values-duckdb.yaml"))["runLauncher"]["config"]["k8sRunLauncher"]
    mounts = {m["name"]: m["mountPath"] for m in overlay["volumeMounts"]}
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in overlay["volumes"]}
    assert mounts.keys() == claims.keys(), (mounts, claims)
    assert str(Path(compose_path).parent) in mounts.values(), (compose_path, mounts)


def test_dagster_cloud_container_context_is_valid_for_the_k8s_agent(cloud_yaml):
    """dagster-k8s (what the Dagster+ Kubernetes agent runs) accepts each container_context."""
    container_context = pytest.importorskip(
        "dagster_k8s.container_context",
        reason="dagster-k8s (dev group) is not installed: container_context unchecked",
    )
    for location in cloud_yaml["locations"]:
        context = container_context.K8sContainerContext.create_from_config(location.get("container_context"))
        names = {e["name"] for e in context.run_k8s_config.container_config.get("env") or []}
        assert cloud_run_env(location) <= names, cloud_run_env(location) - names


@pytest.mark.parametrize("doc", ["deploy/helm/README.md", ".github/workflows/k8s.yml"])
def test_setup_creates_every_required_key(helm_values, doc):
    """The README's and the kind job's `kubectl create` commands provide every non-optional key."""
    provided = set(re.findall(r"--from-(?:literal|file)=([A-Z][A-Z0-9_]+)=", (ROOT / doc).read_text()))
    required = {
        ref["key"]
        for entry in helm_values["dagster-user-deployments"]["deployments"][0]["env"]
        for ref in (entry.get("valueFrom") or {}).values()
        if not ref.get("optional") and ref["name"] != helm_values["global"]["postgresqlSecretName"]
    }
    assert required, "no required ConfigMap/Secret keys found - has the env list changed shape?"
    assert not required - provided, f"{doc} never creates {sorted(required - provided)}"


def test_no_failed_request_after_a_postgres_restart_in_either_deployment(helm_values):
    """Compose's storage pre-pings the webserver's pool; the chart, which writes dagster_postgres's
    own storage classes, opens a connection per query instead (env: its `dbPoolRecycle: 0` is
    dropped by the chart's `with`). docs/faults.md has the measured cost of each."""
    storage = load(ROOT / "dagster.yaml")["storage"]["custom"]
    assert (storage["module"], storage["class"]) == ("dagster_platform.postgres_storage", "PrePingPostgresStorage")
    env = {e["name"]: e.get("value") for e in helm_values["dagsterWebserver"].get("env") or []}
    assert env.get("DAGSTER_WEBSERVER_DB_POOL_RECYCLE") == "0", env
