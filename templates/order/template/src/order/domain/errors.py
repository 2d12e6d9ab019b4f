"""What can go wrong with orders. Each is a kind of the kit's domain errors, which the web
app answers with that kind's status (ecomkit.errors); UpstreamUnavailable is the kit's."""

from __future__ import annotations

from ecomkit.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Rejected,
    Unavailable,
)


class OrderNotFound(NotFound):
    what = "order"


class InvalidTransition(Conflict):
    """The state machine refuses the move (e.g. cancelling an order that is PAID)."""

    def __init__(self, order_id: int | None, current: str, wanted: str) -> None:
        super().__init__(f"order {order_id} is {current}; it cannot become {wanted}")
        self.current, self.wanted = current, wanted


class NotAllowed(Forbidden):
    pass


class UnknownUser(InvalidInput):
    message = "user {} does not exist"


class UnknownProduct(InvalidInput):
    def __init__(self, product_id: int) -> None:
        message = f"product {product_id} does not exist or is not for sale"
        super().__init__(message, field="items", productId=product_id)
        self.product_id = product_id


class MixedCurrencies(InvalidInput):
    def __init__(self, currencies: set[str]) -> None:
        super().__init__(f"the products are priced in different currencies: {sorted(currencies)}")


class IdempotencyKeyReused(Conflict):
    message = "this Idempotency-Key was already used for a different order"


class KeyTaken(DomainError):
    """Raised by the key store when a concurrent request stored the same key first."""


class BadQuery(Rejected):
    """A read-model query the API refuses (a range backwards or too long, a bad page)."""


class ReadModelUnavailable(Unavailable):
    """The projection has no serving generation yet (the service has just started)."""
