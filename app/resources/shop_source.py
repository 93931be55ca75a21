"""The (synthetic) source systems of the shop: orders API and shop database."""

import datetime as dt

import dagster as dg
import pandas as pd

from app.lib import shop_data


class ShopSource(dg.ConfigurableResource):
    """Deterministic stand-in for the shop's systems; ``row_count`` sizes every table."""

    row_count: int = 1000
    seed: int = 42

    def orders_api_feed(self) -> pd.DataFrame:
        """Orders as the API delivers them (at least once: some rows repeat)."""
        return shop_data.orders_api_feed(self.row_count, self.seed)

    def customers(self) -> pd.DataFrame:
        """The customers table of the shop database."""
        return shop_data.customers(self.row_count, self.seed)

    def orders(self) -> pd.DataFrame:
        """The orders table of the shop database."""
        return shop_data.orders(self.row_count, self.seed)

    def order_items(self) -> pd.DataFrame:
        """The order items table of the shop database."""
        return shop_data.order_items(self.row_count, self.seed)

    def events(self, day: dt.date) -> pd.DataFrame:
        """Clickstream events of one day."""
        return shop_data.events(day, self.row_count, self.seed)

    def regional_orders(self, day: dt.date, region: str) -> pd.DataFrame:
        """Orders of one day in one region."""
        return shop_data.regional_orders(day, region, self.row_count, self.seed)
