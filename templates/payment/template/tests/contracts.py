"""Contract tests of the payment provider port, run against the fake (here) and against
the Stripe adapter on the real emulator (the repository's integration suite,
tests/integration/test_payment_provider.py), so the fake cannot drift from Stripe."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from payment.domain.errors import ProviderUnavailable
from payment.service_layer.ports import PaymentProvider


def an_order_id() -> int:
    return random.randint(10**9, 10**12)


class PaymentProviderContract:
    """Subclasses provide the fixtures `provider` and `broken_provider` (a PaymentProvider
    that cannot reach its provider), and `method`."""

    async def method(self, kind: str) -> str:
        """A payment method id: kind "ok" charges, "declined" is declined at charge."""
        raise NotImplementedError

    async def test_a_good_card_is_charged(self, provider: PaymentProvider) -> None:
        order = an_order_id()
        result = await provider.charge(
            order, Decimal("19.99"), "USD", await self.method("ok"), f"order-{order}"
        )
        assert result.succeeded and result.provider_ref
        assert result.decline_code is None

    async def test_a_declined_card_is_an_outcome_with_a_code(
        self, provider: PaymentProvider
    ) -> None:
        order = an_order_id()
        result = await provider.charge(
            order, Decimal("5.00"), "EUR", await self.method("declined"), f"order-{order}"
        )
        assert not result.succeeded
        assert result.decline_code == "card_declined" and result.reason

    async def test_an_unknown_payment_method_fails_without_an_error(
        self, provider: PaymentProvider
    ) -> None:
        order = an_order_id()
        result = await provider.charge(
            order, Decimal("5.00"), "USD", "pm_does_not_exist_0", f"order-{order}"
        )
        assert not result.succeeded and result.decline_code

    async def test_no_payment_method_fails_without_an_error(
        self, provider: PaymentProvider
    ) -> None:
        order = an_order_id()
        result = await provider.charge(order, Decimal("5.00"), "USD", None, f"order-{order}")
        assert not result.succeeded and result.decline_code == "missing_payment_method"

    async def test_a_charge_is_refunded(self, provider: PaymentProvider) -> None:
        order = an_order_id()
        charged = await provider.charge(
            order, Decimal("12.50"), "USD", await self.method("ok"), f"order-{order}"
        )
        assert charged.provider_ref is not None
        refund = await provider.refund(charged.provider_ref, Decimal("12.50"), f"refund-{order}")
        assert refund.refund_ref

    async def test_an_unreachable_provider_raises_unavailable(
        self, broken_provider: PaymentProvider
    ) -> None:
        order = an_order_id()
        with pytest.raises(ProviderUnavailable):
            await broken_provider.charge(
                order, Decimal("1.00"), "USD", "pm_card_visa", f"order-{order}"
            )
