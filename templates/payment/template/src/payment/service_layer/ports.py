"""The payment provider port (Stripe in production and locally, a fake in unit tests).

A decline is a business outcome (`ChargeResult.succeeded` False with a code), not an error;
a transient failure raises `ProviderUnavailable` so the caller retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class ChargeRequest:
    """One charge as the handler asks for it; the adapters read it, the fake records it."""

    order_id: int
    amount: Decimal
    currency: str
    payment_method_id: str | None
    idempotency_key: str


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    provider_ref: str | None
    decline_code: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class RefundResult:
    refund_ref: str


class PaymentProvider(Protocol):
    name: str

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge once: the same idempotency key never charges twice at the provider."""
        ...

    async def refund(
        self, provider_ref: str, amount: Decimal, idempotency_key: str
    ) -> RefundResult:
        """Refund (part of) a succeeded charge; raises `ProviderUnavailable` when it cannot."""
        ...
