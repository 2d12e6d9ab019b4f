"""The tables this service's code reads and writes.

They are declared in schema.py, which ecomctl renders from db/migration when it generates
or updates the service (`ecomctl generate tables` after adding a migration): the
migrations own the schema, and nothing restates it by hand.
"""

from __future__ import annotations

from user_auth.adapters.schema import refresh_tokens, user_roles, users

__all__ = ["refresh_tokens", "user_roles", "users"]
