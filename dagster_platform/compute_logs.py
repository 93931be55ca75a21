"""The instance's compute-log manager (dagster.yaml `compute_logs`): dagster-aws's
`S3ComputeLogManager`, except that its uploads ride through a short S3 outage.

Upstream uploads a run's stdout/stderr once, when the run's steps are done, with botocore's
default retries: against a stopped S3 they give up within ~0.1 s (measured), and the logs of
that run never reach S3 (Dagster only records "Exception while cleaning up compute log
capture"; the run itself still succeeds). The partial uploads of `upload_interval` run in a
background thread that dies at its first error, so a long step stops streaming its logs.

Here only connection-level errors (`S3_UNREACHABLE`, the same ones steps retry) are waited out:
- the final upload is tried again after 1, 2, 4, 8, 8, ... s until `upload_retry_seconds`
  (dagster.yaml: 60) have passed since its first failure, then fails as upstream does. The
  run worker waits meanwhile, so a run that ends during an outage ends up to that much later;
- a partial upload that fails is skipped (the next interval's, or the final one, replaces
  it) and the thread carries on.
Access denied, a missing bucket and the like fail at once, as before.
"""

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import IO, Any

import dagster as dg
from dagster._core.storage.compute_log_manager import ComputeIOType
from dagster_aws.s3.compute_log_manager import S3ComputeLogManager

from dagster_platform.s3_store import S3_UNREACHABLE

logger = logging.getLogger("dagster_platform.compute_logs")

DEFAULT_UPLOAD_RETRY_SECONDS = 60.0
# Waits between attempts double from the first to this cap: a returning S3 is noticed within
# seconds, and a long outage costs a handful of attempts, not a busy loop.
FIRST_WAIT_SECONDS = 1.0
MAX_WAIT_SECONDS = 8.0


def retry_waits(budget_seconds: float) -> list[float]:
    """The waits before each further attempt of a failed upload, within `budget_seconds`."""
    waits: list[float] = []
    wait = FIRST_WAIT_SECONDS
    while sum(waits) + wait <= budget_seconds:
        waits.append(wait)
        wait = min(wait * 2, MAX_WAIT_SECONDS)
    return waits


class RetryingS3ComputeLogManager(S3ComputeLogManager):
    """`S3ComputeLogManager` whose final uploads wait out an S3 outage of up to
    `upload_retry_seconds`, and whose partial uploads skip one instead of stopping."""

    def __init__(self, *args: Any, upload_retry_seconds: float = DEFAULT_UPLOAD_RETRY_SECONDS, **kwargs: Any):
        self._upload_retry_seconds = float(upload_retry_seconds)
        super().__init__(*args, **kwargs)

    @classmethod
    def config_type(cls) -> dict:
        """Upstream's settings plus `upload_retry_seconds`."""
        return {
            **super().config_type(),
            "upload_retry_seconds": dg.Field(
                float,
                is_required=False,
                default_value=DEFAULT_UPLOAD_RETRY_SECONDS,
                description="How long a final upload that cannot reach S3 is retried (0: not at all).",
            ),
        }

    def _upload_file_obj(
        self, data: IO[bytes], log_key: Sequence[str], io_type: ComputeIOType, partial: bool = False
    ) -> None:
        if partial:
            try:
                super()._upload_file_obj(data, log_key, io_type, partial=True)
            except S3_UNREACHABLE as exc:
                logger.warning("Skipped a partial compute-log upload of %s, S3 unreachable: %s", "/".join(log_key), exc)
            return
        # boto3 closes the file when an upload fails: each retry reads it from a new handle.
        path, start = data.name, data.tell()
        with ExitStack() as reopened:
            for wait in [*retry_waits(self._upload_retry_seconds), None]:
                try:
                    super()._upload_file_obj(data, log_key, io_type, partial=False)
                    return
                except S3_UNREACHABLE as exc:
                    if wait is None:
                        raise
                    logger.warning(
                        "Compute-log upload of %s failed, S3 unreachable; trying again in %.0f s: %s",
                        "/".join(log_key),
                        wait,
                        exc,
                    )
                    time.sleep(wait)
                    data = reopened.enter_context(open(path, "rb"))
                    data.seek(start)

    @contextmanager
    def _poll_for_local_upload(self, log_key: Sequence[str]) -> Iterator[None]:
        # Upstream's thread ends at the first exception, and its completion check (a HEAD
        # request) raises while S3 is down: this one lives until the capture ends.
        if not self.upload_interval:
            yield
            return
        done = threading.Event()
        thread = threading.Thread(
            target=self._upload_partial_logs, args=(log_key, done), name="upload-watch", daemon=True
        )
        thread.start()
        try:
            yield
        finally:
            done.set()

    def _upload_partial_logs(self, log_key: Sequence[str], done: threading.Event) -> None:
        interval = self.upload_interval or 0
        while not done.wait(interval):
            try:
                self.on_progress(log_key)
            except S3_UNREACHABLE as exc:
                logger.warning("Skipped a partial compute-log upload of %s, S3 unreachable: %s", "/".join(log_key), exc)
