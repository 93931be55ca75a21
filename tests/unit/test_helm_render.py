"""Render the official Dagster Helm chart with deploy/helm/values.yaml and validate the result.

The chart comes from DAGSTER_HELM_CHART_DIR (an unpacked `dagster` chart, e.g. from
`helm pull dagster/dagster --version 1.13.27 --untar`) or, when that is unset, is pulled from
https://dagster-io.github.io/helm. Where neither works (an offline CI), every test here skips
with the reason in the output (REQUIRE_HELM_CHART=1 turns that into a failure, for the CI job
that pulls the chart). Rendering uses helm-python-sdk (Helm v4 as a library), so no
`helm` binary is needed.

Checked on the rendered chart:
- the values pass the chart's own values.schema.json;
- every manifest is a valid Kubernetes object (kubernetes-validate, strict: unknown fields fail);
- the instance dagster.yaml in the ConfigMap passes Dagster's instance config validation, and
  each configurable class in it (storage, compute logs, run coordinator, launcher) accepts its
  config;
- the shared settings come out exactly as in the compose dagster.yaml (what the parity test
  checks on the values, checked here on what the chart really renders).
"""

import functools
import importlib
import json
import os
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VALUES = ROOT / "deploy" / "helm" / "values.yaml"
CHART_DIR_ENV = "DAGSTER_HELM_CHART_DIR"
CHART_REPO = "https://dagster-io.github.io/helm"
# The chart is released with Dagster's own version: pin it to the image's dagster.
CHART_VERSION = version("dagster")
RELEASE, NAMESPACE = "dagster", "dagster"
# The newest Kubernetes schema kubernetes-validate 1.37.0 ships.
K8S_VERSION = "1.37"
# dagster.yaml sections that differ on Kubernetes by design (see test_deploy_parity.py).
NOT_SHARED = {"run_launcher", "storage"}


@functools.cache
def _chart_dir(tmp_root: str) -> Path | str:
    """The unpacked chart directory, or the reason there is none."""
    import helm_python as helm

    configured = os.environ.get(CHART_DIR_ENV)
    if configured:
        path = Path(configured)
        return path if (path / "Chart.yaml").is_file() else f"{CHART_DIR_ENV}={configured} has no Chart.yaml"
    try:
        helm.pull("dagster", repo_url=CHART_REPO, version=CHART_VERSION, untar=True, untar_dir=tmp_root)
    except helm.HelmError as exc:
        cause = str(exc).splitlines()[0].rsplit(": ", 1)[-1][:80]  # e.g. "no such host"
        return (
            f"Dagster Helm chart {CHART_VERSION} unavailable: {CHART_DIR_ENV} is unset and "
            f"{CHART_REPO} cannot be reached ({cause})"
        )
    return Path(tmp_root) / "dagster"


@pytest.fixture(scope="module")
def chart(tmp_path_factory):
    """The loaded chart at the pinned version; skips with the reason when it cannot be had."""
    import helm_python as helm

    found = _chart_dir(str(tmp_path_factory.mktemp("chart")))
    if isinstance(found, str):
        # CI where the chart can be pulled sets REQUIRE_HELM_CHART=1: a skip there is a failure.
        if os.environ.get("REQUIRE_HELM_CHART") == "1":
            pytest.fail(found)
        pytest.skip(found)
    loaded = helm.Chart.load(found)
    assert loaded.version == CHART_VERSION, (
        f"chart {loaded.version} at {found}, but the image runs dagster {CHART_VERSION}: pin the same version"
    )
    return loaded


def _merge(base: dict, overlay: dict) -> dict:
    """Helm's `-f a -f b`: maps merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in overlay.items():
        merged[key] = _merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return merged


@pytest.fixture(scope="module", params=["values.yaml", "values.yaml + values-duckdb.yaml"])
def values(request) -> dict:
    """The project's Helm values, alone and with the DuckDB volume overlay."""
    values = yaml.safe_load(VALUES.read_text())
    if "duckdb" in request.param:
        values = _merge(values, yaml.safe_load(VALUES.with_name("values-duckdb.yaml").read_text()))
    return values


@pytest.fixture(scope="module")
def manifests(chart, values) -> list[dict]:
    """Every object the chart renders with the project's values, as install would."""
    rendered = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    docs = []
    for path, text in sorted(rendered.items()):
        if path.endswith(".txt"):  # NOTES.txt
            continue
        docs += [doc for doc in yaml.safe_load_all(text) if doc]
    assert docs, "the chart rendered nothing"
    return docs


