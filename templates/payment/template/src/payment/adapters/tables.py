"""The tables this service's code reads and writes.

They are declared in schema.py, which ecomctl renders from db/migration when it generates
or updates the service (`ecomctl generate tables` after adding a migration): the
migrations own the schema, and nothing restates it by hand.
"""

from __future__ import annotations

from payment.adapters.schema import order_cancellations, payments, transactions

__all__ = ["order_cancellations", "payments", "transactions"]
