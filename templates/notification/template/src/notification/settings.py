"""notification settings: the kit's ECOM_* settings plus SMTP, Twilio and sender names."""

from __future__ import annotations

from ecomkit.settings import ConsumerSettings
from pydantic import SecretStr


class Settings(ConsumerSettings):
    service_name: str = "notification"
    port: int = 8086
    mongo_url: str = "mongodb://127.0.0.1:27017/notifications"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    smtp_timeout_s: float = 10.0
    mail_from: str = "ecomctl shop <shop@ecomctl.local>"
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
