"""Create the platform's S3 buckets (data lake, landing zone, compute logs) if missing.

Runs as the one-shot `create-buckets` compose service, with the project image and the plain
S3 API, so it works unchanged against MinIO, SeaweedFS or AWS S3. Idempotent.
"""

import os
import sys
import time

from botocore.exceptions import EndpointConnectionError

from s3_tool import S3Store

BUCKET_VARS = ("LAKE_BUCKET", "LANDING_BUCKET", "COMPUTE_LOGS_BUCKET")
REQUIRED_VARS = ("S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", *BUCKET_VARS)


def require_env(names: tuple[str, ...]) -> dict[str, str]:
    """Return the named env vars, or exit naming every one that is missing or empty."""
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        sys.exit(f"create-buckets: missing required environment variable(s): {', '.join(missing)}")
    return {name: os.environ[name] for name in names}


def main() -> None:
    """Create every bucket, retrying while the S3 endpoint is still starting."""
    env = require_env(REQUIRED_VARS)
    store = S3Store.from_environment(max_attempts=3)
    deadline = time.monotonic() + 60
    for var in BUCKET_VARS:
        bucket = env[var]
        while True:
            try:
                print(f"create-buckets: {var}={bucket}: {store.ensure_bucket(bucket)}")
                break
            except EndpointConnectionError as exc:
                if time.monotonic() > deadline:
                    sys.exit(f"create-buckets: S3 endpoint {env['S3_ENDPOINT_URL']} unreachable: {exc}")
                time.sleep(2)


if __name__ == "__main__":
    main()
