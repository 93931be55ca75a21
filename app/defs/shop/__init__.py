"""Snapshot of the shop database: customers, orders, order_items in one extract."""
