"""landing_zone_sensor against a real S3 server: one run per file version, all pages."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

import dagster as dg
import pytest

from app.defs.landing.sensors import landing_zone_sensor
from app.lib.landing_files import make_orders_csv
from app.resources.landing_zone import REASON_SUFFIX

MANY_FILES = 1_050  # more than one ListObjectsV2 page (1,000 keys)


@pytest.fixture
def evaluate(instance, landing_zone):
    """Run one sensor tick with the given cursor; return the SensorResult."""

    def tick(cursor: str | None = None) -> dg.SensorResult:
        resources = {"landing_zone": landing_zone}
        with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as context:
            return landing_zone_sensor(context)

    return tick


def test_new_files_become_run_requests_with_key_and_partition(landing_zone, evaluate):
    """Each CSV under incoming/ yields a run keyed by key@etag, carrying the key in run config."""
    key = landing_zone.drop("orders-a.csv", make_orders_csv(5))
    landing_zone.drop("notes.txt", b"ignored: not a CSV")
    landing_zone.store.put_bytes(landing_zone.bucket, "processed/old.csv", make_orders_csv(5))

    result = evaluate()
    [request] = result.run_requests
    version = json.loads(result.cursor)[key]["version"]
    assert request.run_key == f"{key}@{version}"
    assert request.tags == {"landing/s3_key": key, "landing/version": version}
    assert request.partition_key == "orders-a.csv"
    assert request.run_config["ops"]["landed_orders"]["config"]["s3_key"] == key
    [partitions] = result.dynamic_partitions_requests
    assert list(partitions.partition_keys) == ["orders-a.csv"]


def test_a_file_is_requested_once_until_its_content_changes(landing_zone, evaluate):
    """With the cursor, a second tick requests nothing; a re-upload with new content is new."""
    landing_zone.drop("orders-b.csv", make_orders_csv(5, seed=1))
    first = evaluate()
    assert len(first.run_requests) == 1
    assert evaluate(first.cursor).run_requests == []

    landing_zone.drop("orders-b.csv", make_orders_csv(5, seed=2))
    third = evaluate(first.cursor)
    assert len(third.run_requests) == 1
    assert third.run_requests[0].run_key != first.run_requests[0].run_key


def test_more_than_one_page_of_objects(landing_zone, evaluate):
    """All files are found although S3 returns at most 1,000 keys per listing page."""
    body = make_orders_csv(2)
    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(lambda i: landing_zone.drop(f"bulk/{i:05d}.csv", body), range(MANY_FILES)))

    result = evaluate()
    assert len(result.run_requests) == MANY_FILES
    assert len({r.run_key for r in result.run_requests}) == MANY_FILES
    assert len(json.loads(result.cursor)) == MANY_FILES
    assert evaluate(result.cursor).run_requests == []


def test_the_same_content_uploaded_again_is_requested_again(landing_zone, evaluate):
    """A file landed (gone from incoming/) and then re-sent with identical bytes (same ETag)
    gets a new run key: it is landed again instead of being skipped silently."""
    body = make_orders_csv(5, seed=4)
    key = landing_zone.drop("resent.csv", body)
    first = evaluate()
    landing_zone.mark_processed(key)  # what publishing does
    emptied = evaluate(first.cursor)
    assert emptied.run_requests == [] and json.loads(emptied.cursor) == {}

    time.sleep(1.1)  # S3 upload times have one-second resolution
    landing_zone.drop("resent.csv", body)
    again = evaluate(emptied.cursor)
    [request] = again.run_requests
    [original] = first.run_requests
    assert request.run_key != original.run_key
    assert request.run_key.split("@")[1] == original.run_key.split("@")[1]  # same content (ETag)


def test_hostile_names_never_break_a_tick(landing_zone, evaluate, instance, s3_view):
    """Names that cannot be partition keys are quarantined by the sensor, under a safe name
    with the reason; every other file, however odd its name, is still requested."""
    body = make_orders_csv(3)
    hostile = ["new\nline.csv", "tab\t.csv", "dots...csv", "/".join(["x" * 60] * 4) + ".csv"]
    odd = ["zürich-订单.csv", "Case.csv", "case.csv", "a,b.csv", "pipe|here.csv"]
    for name in hostile + odd + ["a|b.csv"]:  # a|b.csv shares a,b.csv's lake object
        landing_zone.drop(name, body)
    instance.add_dynamic_partitions("landing_files", ["pipe_here.csv"])  # landed earlier

    result = evaluate()
    requested = sorted(r.partition_key for r in result.run_requests)
    assert requested == sorted(["zürich-订单.csv", "Case.csv", "case.csv", "a,b.csv"])
    assert sorted(json.loads(result.cursor)) == sorted(f"incoming/{n}" for n in requested)
    assert [o.key for o in landing_zone.list_incoming()] == sorted(f"incoming/{n}" for n in requested)
    reasons = {
        key: s3_view.read(landing_zone.bucket, key).decode()
        for key in s3_view.keys(landing_zone.bucket, "quarantine/")
        if key.endswith(REASON_SUFFIX)
    }
    assert len(reasons) == 6, reasons
    expected = [
        "control character '\\n'",
        "control character '\\t'",
        "'...'",
        "bytes long",
        "same lake object as the already landed 'a,b.csv'",
        "same lake object as the already landed 'pipe_here.csv'",
    ]
    for fragment in expected:
        assert any(fragment in text for text in reasons.values()), (fragment, reasons)
    assert all("original key: 'incoming/" in text for text in reasons.values())
