"""payment settings: the kit's ECOM_* settings plus the Stripe emulator's address and key."""

from __future__ import annotations

from ecomkit.settings import ConsumerSettings
from pydantic import SecretStr


class Settings(ConsumerSettings):
    service_name: str = "payment"
    port: int = 8084
    database_url: str = "postgresql+asyncpg://ecomctl:ecomctl@127.0.0.1:5432/payments"
    # The local Stripe emulator by default; point these at api.stripe.com with a real
    # secret key (sk_test_... or sk_live_...) to charge through Stripe itself.
    stripe_api_base: str = "http://127.0.0.1:12111"
    stripe_api_key: SecretStr = SecretStr("sk_test_ecomctl")
    stripe_timeout_s: float = 10.0
    # A transient provider failure (connection refused, 5xx) is retried by the consumer
    # ECOM_CONSUMER_MAX_ATTEMPTS times (the kit's default, 5) before going to <topic>.DLQ.
