"""S3-compatible object storage (AWS S3, SeaweedFS, MinIO...): Dagster's ``S3Resource`` plus helpers.

``S3Store`` *is* ``dagster_aws.s3.S3Resource`` (same fields, same ``get_client()``), so the
endpoint, credentials and region are configured the way Dagster users know, in one place.
With a custom ``endpoint_url`` boto3 addresses buckets path-style (``http://host:9000/bucket``),
which every S3 stand-in accepts; without one it talks to AWS S3 as usual.
``scripts/s3_tool.py`` builds its client from the same resource.

One client for everything: the lake (``S3ParquetIOManager``), the landing zone and its
sensor all use ``client()``, so every field of ``S3Resource`` (``aws_session_token``,
``profile_name``, ``verify=False``, ``use_ssl``, ``max_attempts``, and ``ca_bundle`` (a private CA),
region, endpoint) holds for all of them; botocore's own variables (``AWS_CA_BUNDLE``, the
credential chain when no key is set) apply the same way.
"""

import os

from dagster_aws.s3 import S3Resource
from dagster_aws.s3.utils import construct_s3_client
from pydantic import Field, PrivateAttr

DEFAULT_AWS_REGION = "us-east-1"


class S3Store(S3Resource):
    """Connection to S3-compatible storage; the one place the endpoint is configured.

    The IO manager, the landing zone and the sensor all use this resource, so an
    endpoint can never be set in one of them and forgotten in another. An empty
    ``endpoint_url`` means real AWS S3.
    """

    region_name: str = DEFAULT_AWS_REGION
    # S3Resource's ``verify`` is a bool only, while boto3 also takes a CA bundle path.
    ca_bundle: str | None = Field(
        default=None,
        description="CA bundle (PEM file) to verify the endpoint's certificate with, e.g. a private CA. "
        "Unset: botocore's default (AWS_CA_BUNDLE, else certifi).",
    )

    _client = PrivateAttr(default=None)

    @classmethod
    def from_environment(cls, **overrides) -> "S3Store":
        """The store configured by S3_ENDPOINT_URL, AWS_* credentials and AWS_REGION (for scripts).

        Dagster resources resolve ``dg.EnvVar``s instead; this is the same resource outside a run.
        """
        return cls(
            endpoint_url=os.environ.get("S3_ENDPOINT_URL") or None,
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID") or None,
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
            region_name=os.environ.get("AWS_REGION") or DEFAULT_AWS_REGION,
            **overrides,
        )

    @property
    def endpoint(self) -> str | None:
        """The endpoint URL, or None for AWS (an empty string also means AWS)."""
        return self.endpoint_url or None

    def get_client(self):
        """``S3Resource.get_client()``, with ``ca_bundle`` (when set) as boto3's ``verify``."""
        return construct_s3_client(
            max_attempts=self.max_attempts,
            region_name=self.region_name,
            endpoint_url=self.endpoint_url,
            use_unsigned_session=self.use_unsigned_session,
            profile_name=self.profile_name,
            use_ssl=self.use_ssl,
            verify=self.ca_bundle or self.verify,
            aws_access_key_id=self.aws_access_key_id,
            aws_secret_access_key=self.aws_secret_access_key,
            aws_session_token=self.aws_session_token,
        )

    def client(self):
        """The boto3 S3 client of ``get_client()`` (created once per resource instance)."""
        if self._client is None:
            self._client = self.get_client()
        return self._client

    def put_bytes(self, bucket: str, key: str, body: bytes, content_type: str | None = None) -> str:
        """Write ``body`` to ``bucket/key``; return the new ETag."""
        extra = {"ContentType": content_type} if content_type else {}
        response = self.client().put_object(Bucket=bucket, Key=key, Body=body, **extra)
        return response["ETag"].strip('"')

    def exists(self, bucket: str, key: str) -> bool:
        """True when ``bucket/key`` exists."""
        try:
            self.client().head_object(Bucket=bucket, Key=key)
        except self.client().exceptions.ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def ensure_bucket(self, bucket: str) -> str:
        """Create ``bucket`` unless it exists; return ``"created"`` or ``"exists"``.

        Used by ``scripts/create_buckets.py``, the sample-file dropper and the tests.
        """
        client = self.client()
        try:
            client.head_bucket(Bucket=bucket)
            return "exists"
        except client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
                raise
        # us-east-1 rejects an explicit LocationConstraint; every other region needs one.
        location = (
            {}
            if self.region_name == DEFAULT_AWS_REGION
            else {"CreateBucketConfiguration": {"LocationConstraint": self.region_name}}
        )
        client.create_bucket(Bucket=bucket, **location)
        return "created"
