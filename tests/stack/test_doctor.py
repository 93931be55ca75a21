"""scripts/doctor.py on the running stack: all green when healthy, and a precise diagnosis
(non-zero exit, the broken thing named, a fix) when something is wrong."""

import pytest

pytestmark = pytest.mark.stack

DOCTOR = ("python", "scripts/doctor.py")


def test_doctor_is_green_on_a_healthy_stack(stack):
    """Every check passes on the freshly started platform."""
    result = stack.tool_result(*DOCTOR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[FAIL]" not in result.stdout
    for check in (
        "environment",
        "postgres",
        "s3 bucket LAKE_BUCKET",
        "code location app",
        "daemon SCHEDULER",
        "daemon SENSOR",
        "runs STARTING",
        "run monitoring",
    ):
        assert f"[ OK ] {check}" in result.stdout, result.stdout


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LAKE_BUCKET": "no-such-bucket"}, "[FAIL] s3 bucket LAKE_BUCKET: no-such-bucket: 404"),
        (
            {"S3_ENDPOINT_URL": "http://nowhere.invalid:9000"},
            "[FAIL] s3 bucket LAKE_BUCKET: endpoint http://nowhere.invalid:9000 unreachable",
        ),
        ({"DAGSTER_POSTGRES_PASSWORD": "wrong-password"}, "[FAIL] postgres: cannot use run storage"),
        ({"AWS_REGION": "", "LANDING_BUCKET": ""}, "[FAIL] environment: unset or empty: AWS_REGION, LANDING_BUCKET"),
    ],
    ids=["missing-bucket", "s3-unreachable", "bad-db-password", "missing-env"],
)
def test_doctor_diagnoses_faults(stack, env, expected):
    """A broken setting makes doctor exit 1 and name the problem, with a fix line."""
    result = stack.tool_result(*DOCTOR, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert expected in result.stdout, result.stdout
    assert "fix:" in result.stdout
