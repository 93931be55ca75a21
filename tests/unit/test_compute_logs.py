"""The compute-log manager of dagster.yaml rides through S3 outages.

Real runs (in process, on a throw-away instance whose `compute_logs` block is dagster.yaml's)
upload their stdout/stderr to the test S3 server through an S3Gate, which the step closes
(connection refused, as a stopped S3) so that the upload at the end of the run meets the
outage. Judged by what is in the bucket afterwards, and by whether the run waited.
"""

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import boto3
import dagster as dg
import pytest
import yaml

from dagster_platform.compute_logs import MAX_WAIT_SECONDS, retry_waits

DAGSTER_YAML = Path(__file__).resolve().parents[2] / "dagster.yaml"
# Longer than botocore's own retries (they give up within ~0.1 s on a refused connection) and
# than the first three waits (1 + 2 + 4 s): only a retry loop gets the logs through.
OUTAGE_SECONDS = 6
TEARDOWN_ERROR = "Exception while cleaning up compute log capture"


def compute_logs_block(**config: object) -> dict:
    """dagster.yaml's `compute_logs` block, with some of its config replaced."""
    block = yaml.safe_load(DAGSTER_YAML.read_text())["compute_logs"]
    return {**block, "config": {**block["config"], **config}}


@dataclass
class LoggedRun:
    """A finished run, how long it took, and the compute-log objects S3 holds for it."""

    result: dg.ExecuteInProcessResult
    seconds: float
    logs: dict[str, bytes]

    def log(self, suffix: str) -> bytes:
        """The content of the one object whose key ends with `suffix` (e.g. ".out")."""
        found = [body for key, body in self.logs.items() if key.endswith(suffix)]
        assert len(found) == 1, f"objects ending {suffix!r}: {sorted(self.logs)}"
        return found[0]

    def engine_messages(self) -> list[str]:
        """The messages of the run's engine events (a failed log upload shows up there)."""
        return [event.message or "" for event in self.result.all_events if event.event_type_value == "ENGINE_EVENT"]


@pytest.fixture
def run_with_s3_logs(monkeypatch, s3_gate, s3_view, fresh_bucket, s3_store):
    """`run(during_step, **config)`: run one asset that prints a line to stdout and stderr and
    then calls `during_step(context)`, with dagster.yaml's compute logs going to a fresh bucket
    through the gate (`config` replaces settings of the block); return a LoggedRun.
    `run.objects_of_run(run_id, suffix)` reads that bucket directly (not through the gate)."""
    bucket = fresh_bucket("compute-logs")
    monkeypatch.setenv("COMPUTE_LOGS_BUCKET", bucket)
    monkeypatch.setenv("S3_ENDPOINT_URL", s3_gate.endpoint)
    monkeypatch.setenv("AWS_REGION", s3_store.region_name)
    monkeypatch.setenv("AWS_DEFAULT_REGION", s3_store.region_name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_store.aws_access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_store.aws_secret_access_key)
    # The manager builds its client from boto3's default session, which caches credentials.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)

    def run(during_step: Callable[[dg.AssetExecutionContext], None], **config: object) -> LoggedRun:
        @dg.asset
        def chatty(context: dg.AssetExecutionContext) -> None:
            print(f"stdout of {context.run.run_id}", flush=True)
            print(f"stderr of {context.run.run_id}", file=sys.stderr, flush=True)
            during_step(context)

        with dg.instance_for_test(overrides={"compute_logs": compute_logs_block(**config)}) as instance:
            start = time.monotonic()
            result = dg.materialize([chatty], instance=instance, raise_on_error=False)
            seconds = time.monotonic() - start
        return LoggedRun(result, seconds, objects_of_run(result.run_id))

    def objects_of_run(run_id: str, suffix: str = "") -> dict[str, bytes]:
        return {
            key: s3_view.read(bucket, key) for key in s3_view.keys(bucket) if run_id in key and key.endswith(suffix)
        }

    run.objects_of_run = objects_of_run  # type: ignore[attr-defined]  # for tests that look during the run
    return run


