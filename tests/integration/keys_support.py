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
# Modules mint tokens once, at import; a CI run imports every module at its start and
# reaches some after more than the 15 minutes a real access token lives (they got 401).
# Tests of expiry build their own expired tokens (test_user_auth_service, test_gateway_edge).
TEST_RUN_TOKEN_TTL_S = 6 * 3600
ISSUER: TokenIssuer = KEYS.issuer(ServiceSettings(access_token_ttl_s=TEST_RUN_TOKEN_TTL_S))


def verifying_env(redis_url: str = "") -> dict[str, str]:
    """What a service needs to verify tokens; without Redis, no revocation check."""
    return {"ECOM_JWKS": JWKS, "ECOM_REDIS_URL": redis_url}


def signing_env(folder: Path) -> dict[str, str]:
    """user-auth's key file, written into the test's own folder."""
    return {"ECOM_JWT_KEYS_FILE": str(KEYS.write_key_file(folder / "jwt-keys.json"))}
