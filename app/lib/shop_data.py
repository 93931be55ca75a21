"""Deterministic synthetic e-commerce data: customers, orders, order items, events.

Everything is derived from a seeded NumPy generator, so the same (seed, size, day)
always yields the same rows: tests can assert exact outcomes and no download is needed.
"""

import datetime as dt
import zlib

import numpy as np
import pandas as pd

REGIONS = ("eu", "us", "apac")
EVENT_TYPES = ("page_view", "add_to_cart", "checkout", "search")
FIRST_ORDER_DATE = dt.date(2026, 1, 1)
ORDER_DAYS = 60  # orders are spread over the first 60 days of 2026
ITEMS_PER_ORDER_MAX = 4
# The orders API delivers at least once: this share of rows is re-sent as duplicates.
API_DUPLICATE_SHARE = 0.03


def _rng(seed: int, *parts: str) -> np.random.Generator:
    """A generator that is stable per (seed, parts), independent of call order."""
    salt = zlib.crc32("/".join(parts).encode())
    return np.random.default_rng([seed, salt])


def customer_count(order_count: int) -> int:
    """How many customers a shop with ``order_count`` orders has (about 5 orders each)."""
    return max(1, order_count // 5)


def customers(order_count: int, seed: int) -> pd.DataFrame:
    """Customers table: one row per customer with home region and signup date."""
    n = customer_count(order_count)
    rng = _rng(seed, "customers")
    ids = np.arange(1, n + 1)
    return pd.DataFrame(
        {
            "customer_id": ids,
            "name": [f"customer-{i:05d}" for i in ids],
            "region": rng.choice(REGIONS, size=n),
            "signup_date": pd.to_datetime(FIRST_ORDER_DATE) - pd.to_timedelta(rng.integers(0, 365, size=n), unit="D"),
        }
    )


def orders(order_count: int, seed: int) -> pd.DataFrame:
    """Orders table: one row per order, unique ``order_id``, amounts in EUR."""
    cust = customers(order_count, seed)
    rng = _rng(seed, "orders")
    picks = rng.integers(0, len(cust), size=order_count)
    return pd.DataFrame(
        {
            "order_id": np.arange(1, order_count + 1),
            "customer_id": cust["customer_id"].to_numpy()[picks],
            "order_date": pd.to_datetime(FIRST_ORDER_DATE)
            + pd.to_timedelta(rng.integers(0, ORDER_DAYS, size=order_count), unit="D"),
            "region": cust["region"].to_numpy()[picks],
            "amount": np.round(rng.gamma(2.0, 40.0, size=order_count), 2),
        }
    )


def orders_api_feed(order_count: int, seed: int) -> pd.DataFrame:
    """Orders as the at-least-once API delivers them: the orders table plus re-sent rows."""
    base = orders(order_count, seed)
    rng = _rng(seed, "orders-api")
    resent = base.sample(frac=API_DUPLICATE_SHARE, random_state=rng.integers(2**31))
    return pd.concat([base, resent], ignore_index=True)


def order_items(order_count: int, seed: int) -> pd.DataFrame:
    """Order items: 1..4 lines per order, each with product, quantity and unit price."""
    rng = _rng(seed, "order_items")
    per_order = rng.integers(1, ITEMS_PER_ORDER_MAX + 1, size=order_count)
    order_ids = np.repeat(np.arange(1, order_count + 1), per_order)
    n = len(order_ids)
    return pd.DataFrame(
        {
            "order_item_id": np.arange(1, n + 1),
            "order_id": order_ids,
            "product_id": rng.integers(1, 200, size=n),
            "quantity": rng.integers(1, 5, size=n),
            "unit_price": np.round(rng.uniform(2.0, 120.0, size=n), 2),
        }
    )


def events(day: dt.date, order_count: int, seed: int) -> pd.DataFrame:
    """Clickstream events of one day (about one per ten orders), timestamps within that day."""
    rng = _rng(seed, "events", day.isoformat())
    n = max(1, order_count // 10)
    return pd.DataFrame(
        {
            "event_id": [f"{day:%Y%m%d}-{i:06d}" for i in range(n)],
            "event_date": pd.Timestamp(day),
            "event_time": pd.Timestamp(day) + pd.to_timedelta(rng.integers(0, 86_400, size=n), unit="s"),
            "customer_id": rng.integers(1, customer_count(order_count) + 1, size=n),
            "event_type": rng.choice(EVENT_TYPES, size=n),
        }
    )


def regional_orders(day: dt.date, region: str, order_count: int, seed: int) -> pd.DataFrame:
    """Orders placed on one day in one region (a slice as a regional shop would export it)."""
    rng = _rng(seed, "regional_orders", day.isoformat(), region)
    n = max(1, order_count // 30)
    return pd.DataFrame(
        {
            "order_id": [f"{region}-{day:%Y%m%d}-{i:05d}" for i in range(n)],
            "order_date": pd.Timestamp(day),
            "region": region,
            "amount": np.round(rng.gamma(2.0, 40.0, size=n), 2),
        }
    )
