"""What can go wrong with orders; the entrypoints map these to HTTP problems."""

from __future__ import annotations


class DomainError(Exception):
    pass


class OrderNotFound(DomainError):
    def __init__(self, order_id: int) -> None:
        super().__init__(f"order {order_id} not found")


class InvalidTransition(DomainError):
    """The state machine refuses the move (e.g. cancelling an order that is PAID)."""

    def __init__(self, order_id: int | None, current: str, wanted: str) -> None:
        super().__init__(f"order {order_id} is {current}; it cannot become {wanted}")
        self.current, self.wanted = current, wanted


class NotAllowed(DomainError):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)


class UnknownUser(DomainError):
    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} does not exist")


class UnknownProduct(DomainError):
    def __init__(self, product_id: int) -> None:
        super().__init__(f"product {product_id} does not exist or is not for sale")
        self.product_id = product_id


class MixedCurrencies(DomainError):
    def __init__(self, currencies: set[str]) -> None:
        super().__init__(f"the products are priced in different currencies: {sorted(currencies)}")


class IdempotencyKeyReused(DomainError):
    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was already used for a different order")


class KeyTaken(DomainError):
    """Raised by the key store when a concurrent request stored the same key first."""


class UpstreamUnavailable(DomainError):
    """A service this one depends on cannot answer now; try again later."""

    def __init__(self, service: str) -> None:
        super().__init__(f"{service} is unavailable; try again later")


class BadQuery(DomainError):
    """A read-model query the API refuses (a range backwards or too long, a bad page)."""


class ReadModelUnavailable(DomainError):
    """The projection has no serving generation yet (the service has just started)."""