def test_logs_of_a_run_that_ends_during_an_s3_outage_reach_s3_when_it_is_back(run_with_s3_logs, s3_gate):
    """S3 goes down as the step ends, so the run's final upload meets the outage: the upload
    is retried until S3 is back, and both logs arrive whole; the run succeeds.

    Fails with dagster-aws's manager: the upload gives up at once and the bucket stays empty."""
    run = run_with_s3_logs(lambda context: s3_gate.down_for(OUTAGE_SECONDS))
    assert run.result.success
    assert f"stdout of {run.result.run_id}" in run.log(".out").decode()
    assert f"stderr of {run.result.run_id}" in run.log(".err").decode()
    assert TEARDOWN_ERROR not in run.engine_messages()
    assert run.seconds >= OUTAGE_SECONDS - 1, f"the upload did not wait for S3 ({run.seconds:.1f} s)"


def test_an_outage_longer_than_the_budget_gives_up_without_failing_the_run(run_with_s3_logs, s3_gate):
    """S3 stays down: after `upload_retry_seconds` (3 here) the upload fails as upstream's does,
    an engine event says so, and the run still succeeds: bounded, never a hung run."""
    run = run_with_s3_logs(lambda context: s3_gate.close(), upload_retry_seconds=3)
    assert run.result.success
    assert TEARDOWN_ERROR in run.engine_messages()
    assert run.logs == {}
    assert 3 <= run.seconds < 30, run.seconds


def test_errors_other_than_an_outage_are_not_retried(run_with_s3_logs, monkeypatch):
    """A refused signature (a wrong secret key) is not an outage: the upload fails at once,
    without a minute of retries, and the run succeeds."""
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-key")
    run = run_with_s3_logs(lambda context: None)
    assert run.result.success
    assert TEARDOWN_ERROR in run.engine_messages()
    assert run.logs == {}
    assert run.seconds < 20, f"a refused request was retried ({run.seconds:.1f} s)"


def test_partial_uploads_carry_on_after_an_outage(run_with_s3_logs, s3_gate):
    """With `upload_interval`, a step's logs reach S3 while it runs. S3 goes down for 3 s in the
    middle of the step: the background uploads skip those ticks and then go on, so a line
    printed after the outage shows up in the partial object before the step ends.

    Fails with dagster-aws's manager: its upload thread dies at the first failed tick."""
    seen_after_outage: list[bool] = []

    def outage_then_print(context: dg.AssetExecutionContext) -> None:
        s3_gate.down_for(3).join()
        time.sleep(1.5)  # at least one tick fails against the closed gate before it reopens
        print(f"after the outage in {context.run.run_id}", flush=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not seen_after_outage:
            partial = run_with_s3_logs.objects_of_run(context.run.run_id, ".out.partial")
            if any(b"after the outage" in body for body in partial.values()):
                seen_after_outage.append(True)
            time.sleep(0.5)

    run = run_with_s3_logs(outage_then_print, upload_interval=1)
    assert run.result.success
    assert seen_after_outage, "no partial upload after the outage"
    assert b"after the outage" in run.log(".out")


def test_the_budget_of_dagster_yaml_covers_a_30_second_outage():
    """The waits of dagster.yaml's `upload_retry_seconds` reach past 30 s, and none is longer
    than MAX_WAIT_SECONDS, so a returning S3 is used within seconds."""
    waits = retry_waits(compute_logs_block()["config"]["upload_retry_seconds"])
    assert sum(waits) >= 30 + MAX_WAIT_SECONDS, waits
    assert max(waits) <= MAX_WAIT_SECONDS, waits


def test_a_private_ca_and_temporary_keys_from_the_environment_carry_the_logs(
    run_with_s3_logs, monkeypatch, tls_front, private_ca, temporary_credentials
):
    """The compute logs honour the S3 variables the lake and the landing zone read: an HTTPS
    endpoint signed by a private CA (AWS_CA_BUNDLE) and temporary keys with their token."""
    monkeypatch.setenv("S3_ENDPOINT_URL", tls_front.endpoint)
    monkeypatch.setenv("AWS_CA_BUNDLE", str(private_ca[0]))
    for field, value in temporary_credentials.items():
        monkeypatch.setenv(field.upper(), value)
    run = run_with_s3_logs(lambda context: None)
    assert run.result.success
    assert TEARDOWN_ERROR not in run.engine_messages()
    assert f"stdout of {run.result.run_id}" in run.log(".out").decode()


def test_without_the_ca_bundle_the_logs_are_refused(run_with_s3_logs, monkeypatch, tls_front):
    """...and the CA is what made it work: without it the upload fails, the run still succeeds."""
    monkeypatch.setenv("S3_ENDPOINT_URL", tls_front.endpoint)
    run = run_with_s3_logs(lambda context: None)
    assert run.result.success
    assert TEARDOWN_ERROR in run.engine_messages()
    assert run.logs == {}
