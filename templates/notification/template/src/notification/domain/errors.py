"""Domain errors. Transient ones make the consumer retry (and finally dead-letter), and
an HTTP caller gets a 503 (the kit's Unavailable)."""

from __future__ import annotations

from ecomkit.errors import DomainError, Unavailable


class TransientError(Unavailable):
    """Retrying later can succeed: the consumer retries with backoff, then dead-letters."""


class DeliveryFailed(TransientError):
    """The SMTP server or the SMS provider refused or could not be reached."""


class UpstreamUnavailable(TransientError):
    """user-auth could not tell who the user is."""


class DeliveryInProgress(TransientError):
    """Another attempt holds the claim on this notification; try again after it ends."""


class UnsupportedEvent(DomainError):
    pass
