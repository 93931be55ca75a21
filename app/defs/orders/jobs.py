"""ingest_orders_job: the daily unpartitioned load of orders and the shop database snapshot."""

import dagster as dg

# Groups, not asset lists: a new asset in either group joins the job without edits here.
# Asset checks of the selected assets run in the same job automatically.
ingest_orders_job = dg.define_asset_job(
    name="ingest_orders_job",
    selection=dg.AssetSelection.groups("orders", "shop"),
    description="Load the orders API feed (raw_orders -> staged_orders) and the shop database snapshot.",
    tags={"platform/domain": "orders"},
)
