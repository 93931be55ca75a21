"""Referential integrity inside the shop snapshot."""

import dagster as dg
import pandas as pd

ORDER_ITEMS = dg.AssetKey(["shop", "order_items"])
ORDERS = dg.AssetKey(["shop", "orders"])


@dg.asset_check(
    asset=ORDER_ITEMS,
    additional_ins={"orders": dg.AssetIn(key=ORDERS)},
    description="Every order item belongs to an order in shop/orders.",
)
def order_items_reference_orders(order_items: pd.DataFrame, orders: pd.DataFrame) -> dg.AssetCheckResult:
    """Orphaned items point at a broken export; revenue still adds up, so WARN only."""
    orphans = order_items[~order_items["order_id"].isin(orders["order_id"])]
    return dg.AssetCheckResult(
        passed=orphans.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"orphan_count": dg.MetadataValue.int(len(orphans))},
    )
