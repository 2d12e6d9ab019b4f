"""One signing key for the services the integration tests start themselves (no built-in
key exists): user-auth signs with it from a key file, the others verify with its JWKS
given inline (ECOM_JWKS), and the tests mint tokens with it as user-auth would."""

from __future__ import annotations

from pathlib import Path

from ecomkit.auth import TokenIssuer
from ecomkit.settings import ServiceSettings
from ecomkit.testing import TestKeys

KEYS = TestKeys()
JWKS = KEYS.jwks_json()
ISSUER: TokenIssuer = KEYS.issuer(ServiceSettings())


def verifying_env(redis_url: str = "") -> dict[str, str]:
    """What a service needs to verify tokens; without Redis, no revocation check."""
    return {"ECOM_JWKS": JWKS, "ECOM_REDIS_URL": redis_url}


def signing_env(folder: Path) -> dict[str, str]:
    """user-auth's key file, written into the test's own folder."""
    return {"ECOM_JWT_KEYS_FILE": str(KEYS.write_key_file(folder / "jwt-keys.json"))}
