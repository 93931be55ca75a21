"""Data quality checks on staged_orders.

Blocking ERROR checks stop downstream assets in the same run and keep the automated
mart (customer_lifetime_value) from refreshing on top of bad data; the WARN check only
flags.
"""

import dagster as dg
import pandas as pd

from app.defs.orders.assets import staged_orders


@dg.asset_check(asset=staged_orders, name="not_empty", blocking=True, description="staged_orders has at least one row.")
def staged_orders_not_empty(staged_orders: pd.DataFrame) -> dg.AssetCheckResult:
    """An empty orders table means the extract broke, never that nobody ordered."""
    return dg.AssetCheckResult(
        passed=len(staged_orders) > 0,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"row_count": dg.MetadataValue.int(len(staged_orders))},
    )


@dg.asset_check(
    asset=staged_orders, name="unique_order_id", blocking=True, description="order_id is unique in staged_orders."
)
def staged_orders_unique_order_id(staged_orders: pd.DataFrame) -> dg.AssetCheckResult:
    """Staging exists to deduplicate: a repeated order_id here is a bug that would double revenue."""
    duplicated = staged_orders["order_id"][staged_orders["order_id"].duplicated()]
    return dg.AssetCheckResult(
        passed=duplicated.empty,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "duplicate_count": dg.MetadataValue.int(len(duplicated)),
            "sample_duplicates": dg.MetadataValue.text(", ".join(map(str, duplicated.unique()[:10]))),
        },
    )


@dg.asset_check(asset=staged_orders, name="valid_amounts", description="Every order amount is present and positive.")
def staged_orders_valid_amounts(staged_orders: pd.DataFrame) -> dg.AssetCheckResult:
    """Zero or missing amounts happen (test orders, vouchers): worth a warning, not a stop."""
    invalid = staged_orders[~(staged_orders["amount"] > 0)]
    return dg.AssetCheckResult(
        passed=invalid.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "invalid_count": dg.MetadataValue.int(len(invalid)),
            "invalid_share": dg.MetadataValue.float(len(invalid) / max(1, len(staged_orders))),
        },
    )
