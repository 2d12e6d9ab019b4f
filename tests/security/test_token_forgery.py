"""Forged and bent tokens against the running stack: at the gateway and straight at a
service's own port (a service trusts nothing the gateway would have checked)."""

from __future__ import annotations

import hashlib
import hmac
import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from tests.integration.conftest import Platform
from tests.security.accounts import b64, b64json, bearer, new_user, parts
from tests.security.conftest import keys_file, service_url

pytestmark = pytest.mark.integration

PROTECTED = "/api/users/profile"  # user-auth, any signed-in user
ORDERS = "/api/orders/user/1"  # the order service's own port too


def refused(gateway: httpx.Client, stack: Platform, token: str) -> None:
    assert gateway.get(PROTECTED, headers=bearer(token)).status_code == 401
    with httpx.Client(base_url=service_url(stack, "order"), timeout=10) as order:
        assert order.get(ORDERS, headers=bearer(token)).status_code == 401


def test_the_stack_signs_with_eddsa_and_a_kid(gateway: httpx.Client) -> None:
    header, claims, _ = parts(new_user(gateway)["accessToken"])
    assert header["alg"] == "EdDSA" and header["kid"]
    assert claims["aud"] == "ecommerce" and claims["jti"]


def test_jwks_is_public_through_the_gateway_without_private_parts(gateway: httpx.Client) -> None:
    document = gateway.get("/api/auth/jwks").json()
    assert document["keys"] and all(k["kty"] == "OKP" and "d" not in k for k in document["keys"])


def test_alg_none_is_refused(gateway: httpx.Client, stack: Platform) -> None:
    header, claims, _ = parts(new_user(gateway)["accessToken"])
    none = b64json({**header, "alg": "none"}) + "." + b64json({**claims, "roles": ["ADMIN"]})
    refused(gateway, stack, none + ".")


def test_hs256_with_the_jwks_public_key_as_secret_is_refused(
    gateway: httpx.Client, stack: Platform
) -> None:
    header, claims, _ = parts(new_user(gateway)["accessToken"])
    public = gateway.get("/api/auth/jwks").json()["keys"][0]
    signing_input = b64json({**header, "alg": "HS256"}) + "." + b64json(claims)
    for secret in (public["x"].encode(), jwt.utils.base64url_decode(public["x"])):
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        refused(gateway, stack, f"{signing_input}.{b64(mac)}")


def test_a_key_of_the_attackers_own_is_refused(gateway: httpx.Client, stack: Platform) -> None:
    header, claims, _ = parts(new_user(gateway)["accessToken"])
    mine = Ed25519PrivateKey.generate()
    refused(gateway, stack, jwt.encode({**claims, "roles": ["ADMIN"]}, mine, "EdDSA", header))


def test_an_unknown_kid_is_refused(gateway: httpx.Client, stack: Platform) -> None:
    header, claims, _ = parts(new_user(gateway)["accessToken"])
    mine = Ed25519PrivateKey.generate()
    refused(gateway, stack, jwt.encode(claims, mine, "EdDSA", {**header, "kid": "made-up"}))


def test_tampered_claims_are_refused(gateway: httpx.Client, stack: Platform) -> None:
    token = new_user(gateway)["accessToken"]
    header, claims, signature = parts(token)
    forged = f"{b64json(header)}.{b64json({**claims, 'roles': ['ADMIN', 'USER']})}.{signature}"
    refused(gateway, stack, forged)


def test_an_expired_token_with_a_valid_signature_is_refused(
    gateway: httpx.Client, stack: Platform
) -> None:
    header, claims, _ = parts(new_user(gateway)["accessToken"])
    entry = next(k for k in keys_file(stack)["keys"] if k["kid"] == header["kid"])
    key = load_pem_private_key(entry["private_key_pem"].encode(), password=None)
    past = int(time.time()) - 3600
    expired = jwt.encode({**claims, "iat": past, "exp": past + 60}, key, "EdDSA", header)  # type: ignore[arg-type]
    refused(gateway, stack, expired)


def test_missing_role_is_403(gateway: httpx.Client, stack: Platform) -> None:
    user = new_user(gateway)
    assert gateway.get("/api/users", headers=bearer(user["accessToken"])).status_code == 403
    with httpx.Client(base_url=service_url(stack, "user-auth"), timeout=10) as direct:
        assert direct.get("/api/users", headers=bearer(user["accessToken"])).status_code == 403


def test_forged_identity_headers_straight_to_services_are_ignored(
    gateway: httpx.Client, stack: Platform
) -> None:
    forged = {"X-User-Id": "1", "X-User-Name": "root", "X-User-Roles": "ADMIN,SERVICE"}
    for service, path in (
        ("user-auth", "/api/users"),
        ("order", ORDERS),
        ("payment", "/api/payments/1"),
    ):
        with httpx.Client(base_url=service_url(stack, service), timeout=10) as direct:
            assert direct.get(path, headers=forged).status_code == 401, service
    as_user = {**forged, **bearer(new_user(gateway)["accessToken"])}
    with httpx.Client(base_url=service_url(stack, "user-auth"), timeout=10) as direct:
        assert direct.get("/api/users", headers=as_user).status_code == 403  # roles: the token's
