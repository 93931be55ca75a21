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

import boto3
from botocore.config import Config


def s3_client(**config):
    """boto3 S3 client on the platform's endpoint (S3_ENDPOINT_URL, AWS_* credentials and
    region); `config` goes to botocore's Config (timeouts, retries). Exits naming
    S3_ENDPOINT_URL if it is unset. Shared by every script that talks to S3."""
    endpoint = os.environ.get("S3_ENDPOINT_URL")
    if not endpoint:
        sys.exit("S3_ENDPOINT_URL is not set")
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name=os.environ.get("AWS_REGION") or "us-east-1", config=Config(**config)
    )


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
