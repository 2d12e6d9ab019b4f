"""The tables this service's code reads and writes.

They are declared in schema.py, which ecomctl renders from db/migration when it generates
or updates the service (`ecomctl generate tables` after adding a migration): the
migrations own the schema, and nothing restates it by hand.
"""

from __future__ import annotations

from recommendation.adapters.schema import order_lines, paid_orders, product_stock, reviews

__all__ = ["order_lines", "paid_orders", "product_stock", "reviews"]
