"""Minimal S3 command line for the platform's buckets, using the platform's own settings.

Runs wherever the platform env is set (e.g. `docker compose run --rm tools python
scripts/s3_tool.py ls lake`), against S3_ENDPOINT_URL with the AWS_* credentials, so it
works the same on MinIO, SeaweedFS and AWS S3.

    ls BUCKET [PREFIX]          one JSON line per object: {"key", "size"}
    cat BUCKET KEY              object body to stdout
    put BUCKET KEY              stdin to an object
"""

import json
import os
import sys

from dagster_platform.s3_store import S3Store  # the platform package, in every image


def s3_client(max_attempts: int = 5):
    """boto3 S3 client built exactly as the code location builds it (``S3Store``, i.e. Dagster's
    ``S3Resource``) from S3_ENDPOINT_URL, the AWS_* credentials and region. Exits naming
    S3_ENDPOINT_URL if it is unset. Shared by every script that talks to S3."""
    if not os.environ.get("S3_ENDPOINT_URL"):
        sys.exit("S3_ENDPOINT_URL is not set")
    return S3Store.from_environment(max_attempts=max_attempts).client()


def main(argv: list[str]) -> int:
    """Dispatch `ls`, `cat` or `put`."""
    if len(argv) < 2 or argv[0] not in ("ls", "cat", "put"):
        sys.exit(__doc__)
    client = s3_client()
    command, bucket, *rest = argv
    if command == "ls":
        prefix = rest[0] if rest else ""
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                print(json.dumps({"key": obj["Key"], "size": obj["Size"]}))
    elif command == "cat":
        sys.stdout.buffer.write(client.get_object(Bucket=bucket, Key=rest[0])["Body"].read())
    else:
        client.put_object(Bucket=bucket, Key=rest[0], Body=sys.stdin.buffer.read())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
