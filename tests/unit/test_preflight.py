"""scripts/preflight.py: every container names its PLATFORM_ENV; prod refuses each unsafe
setting by name and accepts what prod really uses (key-less S3, no Postgres on Dagster+)."""

import importlib.util
from pathlib import Path

import pytest
from env_overrides import overridden

PREFLIGHT_PATH = Path(__file__).resolve().parents[2] / "scripts" / "preflight.py"
_spec = importlib.util.spec_from_file_location("preflight", PREFLIGHT_PATH)
preflight = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(preflight)

# A safe prod container: every rule has something to check, and none is broken.
SAFE_PROD = {
    "PLATFORM_ENV": "prod",
    "DAGSTER_CURRENT_IMAGE": "registry.example.com:5000/platform/dagster:2026.11.28-3f2a1c",
    "DAGSTER_POSTGRES_HOST": "db.internal.example.com",
    "DAGSTER_POSTGRES_PASSWORD": "s3cr3t-from-vault-91",
    "PGSSLMODE": "verify-full",
    "S3_ENDPOINT_URL": "https://s3.us-east-1.amazonaws.com",
    "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE01",
    "AWS_SECRET_ACCESS_KEY": "generated-key-4f9a2c",
}
KEYLESS = {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None}


def test_safe_prod_passes():
    """The baseline itself breaks no rule (else every refusal below would prove nothing)."""
    assert preflight.problems(SAFE_PROD) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"PLATFORM_ENV": None}, "PLATFORM_ENV='' must be set explicitly"),
        ({"PLATFORM_ENV": ""}, "PLATFORM_ENV='' must be set explicitly"),
        ({"PLATFORM_ENV": "production"}, "PLATFORM_ENV='production' must be set explicitly"),
        (
            {"DAGSTER_CURRENT_IMAGE": "dagster-platform:local"},
            "DAGSTER_CURRENT_IMAGE=dagster-platform:local is a mutable tag",
        ),
        ({"DAGSTER_CURRENT_IMAGE": "registry.example.com:5000/dagster:latest"}, "is a mutable tag (latest)"),
        ({"DAGSTER_CURRENT_IMAGE": "registry.example.com:5000/dagster"}, "is a mutable tag (none, i.e. latest)"),
        ({"DAGSTER_IMAGE": ""}, "DAGSTER_IMAGE is empty"),
        ({"PGSSLMODE": "prefer"}, "PGSSLMODE='prefer': prod needs one of require"),
        ({"PGSSLMODE": None}, "PGSSLMODE='': prod needs one of require"),
        ({"DAGSTER_POSTGRES_PASSWORD": None}, "DAGSTER_POSTGRES_PASSWORD is required in prod"),
        ({"DAGSTER_POSTGRES_PASSWORD": "short"}, "DAGSTER_POSTGRES_PASSWORD is shorter than 12 characters"),
        (
            {"DAGSTER_POSTGRES_PASSWORD": "local-only-postgres-password"},
            "DAGSTER_POSTGRES_PASSWORD still holds the local template default",
        ),
        ({"S3_ENDPOINT_URL": "http://minio:9000"}, "S3_ENDPOINT_URL=http://minio:9000 is plain http"),
        ({"AWS_CA_BUNDLE": ""}, "AWS_CA_BUNDLE is set but empty, which turns off S3 certificate checks"),
        ({"AWS_CA_BUNDLE": "/no/such/ca.pem"}, "AWS_CA_BUNDLE=/no/such/ca.pem is not a file in this container"),
        ({"AWS_SECRET_ACCESS_KEY": None}, "AWS_SECRET_ACCESS_KEY is missing while the other half"),
        ({"AWS_ACCESS_KEY_ID": ""}, "AWS_ACCESS_KEY_ID is missing while the other half"),
        ({"AWS_SECRET_ACCESS_KEY": "short-key"}, "AWS_SECRET_ACCESS_KEY is shorter than 12 characters"),
        ({"AWS_ACCESS_KEY_ID": "local-only-access-key"}, "AWS_ACCESS_KEY_ID still holds the local template default"),
        ({"SNOWFLAKE_PRIVATE_KEY_PASSWORD": "tiny"}, "SNOWFLAKE_PRIVATE_KEY_PASSWORD is shorter than 12 characters"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_unsafe_setting_is_refused_by_name(overrides, message):
    """Each broken rule yields one problem naming the variable."""
    found = preflight.problems(overridden(SAFE_PROD, **overrides))
    assert any(message in problem for problem in found), found


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param(KEYLESS, id="key-less-s3-instance-role"),
        pytest.param(
            {
                **KEYLESS,
                "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/secrets/eks/token",
                "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/dagster",
            },
            id="key-less-s3-irsa",
        ),
        pytest.param({**KEYLESS, "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}, id="key-less-s3-empty-keys"),
        pytest.param(
            {"DAGSTER_POSTGRES_HOST": None, "DAGSTER_POSTGRES_PASSWORD": None, "PGSSLMODE": None},
            id="no-postgres-dagster-plus",
        ),
        pytest.param({"S3_ENDPOINT_URL": None}, id="aws-default-endpoint"),
        pytest.param({"DAGSTER_CURRENT_IMAGE": "registry.example.com/dagster@sha256:" + "a" * 64}, id="digest"),
        pytest.param({"DAGSTER_CURRENT_IMAGE": None}, id="image-unknown-in-run-container"),
        pytest.param({"PGSSLMODE": "require"}, id="pgsslmode-require"),
        pytest.param({"AWS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt"}, id="ca-bundle-of-the-image"),
    ],
)
def test_what_prod_really_uses_is_accepted(overrides):
    """Key-less S3 (instance role, IRSA), no Postgres, AWS's endpoint, a digest: all fine."""
    assert preflight.problems(overridden(SAFE_PROD, **overrides)) == []


@pytest.mark.parametrize("environment", ["dev", "local", "ci"])
def test_other_environments_keep_their_template_settings(environment):
    """Outside prod the local templates' throwaway values and http endpoints are fine."""
    env = {
        "PLATFORM_ENV": environment,
        "DAGSTER_POSTGRES_HOST": "postgres",
        "PGSSLMODE": "prefer",
        "DAGSTER_POSTGRES_PASSWORD": "local-only-postgres-password",
        "S3_ENDPOINT_URL": "http://minio:9000",
        "DAGSTER_CURRENT_IMAGE": "dagster-platform:local",
    }
    assert preflight.problems(env) == []


def test_every_problem_is_reported_at_once():
    """An operator fixes the whole env file in one pass, not one variable per restart."""
    found = preflight.problems(
        overridden(SAFE_PROD, PGSSLMODE="disable", S3_ENDPOINT_URL="http://s3:9000", DAGSTER_POSTGRES_PASSWORD="short")
    )
    assert len(found) == 3, found


def test_doctor_reports_the_same_rules(monkeypatch):
    """scripts/doctor.py fails on what the entrypoint refuses, through the same module."""
    doctor = importlib.import_module("doctor")
    for name, value in overridden(SAFE_PROD, PGSSLMODE="disable").items():
        monkeypatch.setenv(name, value)
    findings = doctor.check_preflight()
    assert [(f.level, f.check) for f in findings] == [("FAIL", "preflight")]
    assert "PGSSLMODE='disable'" in findings[0].detail
