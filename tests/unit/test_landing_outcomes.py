"""No landing file is left unhandled: an unforeseen error quarantines it, a failed platform
sends it back to the sensor (real S3 + DuckDB)."""

import pytest

from app.defs.landing import assets, sensors
from app.lib.landing_files import make_orders_csv

TABLE = "landing.warehouse_landed_orders"


@pytest.fixture
def broken_warehouse(warehouse):
    """A warehouse whose landed-orders table cannot take the rows (an outage stand-in); call it to repair."""
    with warehouse.connect() as conn:
        conn.execute(f"CREATE SCHEMA {TABLE.split('.')[0]}; CREATE TABLE {TABLE} (source_file INTEGER)")

    def repair() -> None:
        with warehouse.connect() as conn:
            conn.execute(f"DROP TABLE {TABLE}")

    return repair


def test_an_unexpected_error_quarantines_the_file_with_its_reason(land, monkeypatch, keys, reason):
    """An exception nobody foresaw while landing ends in quarantine with the exception as the
    reason, instead of a failed run and a file stranded in incoming/."""

    def parser_bug(*_args, **_kwargs):
        raise ValueError("time data '2026-01-02' does not match format '%Y%m%d'")

    monkeypatch.setattr(assets, "parse_orders_csv", parser_bug)
    results = land({"surprise.csv": make_orders_csv(3)})
    assert not results["surprise.csv"].success
    assert keys("incoming/") == set()
    assert "quarantine/surprise.csv" in keys("quarantine/")
    assert reason("surprise.csv").startswith("unexpected error while landing the file (ValueError: time data")


def test_a_file_whose_run_failed_for_the_platform_is_requested_again(
    land, landing_sensor, broken_warehouse, s3_resources, monkeypatch, keys, warehouse
):
    """A warehouse outage fails the run and leaves the file in incoming/; the sensor waits for
    the back-off, requests it again under a new run key, and that run publishes it."""
    results = land({"outage.csv": make_orders_csv(4)})
    assert not results["outage.csv"].success
    assert keys("incoming/") == {"incoming/outage.csv"}
    assert landing_sensor.tick().run_requests == []  # the back-off has not passed

    monkeypatch.setattr(sensors, "RETRY_FIRST_SECONDS", 0.0)
    [again] = landing_sensor.tick().run_requests
    assert again.run_key.endswith("#1") and again.partition_key == "outage.csv"
    broken_warehouse()  # the outage ends
    assert landing_sensor.run(again, s3_resources).success
    assert keys("incoming/") == set() and keys("processed/") == {"processed/outage.csv"}
    assert warehouse.query(f"SELECT count(*) AS n FROM {TABLE}")["n"][0] == 4
    assert landing_sensor.tick().run_requests == []  # nothing left to land


def test_a_published_file_is_not_requested_again(land, landing_sensor, monkeypatch):
    """Without a back-off at all, a file that left incoming/ is never requested a second time."""
    monkeypatch.setattr(sensors, "RETRY_FIRST_SECONDS", 0.0)
    assert land({"done.csv": make_orders_csv(2)})["done.csv"].success
    assert landing_sensor.tick().run_requests == []


def test_the_back_off_doubles_per_attempt_up_to_its_cap():
    """5 min, 10 min, 20 min ... at most 6 h between runs of a file that keeps failing."""
    assert [sensors.retry_delay(n) for n in range(3)] == [300.0, 600.0, 1200.0]
    assert sensors.retry_delay(30) == sensors.RETRY_MAX_SECONDS
