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
from collections.abc import Iterator
from contextlib import contextmanager

import botocore.exceptions
import dagster as dg
from dagster_aws.s3 import S3Resource
from dagster_aws.s3.utils import construct_s3_client
from pydantic import Field, PrivateAttr

DEFAULT_AWS_REGION = "us-east-1"
# botocore's attempts per S3 call (the first included), before a step retry takes over.
DEFAULT_S3_MAX_ATTEMPTS = 5

# Connection-level S3 errors (endpoint down, DNS, timeouts): worth retrying, unlike bad input,
# access denied or a missing object.
S3_UNREACHABLE = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.ReadTimeoutError,
    botocore.exceptions.ConnectionClosedError,
)


class S3UnavailableError(ConnectionError):
    """S3 could not be reached (not a problem of the data): the step is retried."""


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

    # A step that cannot reach S3 is retried by Dagster after 3, 9, 21 and 45 s (exponential
    # backoff): an outage of up to ~75 s passes unnoticed, a longer one fails the step after
    # ~80 s plus its five attempts (each a few seconds of botocore's own quick retries), with an
    # error naming the endpoint. Steps, not runs, are retried: run_retries never retries step
    # failures, and only S3 connection errors are (a bug in an asset is not hammered on).
    outage_step_retries: int = Field(
        default=4,
        description="How often a step that cannot reach S3 is retried before it fails (0: never).",
    )
    outage_retry_base_seconds: float = Field(
        default=3.0,
        description="Backoff base of those retries: waits of base * (2**n - 1), i.e. 3, 9, 21, 45 s.",
    )

    _client = PrivateAttr(default=None)

    @classmethod
    def from_environment(cls, **overrides) -> "S3Store":
        """The store configured by S3_ENDPOINT_URL, AWS_* credentials (session token included),
        AWS_REGION, AWS_CA_BUNDLE and S3_MAX_ATTEMPTS (for scripts).

        Dagster resources resolve ``dg.EnvVar``s instead; this is the same resource outside a run.
        """
        settings = {
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "aws_access_key_id": os.environ.get("AWS_ACCESS_KEY_ID") or None,
            "aws_secret_access_key": os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
            "region_name": os.environ.get("AWS_REGION") or DEFAULT_AWS_REGION,
            "aws_session_token": os.environ.get("AWS_SESSION_TOKEN") or None,
            "ca_bundle": os.environ.get("AWS_CA_BUNDLE") or None,
            "max_attempts": int(os.environ.get("S3_MAX_ATTEMPTS") or DEFAULT_S3_MAX_ATTEMPTS),
        }
        return cls(**{**settings, **overrides})

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

    def outage_retry_policy(self) -> dg.RetryPolicy:
        """The step retry schedule for S3 outages (``outage_step_retries``, exponential backoff)."""
        return dg.RetryPolicy(
            max_retries=self.outage_step_retries,
            delay=self.outage_retry_base_seconds,
            backoff=dg.Backoff.EXPONENTIAL,
        )

    @contextmanager
    def retry_step_when_unreachable(self, attempt: int, action: str) -> Iterator[None]:
        """Turn an S3 connection error inside the block into a Dagster step retry with backoff.

        ``attempt`` is the step's retry number (0 on the first try), ``action`` says what the
        step was doing (it goes into the error, with the endpoint). Re-running the step is safe
        because every write replaces its own object or slice, so a retry never duplicates data.
        """
        try:
            yield
        except S3_UNREACHABLE as exc:
            policy = self.outage_retry_policy()
            raise dg.RetryRequested(
                max_retries=policy.max_retries, seconds_to_wait=policy.calculate_delay(attempt + 1)
            ) from S3UnavailableError(f"S3 unreachable at {self.endpoint or 'AWS S3'} while {action}: {exc}")

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
