"""user-auth settings: the kit's ECOM_* settings (SMTP included) with this service's defaults."""

from __future__ import annotations

import os

from ecomkit.settings import SmtpSettings
from pydantic import Field


class Settings(SmtpSettings):
    service_name: str = "user-auth"
    port: int = 8081
    database_url: str = "mysql+asyncmy://ecomctl:ecomctl@127.0.0.1:3306/users"
    # ECOM_PASSWORD_HASH_THREADS: argon2 hashes at once (each uses 19 MiB and one core).
    # One core is left to the event loop: with every core hashing, a burst of logins made
    # other users' requests 12 x slower on two cores, with one left free 6 x (login_burst).
    password_hash_threads: int = Field(default_factory=lambda: max(1, (os.cpu_count() or 2) - 1))
    # ECOM_PASSWORD_HASH_NICE: the hashing threads' nice value (Linux, per thread; 0 = as
    # the process). Above the event loop's 0, requests get a contended core first and a
    # burst of logins uses what is left; hashes still take every idle cycle.
    password_hash_nice: int = Field(default=10, ge=0, le=19)
    jwt_keys_file: str = ""
    """ECOM_JWT_KEYS_FILE: the signing key ring (ecomkit.keys), 0600, written by `ecomctl up`.
    No default and no built-in key: without it user-auth refuses to start."""
    service_clients_file: str = ""
    """ECOM_SERVICE_CLIENTS_FILE: the services' client secrets (client-credentials grant)."""
    password_reset_ttl_s: int = 900
    # No mail (and so no password-reset emails) unless the stack names an SMTP server.
    smtp_host: str = ""
    mail_from: str = "no-reply@ecomctl.local"
