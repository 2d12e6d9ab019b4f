"""user-auth settings: the kit's ECOM_* settings with this service's defaults."""

from __future__ import annotations

from ecomkit.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "user-auth"
    port: int = 8081
    database_url: str = "mysql+asyncmy://ecomctl:ecomctl@127.0.0.1:3306/users"
    # ECOM_PASSWORD_HASH_THREADS: argon2 hashes at once (each uses ~64 MiB and one core).
    password_hash_threads: int = 2
