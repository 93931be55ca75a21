"""landing_job: lands one file (partition) per run; launched by landing_zone_sensor."""

import dagster as dg

from app.defs.landing.assets import landed_orders, warehouse_landed_orders

landing_job = dg.define_asset_job(
    name="landing_job",
    selection=[landed_orders, warehouse_landed_orders],
    description="Validate, land and publish one landing file (the partition key is the file name).",
    tags={"platform/domain": "landing"},
)
