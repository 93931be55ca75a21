"""The landing zone: a bucket where partners drop CSV files, and what happens to them.

Object layout in ``LANDING_BUCKET``::

    incoming/<name>.csv             arrived, not yet published (watched by landing_zone_sensor)
    processed/<name>.csv            published to the warehouse (moved after the publish)
    quarantine/<name>.csv           rejected: malformed, too large, duplicate ids, bad name
    quarantine/<name>.csv.reason.txt  why it was quarantined (plain text)

Moves are conditional on the version a run read: the copy carries ``CopySourceIfMatch``
and the delete ``IfMatch`` with that ETag. A newer upload under the same name is never
filed under the old version's outcome and never deleted: it stays in incoming/, where the
sensor sees a new version and lands it next.
"""

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import botocore.exceptions
import dagster as dg

from dagster_platform.s3_store import S3Store

INCOMING_PREFIX = "incoming/"
PROCESSED_PREFIX = "processed/"
QUARANTINE_PREFIX = "quarantine/"
REASON_SUFFIX = ".reason.txt"
# Files are parsed in memory (about 10x their size): one huge file must not take the run
# container, or the host, down. Bigger files are quarantined from their S3 size alone.
DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._=-]")
# S3's refusal of a conditional request (copy_object says the name, managed copy's HEAD the status).
_PRECONDITION_FAILED = ("PreconditionFailed", "412")


def is_precondition_failed(exc: BaseException) -> bool:
    """True when ``exc`` is S3 refusing an If-Match: the object is no longer that version."""
    return isinstance(exc, botocore.exceptions.ClientError) and exc.response["Error"]["Code"] in _PRECONDITION_FAILED


def relative_name(key: str) -> str:
    """The part of a landing key after its top-level prefix (``incoming/a.csv`` -> ``a.csv``)."""
    return key.split("/", 1)[1] if "/" in key else key


def safe_quarantine_name(name: str) -> str:
    """A short, printable, unique stand-in for a file name that cannot be used as it is."""
    digest = hashlib.sha256(name.encode("utf-8", errors="surrogatepass")).hexdigest()[:12]
    return f"{_UNSAFE_NAME.sub('_', name)[:80]}-{digest}.csv"


@dataclass(frozen=True)
class LandingObject:
    """One file under incoming/: key, ETag and upload time (ISO, from the listing)."""

    key: str
    etag: str
    last_modified: str


@dataclass
class LandingFile:
    """An opened landing object: its size and ETag (from S3) and its body stream."""

    size: int
    body: BinaryIO
    etag: str


class LandingZone(dg.ConfigurableResource):
    """The landing bucket: list arrivals, read them, file them as processed or quarantined."""

    store: S3Store
    bucket: str
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES

    def list_incoming(self) -> Iterator[LandingObject]:
        """Every CSV object under ``incoming/`` (paginated: any number of files)."""
        paginator = self.store.client().get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=INCOMING_PREFIX):
            for obj in page.get("Contents", []):
                if obj["Key"].lower().endswith(".csv"):
                    yield LandingObject(
                        key=obj["Key"],
                        etag=obj["ETag"].strip('"'),
                        last_modified=obj["LastModified"].isoformat(),
                    )

    def open(self, key: str, etag: str = "") -> LandingFile:
        """Open a landing file for streaming; nothing is read yet.

        Falls back to ``processed/`` so a published file can be re-run. With ``etag``, the
        incoming object must still be that version (S3 ``IfMatch``): a file replaced after
        the sensor saw it fails here instead of being landed under the old version's run.
        """
        client = self.store.client()
        if not self.store.exists(self.bucket, key):
            processed = PROCESSED_PREFIX + relative_name(key)
            if self.store.exists(self.bucket, processed):
                key, etag = processed, ""  # a copy may carry a different ETag
        response = client.get_object(Bucket=self.bucket, Key=key, **({"IfMatch": etag} if etag else {}))
        return LandingFile(size=response["ContentLength"], body=response["Body"], etag=response["ETag"].strip('"'))

    def _move(self, source: str, target: str, etag: str = "") -> str:
        """Copy ``source`` to ``target``, then delete it, both conditional on ``etag`` (when given).

        Returns ``"moved"``; ``"superseded"`` when the source is no longer that version before
        the copy (nothing copied); or ``"kept"`` when a newer upload arrived between copy and
        delete (the target holds ``etag``'s bytes, the newer upload stays in the source).
        The managed copy goes multipart above 8 MB, every part under the same condition.
        """
        client = self.store.client()
        try:
            client.copy(
                {"Bucket": self.bucket, "Key": source},
                self.bucket,
                target,
                ExtraArgs={"CopySourceIfMatch": etag} if etag else None,
            )
        except botocore.exceptions.ClientError as exc:
            if is_precondition_failed(exc):
                return "superseded"
            raise
        try:
            client.delete_object(Bucket=self.bucket, Key=source, **({"IfMatch": etag} if etag else {}))
        except botocore.exceptions.ClientError as exc:
            if is_precondition_failed(exc):
                return "kept"
            raise
        return "moved"

    def mark_processed(self, key: str, etag: str = "") -> str | None:
        """Move ``key`` to ``processed/`` once published; return the new key.

        No-op when it is already there. With ``etag``, only that version moves: a newer
        upload under the same name stays in incoming/ for its own run. Returns None when
        the published version was replaced before it could be copied (it was overwritten
        by the newer upload, so processed/ cannot hold it).
        """
        target = PROCESSED_PREFIX + relative_name(key)
        if key != target and self.store.exists(self.bucket, key) and self._move(key, target, etag) == "superseded":
            return None
        return target

    def quarantine(self, key: str, reason: str, target_name: str | None = None, etag: str = "") -> str | None:
        """Move ``key`` to ``quarantine/`` and store ``reason`` next to it; return the new key.

        ``target_name`` replaces the file's own name (for names that cannot be used as keys).
        The reason is written first: a file is never in quarantine without its reason. With
        ``etag``, only that version moves; when a newer upload replaced it first, the reason
        is removed again, the newer upload stays in incoming/, and None is returned.
        """
        target = QUARANTINE_PREFIX + (target_name or relative_name(key))
        text = f"{reason}\noriginal key: {key!r}\n"
        self.store.put_bytes(self.bucket, target + REASON_SUFFIX, text.encode(), "text/plain")
        if self.store.exists(self.bucket, key) and self._move(key, target, etag) == "superseded":
            self.store.client().delete_object(Bucket=self.bucket, Key=target + REASON_SUFFIX)
            return None
        return target

    def drop(self, name: str, content: bytes) -> str:
        """Upload a file into ``incoming/`` as a partner would; return its key."""
        key = INCOMING_PREFIX + name
        self.store.put_bytes(self.bucket, key, content, "text/csv")
        return key
