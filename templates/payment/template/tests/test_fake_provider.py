"""The fake provider honours the same contract as the Stripe adapter."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payment.adapters.stripe_provider import minor_units
from payment.service_layer.ports import PaymentProvider
from tests.contracts import PaymentProviderContract, a_charge
from tests.fakes import FAKE_DECLINED, FAKE_OK, FakePaymentProvider

pytestmark = pytest.mark.anyio


class TestFakePaymentProvider(PaymentProviderContract):
    @pytest.fixture
    def provider(self) -> PaymentProvider:
        return FakePaymentProvider()

    @pytest.fixture
    def broken_provider(self) -> PaymentProvider:
        return FakePaymentProvider(unavailable=True)

    async def method(self, kind: str) -> str:
        return {"ok": FAKE_OK, "declined": FAKE_DECLINED}[kind]


async def test_the_fake_honours_idempotency_keys() -> None:
    provider, charge = FakePaymentProvider(), a_charge(FAKE_OK)
    first, again = await provider.charge(charge), await provider.charge(charge)
    assert first == again and len(provider.charges) == 1


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [("19.99", "USD", 1999), ("0.01", "eur", 1), ("500", "JPY", 500), ("10.10", "GBP", 1010)],
)
def test_minor_units(amount: str, currency: str, expected: int) -> None:
    assert minor_units(Decimal(amount), currency) == expected
