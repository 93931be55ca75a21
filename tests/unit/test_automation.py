"""Declarative automation: the mart requests itself after ingestion, not on bad data."""

import dagster as dg
import pytest

from app.defs.automation.automation_sensor import default_automation_sensor
from app.defs.marts.customer_lifetime_value import customer_lifetime_value
from app.defs.orders import checks
from app.defs.orders.assets import raw_orders, staged_orders
from app.defs.shop.assets import shop_database_export
from app.resources.shop_source import ShopSource

INGEST_ASSETS = [raw_orders, staged_orders, shop_database_export]
INGEST_CHECKS = [
    checks.staged_orders_not_empty,
    checks.staged_orders_unique_order_id,
    checks.staged_orders_valid_amounts,
]


@pytest.fixture
def requested_after_ingest(instance, s3_resources):
    """Materialize what ingest_orders_job materializes; return the keys automation then requests."""

    def run(shop: ShopSource) -> set[str]:
        resources = {**s3_resources, "shop": shop}
        defs = dg.Definitions(
            assets=[*INGEST_ASSETS, customer_lifetime_value], asset_checks=INGEST_CHECKS, resources=resources
        )
        # A tick before ingestion, as the always-running sensor would have done.
        before = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        dg.materialize([*INGEST_ASSETS, *INGEST_CHECKS], resources=resources, instance=instance, raise_on_error=False)
        after = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=before.cursor)
        keys = defs.resolve_asset_graph().get_all_asset_keys()
        return {key.to_user_string() for key in keys if after.get_num_requested(key)}

    return run


def test_mart_is_requested_after_ingestion(requested_after_ingest, shop):
    """After the ingest assets update, customer_lifetime_value (and nothing else) is requested."""
    assert requested_after_ingest(shop) == {"customer_lifetime_value"}


def test_mart_waits_while_a_blocking_check_fails(requested_after_ingest):
    """An empty feed fails staged_orders:not_empty: the mart is not refreshed on top of it."""
    assert requested_after_ingest(ShopSource(row_count=0)) == set()


def test_automation_sensor_is_declared_running():
    """Dagster's implicit automation sensor starts STOPPED; ours is RUNNING and covers all assets."""
    assert default_automation_sensor.default_status == dg.DefaultSensorStatus.RUNNING
