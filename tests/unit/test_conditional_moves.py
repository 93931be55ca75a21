"""Moves are conditional on the version a run read: an upload injected between the steps of a
move (real S3 requests, injected with botocore's event hooks) is never lost or misfiled."""

from collections.abc import Callable

import dagster as dg
import pytest
from dagster_duckdb_pandas import DuckDBPandasIOManager

from app.lib.landing_files import make_orders_csv
from app.resources.landing_zone import REASON_SUFFIX, LandingZone
from dagster_platform.s3_store import S3Store

OLD = make_orders_csv(3, seed=1)
NEW = make_orders_csv(5, seed=2)


@pytest.fixture
def own_client_zone(s3_store, landing_zone) -> LandingZone:
    """The test's landing bucket through an S3 client of its own, so hooks on it stay in this test."""
    store = S3Store(
        endpoint_url=s3_store.endpoint_url,
        aws_access_key_id=s3_store.aws_access_key_id,
        aws_secret_access_key=s3_store.aws_secret_access_key,
    )
    return LandingZone(store=store, bucket=landing_zone.bucket)


@pytest.fixture
def upload_just_before(own_client_zone, landing_zone):
    """Make a partner upload ``body`` to ``name`` right before the zone's next ``operation`` request."""

    def inject(operation: str, name: str, body: bytes) -> None:
        events = own_client_zone.store.client().meta.events
        event = f"before-call.s3.{operation}"

        def upload(**_kwargs) -> None:
            events.unregister(event, upload)  # once
            landing_zone.drop(name, body)  # the session's client, not the one being hooked

        events.register(event, upload)

    return inject


@pytest.fixture
def dropped(landing_zone):
    """Drop the old version of ``name``; return its key and ETag."""

    def drop(name: str) -> tuple[str, str]:
        key = landing_zone.drop(name, OLD)
        return key, landing_zone.open(key).etag

    return drop


def test_an_upload_before_the_copy_stays_in_incoming(own_client_zone, upload_just_before, dropped, keys, s3_view):
    """Published version replaced before its copy: nothing is filed as processed, the new upload stays."""
    key, etag = dropped("race-copy.csv")
    upload_just_before("CopyObject", "race-copy.csv", NEW)
    assert own_client_zone.mark_processed(key, etag) is None
    assert keys("processed/") == set()
    assert s3_view.read(own_client_zone.bucket, key) == NEW


def test_an_upload_between_copy_and_delete_is_kept(own_client_zone, upload_just_before, dropped, s3_view):
    """Replaced after the copy: processed/ holds the published bytes, incoming/ the new upload."""
    key, etag = dropped("race-delete.csv")
    upload_just_before("DeleteObject", "race-delete.csv", NEW)
    assert own_client_zone.mark_processed(key, etag) == "processed/race-delete.csv"
    assert s3_view.read(own_client_zone.bucket, "processed/race-delete.csv") == OLD
    assert s3_view.read(own_client_zone.bucket, key) == NEW


def test_a_replaced_file_is_not_quarantined_for_the_old_version(
    own_client_zone, upload_just_before, dropped, keys, s3_view
):
    """Quarantining a version that was replaced before its copy leaves no reason and no file behind."""
    key, etag = dropped("race-quarantine.csv")
    upload_just_before("CopyObject", "race-quarantine.csv", NEW)
    assert own_client_zone.quarantine(key, "bad rows", etag=etag) is None
    assert keys("quarantine/") == set()
    assert s3_view.read(own_client_zone.bucket, key) == NEW


def test_a_quarantined_file_has_its_reason_and_the_newer_upload_survives(
    own_client_zone, upload_just_before, dropped, keys, s3_view
):
    """Replaced between copy and delete: the old version is quarantined with its reason, the new one stays."""
    key, etag = dropped("race-kept.csv")
    upload_just_before("DeleteObject", "race-kept.csv", NEW)
    assert own_client_zone.quarantine(key, "bad rows", etag=etag) == "quarantine/race-kept.csv"
    assert keys("quarantine/") == {"quarantine/race-kept.csv", f"quarantine/race-kept.csv{REASON_SUFFIX}"}
    assert s3_view.read(own_client_zone.bucket, key) == NEW


class _ThenUpload(dg.IOManager):
    """An IO manager that lets a partner upload right after each output it stores."""

    def __init__(self, inner: dg.IOManager, upload: Callable[[], object]):
        self._inner = inner
        self._upload = upload

    def handle_output(self, context: dg.OutputContext, obj) -> None:
        """Store (publish), then the upload."""
        self._inner.handle_output(context, obj)
        self._upload()

    def load_input(self, context: dg.InputContext):
        """Read as the inner IO manager does."""
        return self._inner.load_input(context)


class PublishThenUpload(DuckDBPandasIOManager):
    """The real DuckDB warehouse IO manager, and a partner's upload of ``name`` right after each
    publish: the window between publishing a file and filing it as processed."""

    landing: LandingZone
    name: str
    body: str

    def create_io_manager(self, context) -> dg.IOManager:
        """The DuckDB IO manager, followed by the upload."""
        return _ThenUpload(super().create_io_manager(context), lambda: self.landing.drop(self.name, self.body.encode()))


def test_an_upload_during_a_run_is_landed_next(
    land, landing_sensor, landing_zone, s3_resources, warehouse_io_manager, keys, warehouse, s3_view
):
    """A new version arriving while the old one is published stays in incoming/ (not filed as
    processed under the old run), and the sensor's next run publishes the new rows."""
    racing = PublishThenUpload(
        database=warehouse_io_manager.database, landing=landing_zone, name="raced.csv", body=NEW.decode()
    )
    first = land({"raced.csv": OLD}, resources={**s3_resources, "warehouse_io_manager": racing})
    assert first["raced.csv"].success
    assert keys("processed/") == set() and s3_view.read(landing_zone.bucket, "incoming/raced.csv") == NEW

    [request] = landing_sensor.tick().run_requests
    assert landing_sensor.run(request, s3_resources).success
    assert warehouse.query("SELECT count(*) AS n FROM landing.warehouse_landed_orders")["n"][0] == 5
    assert keys("incoming/") == set() and s3_view.read(landing_zone.bucket, "processed/raced.csv") == NEW
