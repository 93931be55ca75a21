"""S3-compatible object storage (AWS S3, SeaweedFS, MinIO...) behind one small resource."""

from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import dagster as dg
import pyarrow.fs as pafs
from botocore.config import Config
from pydantic import PrivateAttr


@dataclass(frozen=True)
class S3Object:
    """One listed object: key, ETag (without quotes) and size in bytes."""

    key: str
    etag: str
    size: int


class S3Store(dg.ConfigurableResource):
    """Connection to S3-compatible storage; the one place the endpoint is configured.

    The IO manager, the landing zone and the sensor all use this resource, so an
    endpoint can never be set in one of them and forgotten in another. An empty
    ``endpoint_url`` means real AWS S3.
    """

    endpoint_url: str | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    region_name: str = "us-east-1"

    _client = PrivateAttr(default=None)

    @property
    def endpoint(self) -> str | None:
        """The endpoint URL, or None for AWS (an empty string also means AWS)."""
        return self.endpoint_url or None

    def client(self):
        """A boto3 S3 client (created once per resource instance)."""
        if self._client is None:
            self._client = boto3.client(
                "s3",
                endpoint_url=self.endpoint,
                aws_access_key_id=self.aws_access_key_id,
                aws_secret_access_key=self.aws_secret_access_key,
                region_name=self.region_name,
                # Path-style works with every S3 stand-in; AWS still accepts it.
                config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard"}),
            )
        return self._client

    def filesystem(self) -> pafs.S3FileSystem:
        """A pyarrow filesystem on the same endpoint (Parquet I/O without DuckDB httpfs)."""
        endpoint = self.endpoint
        scheme = "https"
        if endpoint and "://" in endpoint:
            scheme, endpoint = endpoint.split("://", 1)
        return pafs.S3FileSystem(
            access_key=self.aws_access_key_id,
            secret_key=self.aws_secret_access_key,
            region=self.region_name,
            endpoint_override=endpoint,
            scheme=scheme,
        )

    def list_objects(self, bucket: str, prefix: str = "") -> Iterator[S3Object]:
        """Yield every object under ``prefix``; pages through listings of any size."""
        paginator = self.client().get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                yield S3Object(key=obj["Key"], etag=obj["ETag"].strip('"'), size=obj["Size"])

    def put_bytes(self, bucket: str, key: str, body: bytes, content_type: str | None = None) -> str:
        """Write ``body`` to ``bucket/key``; return the new ETag."""
        extra = {"ContentType": content_type} if content_type else {}
        response = self.client().put_object(Bucket=bucket, Key=key, Body=body, **extra)
        return response["ETag"].strip('"')

    def get_bytes(self, bucket: str, key: str) -> bytes:
        """Read the whole object ``bucket/key``."""
        return self.client().get_object(Bucket=bucket, Key=key)["Body"].read()

    def exists(self, bucket: str, key: str) -> bool:
        """True when ``bucket/key`` exists."""
        try:
            self.client().head_object(Bucket=bucket, Key=key)
        except self.client().exceptions.ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def move(self, bucket: str, source_key: str, target_key: str) -> None:
        """Move an object within a bucket (S3 has no rename: copy, then delete)."""
        self.client().copy_object(
            Bucket=bucket, Key=target_key, CopySource={"Bucket": bucket, "Key": source_key}
        )
        self.client().delete_object(Bucket=bucket, Key=source_key)

    def ensure_bucket(self, bucket: str) -> None:
        """Create ``bucket`` unless it exists (used by tests and the setup scripts)."""
        existing = {b["Name"] for b in self.client().list_buckets().get("Buckets", [])}
        if bucket not in existing:
            self.client().create_bucket(Bucket=bucket)
