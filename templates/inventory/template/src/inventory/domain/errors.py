"""What can go wrong with stock; the entrypoints map these to HTTP problems."""

from __future__ import annotations


class DomainError(Exception):
    pass


class ProductNotStocked(DomainError):
    def __init__(self, product_id: int) -> None:
        super().__init__(f"no inventory record for product {product_id}")


class StockRuleBroken(DomainError):
    """A stock move would make a counter negative (a bug or a concurrent change)."""


class InvalidStockLevel(DomainError):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
