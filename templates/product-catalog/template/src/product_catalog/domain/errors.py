"""What can go wrong in the catalog; the entrypoints map these to HTTP problems."""

from __future__ import annotations


class DomainError(Exception):
    pass


class ProductNotFound(DomainError):
    def __init__(self, product_id: int) -> None:
        super().__init__(f"product {product_id} not found")


class SkuTaken(DomainError):
    def __init__(self, sku: str) -> None:
        super().__init__(f"sku {sku!r} is already used by another product")


class UnknownUser(DomainError):
    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} does not exist")


class NotYourReview(DomainError):
    def __init__(self) -> None:
        super().__init__("a review can only be posted for yourself")


class UpstreamUnavailable(DomainError):
    """A service this one depends on (user-auth) cannot answer now; try again later."""

    def __init__(self, service: str) -> None:
        super().__init__(f"{service} is unavailable; try again later")
