"""Create the platform's S3 buckets (data lake, landing zone, compute logs) if missing.

Runs as the one-shot `create-buckets` compose service, with the project image and the plain
S3 API, so it works unchanged against MinIO, SeaweedFS or AWS S3. Idempotent.
"""

import os
import sys
import time

from botocore.exceptions import ClientError, EndpointConnectionError
from s3_tool import s3_client

BUCKET_VARS = ("LAKE_BUCKET", "LANDING_BUCKET", "COMPUTE_LOGS_BUCKET")
REQUIRED_VARS = ("S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", *BUCKET_VARS)


def require_env(names: tuple[str, ...]) -> dict[str, str]:
    """Return the named env vars, or exit naming every one that is missing or empty."""
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        sys.exit(f"create-buckets: missing required environment variable(s): {', '.join(missing)}")
    return {name: os.environ[name] for name in names}


def ensure_bucket(client, bucket: str, region: str) -> str:
    """Create `bucket` unless it exists; return 'created' or 'exists'."""
    try:
        client.head_bucket(Bucket=bucket)
        return "exists"
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise
    kwargs = {}
    if region != "us-east-1":  # us-east-1 rejects an explicit LocationConstraint
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    client.create_bucket(Bucket=bucket, **kwargs)
    return "created"


def main() -> None:
    """Create every bucket, retrying while the S3 endpoint is still starting."""
    env = require_env(REQUIRED_VARS)
    region = os.environ.get("AWS_REGION") or "us-east-1"
    client = s3_client(connect_timeout=5, read_timeout=20, retries={"max_attempts": 3})
    deadline = time.monotonic() + 60
    for var in BUCKET_VARS:
        bucket = env[var]
        while True:
            try:
                print(f"create-buckets: {var}={bucket}: {ensure_bucket(client, bucket, region)}")
                break
            except EndpointConnectionError as exc:
                if time.monotonic() > deadline:
                    sys.exit(f"create-buckets: S3 endpoint {env['S3_ENDPOINT_URL']} unreachable: {exc}")
                time.sleep(2)


if __name__ == "__main__":
    main()
