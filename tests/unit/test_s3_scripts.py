"""The S3 scripts build their client as the code location does (S3Store = Dagster's S3Resource).

Run against the real SeaweedFS of the unit tier, with only the platform's env vars set.
"""

import uuid

import pytest

import create_buckets  # scripts/ (pytest's pythonpath)
import s3_tool
from dagster_platform.s3_store import S3Store


@pytest.fixture
def script_env(monkeypatch, s3_endpoint, s3_store) -> dict[str, str]:
    """The variables the scripts read, with fresh bucket names."""
    suffix = uuid.uuid4().hex[:8]
    values = {
        "S3_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": s3_store.aws_access_key_id,
        "AWS_SECRET_ACCESS_KEY": s3_store.aws_secret_access_key,
        "AWS_REGION": "us-east-1",
        "LAKE_BUCKET": f"lake-{suffix}",
        "LANDING_BUCKET": f"landing-{suffix}",
        "COMPUTE_LOGS_BUCKET": f"logs-{suffix}",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_create_buckets_is_idempotent(script_env, s3_store, capsys):
    """First run creates the three buckets, the second finds them."""
    create_buckets.main()
    create_buckets.main()
    out = capsys.readouterr().out
    assert out.count(": created") == 3 and out.count(": exists") == 3, out
    names = {b["Name"] for b in s3_store.client().list_buckets()["Buckets"]}
    assert {script_env[v] for v in create_buckets.BUCKET_VARS} <= names


def test_s3_tool_reads_what_the_code_location_wrote(script_env, s3_store, capsys):
    """An object put by the app's S3Store is listed and printed by the script's client."""
    bucket = script_env["LAKE_BUCKET"]
    s3_store.ensure_bucket(bucket)
    s3_store.put_bytes(bucket, "a/b.txt", b"hello")
    assert s3_tool.main(["ls", bucket, "a/"]) == 0
    assert '"key": "a/b.txt"' in capsys.readouterr().out
    assert s3_tool.s3_client().get_object(Bucket=bucket, Key="a/b.txt")["Body"].read() == b"hello"


def test_the_store_is_dagsters_s3_resource():
    """One connection class for code, scripts and users: dagster_aws.s3.S3Resource."""
    from dagster_aws.s3 import S3Resource

    store = S3Store(endpoint_url="http://minio:9000")
    assert isinstance(store, S3Resource)
    assert store.region_name == "us-east-1"


def test_s3_tool_names_a_missing_endpoint(monkeypatch):
    """Without S3_ENDPOINT_URL the scripts stop, naming it."""
    monkeypatch.delenv("S3_ENDPOINT_URL", raising=False)
    with pytest.raises(SystemExit, match="S3_ENDPOINT_URL"):
        s3_tool.s3_client()
