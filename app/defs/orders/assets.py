"""Extract-and-load of the orders API feed, then a deduplicated staging table."""

import dagster as dg
import pandas as pd

from app.lib.previews import frame_metadata
from app.owners import DATA_ENGINEERING
from app.resources.shop_source import ShopSource

GROUP = "orders"


@dg.asset(
    group_name=GROUP,
    owners=[DATA_ENGINEERING],
    kinds={"python", "pandas"},
    description="Orders as the orders API delivers them (at least once, so rows may repeat).",
)
def raw_orders(context: dg.AssetExecutionContext, shop: ShopSource) -> dg.MaterializeResult[pd.DataFrame]:
    """Extract the orders feed and load it unchanged into the lake."""
    frame = shop.orders_api_feed()
    context.log.info(f"raw_orders: loaded {len(frame)} rows")
    return dg.MaterializeResult(value=frame, metadata=frame_metadata(frame))


@dg.asset(
    group_name=GROUP,
    owners=[DATA_ENGINEERING],
    kinds={"python", "pandas"},
    description="Orders with API re-sends removed: one row per order_id.",
)
def staged_orders(context: dg.AssetExecutionContext, raw_orders: pd.DataFrame) -> dg.MaterializeResult[pd.DataFrame]:
    """Deduplicate on ``order_id`` (keeping the last delivery) and sort."""
    frame = raw_orders.drop_duplicates(subset="order_id", keep="last").sort_values("order_id").reset_index(drop=True)
    dropped = len(raw_orders) - len(frame)
    context.log.info(f"staged_orders: dropped {dropped} duplicate deliveries")
    return dg.MaterializeResult(
        value=frame, metadata=frame_metadata(frame, dropped_duplicates=dg.MetadataValue.int(dropped))
    )
