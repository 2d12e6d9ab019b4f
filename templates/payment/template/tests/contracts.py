"""Contract tests of the payment provider port, run against the fake (here) and against
the Stripe adapter on the real emulator (the repository's integration suite,
tests/integration/test_payment_provider.py), so the fake cannot drift from Stripe."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from payment.domain.errors import ProviderUnavailable
from payment.service_layer.ports import ChargeRequest, PaymentProvider


def a_charge(method: str | None, amount: str = "5.00", currency: str = "USD") -> ChargeRequest:
    """A charge of an order no other test (or earlier run) charged: its own idempotency key."""
    order_id = random.randint(10**9, 10**12)
    return ChargeRequest(order_id, Decimal(amount), currency, method, f"order-{order_id}")


class PaymentProviderContract:
    """Subclasses provide the fixtures `provider` and `broken_provider` (a PaymentProvider
    that cannot reach its provider), and `method`."""

    async def method(self, kind: str) -> str:
        """A payment method id: kind "ok" charges, "declined" is declined at charge."""
        raise NotImplementedError

    async def test_a_good_card_is_charged(self, provider: PaymentProvider) -> None:
        result = await provider.charge(a_charge(await self.method("ok"), "19.99"))
        assert result.succeeded and result.provider_ref
        assert result.decline_code is None

    async def test_a_declined_card_is_an_outcome_with_a_code(
        self, provider: PaymentProvider
    ) -> None:
        result = await provider.charge(a_charge(await self.method("declined"), currency="EUR"))
        assert not result.succeeded
        assert result.decline_code == "card_declined" and result.reason

    async def test_an_unknown_payment_method_fails_without_an_error(
        self, provider: PaymentProvider
    ) -> None:
        result = await provider.charge(a_charge("pm_does_not_exist_0"))
        assert not result.succeeded and result.decline_code

    async def test_no_payment_method_fails_without_an_error(
        self, provider: PaymentProvider
    ) -> None:
        result = await provider.charge(a_charge(None))
        assert not result.succeeded and result.decline_code == "missing_payment_method"

    async def test_a_charge_is_refunded(self, provider: PaymentProvider) -> None:
        charge = a_charge(await self.method("ok"), "12.50")
        charged = await provider.charge(charge)
        assert charged.provider_ref is not None
        key = f"refund-{charge.order_id}"
        refund = await provider.refund(charged.provider_ref, charge.amount, key)
        assert refund.refund_ref

    async def test_an_unreachable_provider_raises_unavailable(
        self, broken_provider: PaymentProvider
    ) -> None:
        with pytest.raises(ProviderUnavailable):
            await broken_provider.charge(a_charge("pm_card_visa", "1.00"))
