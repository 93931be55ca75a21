"""The landing zone: a bucket where partners drop CSV files, and what happens to them.

Object layout in ``LANDING_BUCKET``::

    incoming/<name>.csv             arrived, not yet landed (watched by landing_zone_sensor)
    processed/<name>.csv            landed into the lake (moved by the landed_orders asset)
    quarantine/<name>.csv           malformed, never loaded
    quarantine/<name>.csv.reason.txt  why it was quarantined (plain text)
"""

from collections.abc import Iterator

import dagster as dg

from app.resources.s3_store import S3Object, S3Store

INCOMING_PREFIX = "incoming/"
PROCESSED_PREFIX = "processed/"
QUARANTINE_PREFIX = "quarantine/"
REASON_SUFFIX = ".reason.txt"


def relative_name(key: str) -> str:
    """The part of a landing key after its top-level prefix (``incoming/a.csv`` -> ``a.csv``)."""
    return key.split("/", 1)[1] if "/" in key else key


class LandingZone(dg.ConfigurableResource):
    """The landing bucket: list arrivals, read them, file them as processed or quarantined."""

    store: S3Store
    bucket: str

    def list_incoming(self) -> Iterator[S3Object]:
        """Every CSV object under ``incoming/`` (paginated: any number of files)."""
        for obj in self.store.list_objects(self.bucket, INCOMING_PREFIX):
            if obj.key.lower().endswith(".csv"):
                yield obj

    def read(self, key: str) -> bytes:
        """Read a landing file; falls back to ``processed/`` so a landed file can be re-run."""
        if not self.store.exists(self.bucket, key):
            processed = PROCESSED_PREFIX + relative_name(key)
            if self.store.exists(self.bucket, processed):
                key = processed
        return self.store.get_bytes(self.bucket, key)

    def mark_processed(self, key: str) -> str:
        """Move ``key`` to ``processed/``; return the new key (no-op when already there)."""
        target = PROCESSED_PREFIX + relative_name(key)
        if key != target and self.store.exists(self.bucket, key):
            self.store.move(self.bucket, key, target)
        return target

    def quarantine(self, key: str, reason: str) -> str:
        """Move ``key`` to ``quarantine/`` and store ``reason`` next to it; return the new key."""
        target = QUARANTINE_PREFIX + relative_name(key)
        self.store.put_bytes(self.bucket, target + REASON_SUFFIX, reason.encode(), "text/plain")
        if self.store.exists(self.bucket, key):
            self.store.move(self.bucket, key, target)
        return target

    def drop(self, name: str, content: bytes) -> str:
        """Upload a file into ``incoming/`` as a partner would; return its key."""
        key = INCOMING_PREFIX + name
        self.store.put_bytes(self.bucket, key, content, "text/csv")
        return key