@pytest.fixture(scope="module")
def instance_yaml(manifests) -> dict:
    """The instance dagster.yaml the chart mounts into every Dagster pod."""
    maps = [m for m in manifests if m["kind"] == "ConfigMap" and m["metadata"]["name"].endswith("-instance")]
    assert len(maps) == 1, [m["metadata"]["name"] for m in manifests if m["kind"] == "ConfigMap"]
    return yaml.safe_load(maps[0]["data"]["dagster.yaml"])


def test_values_pass_the_charts_schema(chart, values):
    """values.schema.json of the chart accepts the project's values (typos, wrong types)."""
    if chart.schema is None:
        pytest.skip(f"the chart at {os.environ.get(CHART_DIR_ENV, 'the pulled chart')} has no values.schema.json")
    chart.validate_schema(values)


def test_manifests_are_valid_kubernetes_objects(manifests):
    """Strict validation: a misspelled field in env, volumes or probes fails here."""
    import kubernetes_validate

    errors = []
    for doc in manifests:
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message} at {list(exc.path)}")
    assert not errors, "\n".join(errors)


def test_instance_config_passes_dagster_validation(tmp_path, instance_yaml):
    """Dagster's own loader accepts the rendered instance config (schema, concurrency rules)."""
    from dagster._core.instance.config import dagster_instance_config

    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(instance_yaml))
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["run_launcher"]["class"] == "K8sRunLauncher"


def _configurable_sections(instance: dict) -> dict[str, dict]:
    """Top-level sections of the form {module, class, config}."""
    return {k: v for k, v in instance.items() if isinstance(v, dict) and {"module", "class"} <= set(v)}


def _validate_class_config(section: dict) -> list[str]:
    """Errors of a configurable class's config against the class's own config schema."""
    from dagster._config import validate_config

    klass = getattr(importlib.import_module(section["module"]), section["class"])
    assert hasattr(klass, "config_type"), f"{klass} is not a configurable class"
    result = validate_config(klass.config_type(), section.get("config") or {})
    return [error.message for error in result.errors or []]


@pytest.mark.parametrize(
    "section", ["run_storage", "event_log_storage", "schedule_storage", "compute_logs", "run_coordinator"]
)
def test_instance_class_accepts_its_config(instance_yaml, section):
    """Each storage, compute log manager and run coordinator accepts the rendered config."""
    sections = _configurable_sections(instance_yaml)
    assert section in sections, f"the chart rendered no {section}"
    errors = _validate_class_config(sections[section])
    assert not errors, errors


def test_run_launcher_accepts_its_config(instance_yaml):
    """K8sRunLauncher's own schema accepts the rendered launcher config."""
    pytest.importorskip("dagster_k8s", reason="dagster-k8s is not installed here: K8sRunLauncher config unchecked")
    errors = _validate_class_config(instance_yaml["run_launcher"])
    assert not errors, errors


