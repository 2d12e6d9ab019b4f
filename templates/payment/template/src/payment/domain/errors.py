"""Domain errors: kinds of the kit's (ecomkit.errors), answered with that kind's status."""

from __future__ import annotations

from ecomkit.errors import Conflict, NotFound, Unavailable


class PaymentNotFound(NotFound):
    what = "payment"


class OrderCancelled(Conflict):
    message = "order {} is cancelled; it is not charged"


class NotRefundable(Conflict):
    message = "payment {} is {}; only a COMPLETED one is refunded"


class ProviderUnavailable(Unavailable):
    """A transient provider failure (connection refused, timeout, 5xx, rate limit): the
    consumer retries the event and finally dead-letters it; HTTP callers get a 503."""
