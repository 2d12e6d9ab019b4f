"""The Stripe adapter passes the provider contract the unit tests' fake passes, on the
real Stripe emulator (the contract is loaded from the generated service's tests)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Platform
from tests.integration.test_payment_support import generate

FOLDER = generate("payment", Path(__import__("tempfile").mkdtemp(prefix="payment-contract-")))
sys.path.insert(0, str(FOLDER / "src"))
_spec = importlib.util.spec_from_file_location(
    "payment_contracts", FOLDER / "tests" / "contracts.py"
)
assert _spec is not None and _spec.loader is not None
contracts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(contracts)

from payment.adapters.stripe_provider import StripePaymentProvider  # noqa: E402

pytestmark = pytest.mark.anyio
API_KEY = "sk_test_ecomctl"
CARDS = {"ok": "4242424242424242", "declined": "4000000000000341"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class TestStripePaymentProvider(contracts.PaymentProviderContract):  # type: ignore[misc]
    @pytest.fixture(autouse=True)
    def _base(self, platform: Platform) -> None:
        self.base = f"http://127.0.0.1:{platform.port('stripe')}"

    @pytest.fixture
    def provider(self) -> Any:
        return StripePaymentProvider(API_KEY, api_base=self.base)

    @pytest.fixture
    def broken_provider(self) -> Any:
        return StripePaymentProvider(API_KEY, api_base="http://127.0.0.1:9", timeout_s=2)

    async def method(self, kind: str) -> str:
        import stripe

        client = stripe.StripeClient(
            API_KEY, base_addresses={"api": self.base}, http_client=stripe.HTTPXClient()
        )
        card = {"number": CARDS[kind], "exp_month": 12, "exp_year": 2034, "cvc": "123"}
        created = await client.v1.payment_methods.create_async(
            params={"type": "card", "card": card}  # type: ignore[typeddict-item]
        )
        return str(created.id)
