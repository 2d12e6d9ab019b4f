"""What can go wrong with stock; the entrypoints map these to HTTP problems."""

from __future__ import annotations


class DomainError(Exception):
    pass


class ProductNotStocked(DomainError):
    def __init__(self, product_id: int) -> None:
        super().__init__(f"no inventory record for product {product_id}")


class CancelledMeanwhile(DomainError):
    """The order's cancellation was written while its reservation was: the reservation's
    transaction must be undone whole (with the inbox's, when joined) and the handler run
    again, which then finds the tombstone and refuses."""

    def __init__(self, order_id: int) -> None:
        super().__init__(f"order {order_id} was cancelled while it was being reserved")


class StockRuleBroken(DomainError):
    """A stock move would make a counter negative (a bug or a concurrent change)."""


class InvalidStockLevel(DomainError):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
