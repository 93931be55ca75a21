"""raw_orders -> staged_orders with resource overrides: metadata, dedup, logs."""

import dagster as dg

from app.defs.orders.assets import raw_orders, staged_orders
from app.lib import shop_data


def test_raw_orders_reports_row_count_and_preview(dev_resources, shop):
    """raw_orders loads the whole feed, describes it in metadata, and logs its row count."""
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([raw_orders], resources=dev_resources, instance=instance)
    assert result.success
    metadata = result.asset_materializations_for_node("raw_orders")[0].metadata
    expected_rows = len(shop_data.orders_api_feed(shop.row_count, shop.seed))
    assert metadata["row_count"].value == expected_rows
    assert metadata["preview"].value.startswith("|")  # a Markdown table
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert f"raw_orders: loaded {expected_rows} rows" in messages


def test_staged_orders_removes_api_resends(dev_resources, shop):
    """staged_orders keeps exactly one row per order: the size of the shop's orders table."""
    result = dg.materialize([raw_orders, staged_orders], resources=dev_resources)
    staged = result.asset_value("staged_orders")
    assert staged["order_id"].is_unique
    assert len(staged) == shop.row_count
    metadata = result.asset_materializations_for_node("staged_orders")[0].metadata
    assert metadata["dropped_duplicates"].value == len(result.asset_value("raw_orders")) - shop.row_count > 0
