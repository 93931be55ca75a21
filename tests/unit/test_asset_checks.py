"""Asset checks: pass on good data, fail with the declared severity, block downstream."""

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from app.defs.marts.customer_lifetime_value import customer_lifetime_value
from app.defs.orders import checks
from app.defs.orders.assets import raw_orders, staged_orders
from app.defs.shop.assets import shop_database_export
from app.defs.shop.checks import order_items_reference_orders
from app.resources.shop_source import ShopSource

ORDER_CHECKS = [
    checks.staged_orders_not_empty,
    checks.staged_orders_unique_order_id,
    checks.staged_orders_valid_amounts,
]
PIPELINE = [
    raw_orders,
    staged_orders,
    *ORDER_CHECKS,
    shop_database_export,
    order_items_reference_orders,
    customer_lifetime_value,
]


def _orders(order_ids, amounts) -> pd.DataFrame:
    return pd.DataFrame({"order_id": order_ids, "amount": amounts})


def test_all_checks_pass_on_generated_data_and_mart_is_published(dev_resources, warehouse):
    """The happy path: every check passes and the mart lands in the warehouse."""
    result = dg.materialize(PIPELINE, resources=dev_resources)
    assert result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {c.check_key.name for c in ORDER_CHECKS} | {"order_items_reference_orders"}
    assert all(e.passed for e in evaluations.values())
    published = warehouse.query("SELECT count(*) AS n FROM marts.customer_lifetime_value")
    assert published["n"][0] == len(dev_resources["shop"].customers())


@pytest.mark.parametrize(
    ("check", "frame", "severity", "metadata_key", "expected"),
    [
        (checks.staged_orders_not_empty, _orders([], []), dg.AssetCheckSeverity.ERROR, "row_count", 0),
        (
            checks.staged_orders_unique_order_id,
            _orders([1, 2, 2, 3, 3], [1.0] * 5),
            dg.AssetCheckSeverity.ERROR,
            "duplicate_count",
            2,
        ),
        (
            checks.staged_orders_valid_amounts,
            _orders([1, 2, 3], [5.0, 0.0, None]),
            dg.AssetCheckSeverity.WARN,
            "invalid_count",
            2,
        ),
    ],
)
def test_checks_fail_on_bad_data_with_their_severity(check, frame, severity, metadata_key, expected):
    """Each check, invoked directly, fails on a crafted frame and reports why."""
    result = check(frame)
    assert not result.passed
    assert result.severity == severity
    assert result.metadata[metadata_key].value == expected


def test_blocking_check_failure_skips_the_downstream_mart(s3_resources, warehouse):
    """An empty orders feed fails staged_orders:not_empty (blocking): the mart never runs."""
    resources = {**s3_resources, "shop": ShopSource(row_count=0)}
    result = dg.materialize(PIPELINE, resources=resources, raise_on_error=False)
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations["not_empty"] is False
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "staged_orders" in materialized
    assert "customer_lifetime_value" not in materialized
    assert not Path(warehouse.path).exists()  # nothing was published
