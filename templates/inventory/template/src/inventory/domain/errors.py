"""What can go wrong with stock: kinds of the kit's domain errors (ecomkit.errors), which
the web app answers with that kind's status."""

from __future__ import annotations

from ecomkit.errors import DomainError, InvalidInput, NotFound


class ProductNotStocked(NotFound):
    what = "inventory record for product"


class CancelledMeanwhile(DomainError):
    """The order's cancellation was written while its reservation was: the reservation's
    transaction must be undone whole (with the inbox's, when joined) and the handler run
    again, which then finds the tombstone and refuses."""

    message = "order {} was cancelled while it was being reserved"


class StockRuleBroken(DomainError):
    """A stock move would make a counter negative (a bug or a concurrent change)."""


class InvalidStockLevel(InvalidInput):
    pass
