"""notification settings: the kit's ECOM_* settings (consumers and SMTP included) plus
Twilio, languages and how long a delivery may take."""

from __future__ import annotations

from ecomkit.settings import ConsumerSettings, SmtpSettings
from pydantic import SecretStr


class Settings(ConsumerSettings, SmtpSettings):
    service_name: str = "notification"
    port: int = 8086
    mongo_url: str = "mongodb://127.0.0.1:27017/notifications"
    # SMS go through Twilio only when all three are set; otherwise into Mongo (sms_outbox).
    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr = SecretStr("")
    twilio_from_number: str = ""
    default_language: str = "en"
    # How long a user's contact and preferences from user-auth are reused (0: ask each time).
    contact_cache_ttl_s: float = 5.0
    # A delivery still "sending" for longer than this is taken for a crashed attempt.
    sending_lease_s: float = 60.0
    consumer_concurrency: int = 4
    consumer_backoff_initial_s: float = 0.5
    consumer_backoff_max_s: float = 10.0
