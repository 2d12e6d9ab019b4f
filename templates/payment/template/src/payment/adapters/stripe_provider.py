"""The Stripe adapter, on the official SDK (async calls over httpx).

Locally it talks to the Stripe emulator `ecomctl up` starts (ECOM_STRIPE_API_BASE); with
a real secret key and https://api.stripe.com it charges through Stripe itself.

Outcome mapping (the contract tests in tests/contracts.py hold the fake to the same):
- PaymentIntent `succeeded` → ChargeResult(succeeded=True, provider_ref=pi_...);
- a card error (HTTP 402: declined, expired, ...) → succeeded=False with Stripe's code;
- an invalid request (unknown payment method, HTTP 400/404) → succeeded=False with the
  code "invalid_request": retrying cannot help, so the saga ends rather than stalls;
- connection errors, timeouts, 5xx, rate limits, bad API keys → `ProviderUnavailable`
  (the consumer retries, then dead-letters: nothing is dropped silently).
"""

from __future__ import annotations

from decimal import Decimal

import stripe
from ecomkit.tracing import client_span
from stripe.params import PaymentIntentCreateParams

from payment.domain.errors import ProviderUnavailable
from payment.service_layer.ports import ChargeRequest, ChargeResult, RefundResult

_STRIPE = {"peer.service": "stripe"}

# ISO 4217 currencies Stripe charges in whole units (no cents).
ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND",
     "VUV", "XAF", "XOF", "XPF"}
)  # fmt: skip


def minor_units(amount: Decimal, currency: str) -> int:
    """Stripe's integer amount: cents for most currencies, whole units for JPY & co."""
    if currency.upper() in ZERO_DECIMAL:
        return int(amount.quantize(Decimal(1)))
    return int((amount * 100).quantize(Decimal(1)))


class StripePaymentProvider:
    name = "stripe"

    def __init__(self, api_key: str, *, api_base: str | None = None, timeout_s: float = 10.0):
        base = {"api": api_base.rstrip("/")} if api_base else None
        self._client = stripe.StripeClient(
            api_key,
            base_addresses=base,  # type: ignore[arg-type]
            http_client=stripe.HTTPXClient(timeout=timeout_s),
            # The consumer owns retries (with backoff, then the DLQ); the key makes any
            # retry safe at Stripe.
            max_network_retries=0,
        )

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        if not request.payment_method_id:
            return ChargeResult(False, None, "missing_payment_method", "no payment method given")
        params: PaymentIntentCreateParams = {
            "amount": minor_units(request.amount, request.currency),
            "currency": request.currency.lower(),
            "payment_method": request.payment_method_id,
            "confirm": True,
            "metadata": {"order_id": str(request.order_id)},
        }
        span = {**_STRIPE, "order.id": request.order_id}
        try:
            # A decline raises CardError inside the span: the trace shows it in red.
            with client_span("stripe create payment_intent", **span):
                intent = await self._client.v1.payment_intents.create_async(
                    params=params, options={"idempotency_key": request.idempotency_key}
                )
        except stripe.CardError as error:
            intent_id = _intent_of(error)
            return ChargeResult(False, intent_id, error.code or "card_declined", _message(error))
        except stripe.InvalidRequestError as error:
            return ChargeResult(False, None, error.code or "invalid_request", _message(error))
        except stripe.StripeError as error:
            raise ProviderUnavailable(
                f"stripe: {type(error).__name__}: {_message(error)}"
            ) from error
        if intent.status == "succeeded":
            return ChargeResult(True, intent.id)
        # requires_action (3-D Secure) and the like cannot complete without the customer.
        return ChargeResult(False, intent.id, intent.status, f"payment intent is {intent.status}")

    async def refund(
        self, provider_ref: str, amount: Decimal, idempotency_key: str
    ) -> RefundResult:
        try:
            with client_span("stripe create refund", **_STRIPE):
                intent = await self._client.v1.payment_intents.retrieve_async(provider_ref)
                refund = await self._client.v1.refunds.create_async(
                    params={
                        "payment_intent": provider_ref,
                        "amount": minor_units(amount, intent.currency),
                    },
                    options={"idempotency_key": idempotency_key},
                )
        except stripe.StripeError as error:
            raise ProviderUnavailable(
                f"stripe refund: {type(error).__name__}: {_message(error)}"
            ) from error
        return RefundResult(refund.id)


def _message(error: stripe.StripeError) -> str:
    return str(error.user_message or error._message or type(error).__name__)


def _intent_of(error: stripe.CardError) -> str | None:
    detail = error.error
    intent = getattr(detail, "payment_intent", None) if detail is not None else None
    return getattr(intent, "id", None)