def _subset_diff(expected: Any, actual: Any, path: str) -> list[str]:
    """Where `actual` lacks or changes something of `expected` (extra keys in `actual` allowed)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        lines = []
        for key, value in expected.items():
            if key not in actual:
                lines.append(f"{path}.{key}: missing from the rendered config")
            else:
                lines += _subset_diff(value, actual[key], f"{path}.{key}")
        return lines
    return [] if expected == actual else [f"{path}: dagster.yaml {expected!r}, rendered {actual!r}"]


def test_rendered_settings_match_compose(instance_yaml):
    """Every shared dagster.yaml setting comes out of the chart unchanged."""
    compose = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    drift = []
    for section, expected in compose.items():
        if section in NOT_SHARED:
            continue
        if section not in instance_yaml:
            drift.append(f"{section}: in dagster.yaml, not rendered by the chart")
            continue
        drift += _subset_diff(expected, instance_yaml[section], section)
    compose_db = compose["storage"]["custom"]["config"]["postgres_db"]
    for storage in ("run_storage", "event_log_storage", "schedule_storage"):
        rendered_db = instance_yaml[storage]["config"]["postgres_db"]
        for key in ("scheme", "params"):
            drift += _subset_diff(compose_db.get(key), rendered_db.get(key), f"{storage}.postgres_db.{key}")
    assert not drift, "\n".join(drift)


def test_webserver_and_daemon_get_the_grpc_timeout(manifests):
    """The gRPC clients (webserver, daemon) carry DAGSTER_GRPC_TIMEOUT_SECONDS in their pods."""
    seen = {}
    for doc in manifests:
        if doc["kind"] != "Deployment":
            continue
        component = doc["spec"]["template"]["metadata"]["labels"].get("component", "")
        for container in doc["spec"]["template"]["spec"]["containers"]:
            env = {e["name"]: e.get("value") for e in container.get("env") or []}
            seen[component] = env.get("DAGSTER_GRPC_TIMEOUT_SECONDS")
    assert seen.get("dagster-webserver") and seen.get("dagster-daemon"), seen


# ---- the checks above can fail ------------------------------------------------------------


def _render_instance(chart, values: dict) -> dict:
    """The instance dagster.yaml rendered from `values`."""
    rendered = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    for text in rendered.values():
        for doc in yaml.safe_load_all(text):
            if doc and doc["kind"] == "ConfigMap" and doc["metadata"]["name"].endswith("-instance"):
                return yaml.safe_load(doc["data"]["dagster.yaml"])
    raise AssertionError("no instance ConfigMap rendered")


def test_instance_validation_rejects_a_bad_setting(tmp_path, chart):
    """A setting Dagster rejects (an unknown pool granularity) fails the instance validation."""
    from dagster._core.errors import DagsterInvalidConfigError
    from dagster._core.instance.config import dagster_instance_config

    values = yaml.safe_load(VALUES.read_text())
    values["concurrency"]["pools"]["granularity"] = "step"
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(_render_instance(chart, values)))
    with pytest.raises(DagsterInvalidConfigError, match="granularity"):
        dagster_instance_config(str(tmp_path))


def test_why_values_use_the_custom_run_coordinator_type(tmp_path, chart):
    """The chart's queued type adds `max_concurrent_runs: -1`, which clashes with concurrency.runs."""
    from dagster._core.errors import DagsterInvalidConfigError
    from dagster._core.instance.config import dagster_instance_config

    values = yaml.safe_load(VALUES.read_text())
    values["dagsterDaemon"]["runCoordinator"] = {
        "enabled": True,
        "type": "QueuedRunCoordinator",
        "config": {"queuedRunCoordinator": {"dequeueIntervalSeconds": 1}},
    }
    instance = _render_instance(chart, values)
    if "max_concurrent_runs" not in (instance["run_coordinator"].get("config") or {}):
        pytest.skip("this chart's queued type no longer adds max_concurrent_runs: values.yaml could use it")
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(instance))
    with pytest.raises(DagsterInvalidConfigError, match="concurrency"):
        dagster_instance_config(str(tmp_path))


def test_a_misspelled_field_is_caught(chart):
    """A typo in the values (`valuefrom`) fails: the chart's schema at render, or strict validation."""
    import helm_python as helm
    import kubernetes_validate

    values = yaml.safe_load(VALUES.read_text())
    entry = values["dagster-user-deployments"]["deployments"][0]["env"][0]
    entry["valuefrom"] = entry.pop("valueFrom")
    try:
        rendered = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    except helm.HelmValuesError:
        return  # the chart's values.schema.json caught it
    deployments = [
        doc
        for text in rendered.values()
        for doc in yaml.safe_load_all(text)
        if doc and doc["kind"] == "Deployment" and doc["metadata"]["labels"].get("component") == "user-deployments"
    ]
    assert deployments, "no user code Deployment rendered"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployments[0], K8S_VERSION, strict=True)


def test_code_location_container_context_is_valid_for_dagster_k8s(manifests):
    """DAGSTER_CONTAINER_CONTEXT (what run pods inherit) parses as a dagster-k8s container context."""
    container_context = pytest.importorskip(
        "dagster_k8s.container_context",
        reason="dagster-k8s is not installed here: container context unchecked (CI runs it with --with)",
    )
    contexts = [
        env["value"]
        for doc in manifests
        if doc["kind"] == "Deployment"
        for container in doc["spec"]["template"]["spec"]["containers"]
        for env in container.get("env") or []
        if env["name"] == "DAGSTER_CONTAINER_CONTEXT"
    ]
    assert contexts, "no code location forwards its config to runs (includeConfigInLaunchedRuns)"
    for text in contexts:
        context = container_context.K8sContainerContext.create_from_config(json.loads(text))
        assert context.run_k8s_config.container_config.get("env"), "run pods would get no env"


def test_webserver_listens_where_its_probe_and_service_look(manifests):
    """The image runs unprivileged: the webserver port is >= 1024, and probe and command agree."""
    deployments = [
        doc
        for doc in manifests
        if doc["kind"] == "Deployment"
        and doc["spec"]["template"]["metadata"]["labels"].get("component") == "dagster-webserver"
    ]
    assert len(deployments) == 1, [d["metadata"]["name"] for d in deployments]
    container = deployments[0]["spec"]["template"]["spec"]["containers"][0]
    port = container["ports"][0]["containerPort"]
    assert port >= 1024, f"port {port} needs root, and the image runs as an unprivileged user"
    assert container["readinessProbe"]["httpGet"]["port"] == port
    assert f"-p {port}" in container["command"][-1]
