"""One extract, three tables: a multi_asset reads the shop database in a single session."""

import dagster as dg
import pandas as pd

from app.lib.previews import frame_metadata
from app.owners import DATA_ENGINEERING
from app.resources.shop_source import ShopSource

GROUP = "shop"
KEY_PREFIX = "shop"

_TABLES = {
    "customers": "Customers of the shop with home region and signup date.",
    "orders": "The shop database's orders table (one row per order).",
    "order_items": "Order lines: product, quantity and unit price per order.",
}


# multi_asset because the three tables come from one consistent database snapshot:
# extracting them in separate steps could mix two points in time.
@dg.multi_asset(
    name="shop_database_export",
    group_name=GROUP,
    outs={
        name: dg.AssetOut(
            key_prefix=KEY_PREFIX,
            description=description,
            owners=[DATA_ENGINEERING],
            kinds={"python", "pandas"},
        )
        for name, description in _TABLES.items()
    },
    description="Snapshot customers, orders and order_items from the shop database.",
)
def shop_database_export(shop: ShopSource):
    """Yield one output per table, each with row count and preview metadata."""
    tables: dict[str, pd.DataFrame] = {
        "customers": shop.customers(),
        "orders": shop.orders(),
        "order_items": shop.order_items(),
    }
    for name, frame in tables.items():
        yield dg.Output(frame, output_name=name, metadata=frame_metadata(frame))
