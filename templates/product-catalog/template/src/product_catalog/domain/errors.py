"""What can go wrong in the catalog: kinds of the kit's domain errors (ecomkit.errors),
answered with that kind's status; UpstreamUnavailable is the kit's."""

from __future__ import annotations

from ecomkit.errors import Conflict, Forbidden, InvalidInput, NotFound


class ProductNotFound(NotFound):
    what = "product"


class SkuTaken(Conflict):
    message = "sku {!r} is already used by another product"


class UnknownUser(InvalidInput):
    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} does not exist", field="userId")


class NotYourReview(Forbidden):
    message = "a review can only be posted for yourself"
