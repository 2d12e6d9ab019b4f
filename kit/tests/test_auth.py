import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from ecomkit.auth import (
    Claims,
    MissingKeyConfig,
    TokenVerifier,
    current_user,
    require_key_config,
    require_roles,
    verifier_from_settings,
)
from ecomkit.jwks import JwksKeySet
from ecomkit.problem_handlers import install_problem_handlers
from ecomkit.problems import Unauthorized
from ecomkit.revocation import MemoryDenylist
from ecomkit.settings import ServiceSettings
from ecomkit.testing import TestKeys

KEYS = TestKeys()
SETTINGS = ServiceSettings(service_name="order", **KEYS.settings())
ISSUER = KEYS.issuer(SETTINGS)
pytestmark = pytest.mark.anyio


def claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "sub": "7",
        "username": "ann",
        "roles": ["USER"],
        "iss": SETTINGS.jwt_issuer,
        "aud": SETTINGS.jwt_audience,
        "iat": now,
        "exp": now + 300,
        "jti": "j1",
        "typ": "access",
    }
    base.update(overrides)
    return base


def signed(body: dict[str, object], kid: str | None = None) -> str:
    return jwt.encode(body, KEYS.key.private_key, "EdDSA", headers={"kid": kid or KEYS.key.kid})


def verifier(denylist: MemoryDenylist | None = None) -> TokenVerifier:
    return TokenVerifier(
        JwksKeySet.from_json(KEYS.jwks_json()),
        issuer=SETTINGS.jwt_issuer,
        audiences=[SETTINGS.jwt_audience, "order"],
        denylist=denylist,
    )


async def rejected(token: str, reason: str | None = None) -> None:
    with pytest.raises(Unauthorized, match=reason):
        await verifier().verify(token)


def b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, default=str).encode()).rstrip(b"=").decode()


async def test_issued_token_verifies_to_its_claims() -> None:
    token = ISSUER.issue_access(7, "ann", ["USER", "ADMIN"])
    verified = await verifier().verify(token)
    assert (verified.user_id, verified.username, verified.roles) == (7, "ann", ["USER", "ADMIN"])
    assert verified.exp > time.time()
    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "typ": "JWT", "kid": KEYS.key.kid}


async def test_rejects_alg_none() -> None:
    await rejected(jwt.encode(claims(), None, algorithm="none"), "invalid token")


async def test_rejects_hand_made_alg_none_token_with_a_kid() -> None:
    header = b64({"alg": "none", "typ": "JWT", "kid": KEYS.key.kid})
    await rejected(f"{header}.{b64(claims())}.", "invalid token")


async def test_rejects_hs256_signed_with_the_public_key() -> None:
    """Algorithm confusion: the JWKS's public key used as an HMAC secret."""
    public = json.loads(KEYS.jwks_json())["keys"][0]["x"]
    header = b64({"alg": "HS256", "typ": "JWT", "kid": KEYS.key.kid})
    import hashlib
    import hmac

    body = f"{header}.{b64(claims())}"
    mac = hmac.new(public.encode(), body.encode(), hashlib.sha256).digest()
    sig = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    await rejected(f"{body}.{sig}", "invalid token")


async def test_rejects_a_key_not_in_the_jwks() -> None:
    other = Ed25519PrivateKey.generate()
    forged = jwt.encode(claims(), other, "EdDSA", headers={"kid": KEYS.key.kid})
    await rejected(forged, "invalid token")
    await rejected(signed(claims(), kid="unknown-kid"), "unknown key")


async def test_rejects_expired() -> None:
    past = int(time.time()) - 600
    await rejected(signed(claims(iat=past, exp=past + 60)), "expired")


async def test_rejects_tampered_payload() -> None:
    header, payload, signature = ISSUER.issue_access(7, "ann", ["USER"]).split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["roles"] = ["ADMIN"]
    await rejected(f"{header}.{b64(data)}.{signature}", "invalid token")


async def test_rejects_wrong_audience_and_issuer() -> None:
    await rejected(signed(claims(aud="someone-else")), "audience")
    await rejected(signed(claims(iss="evil")), "issuer")


async def test_service_credential_is_for_its_audience_only() -> None:
    assert (await verifier().verify(ISSUER.issue_service("notification", "order"))).roles == [
        "SERVICE"
    ]
    await rejected(ISSUER.issue_service("notification", "user-auth"), "audience")


async def test_rejects_refresh_typ_missing_claims_and_garbage() -> None:
    await rejected(signed(claims(typ="refresh")), "not an access token")
    body = claims()
    del body["jti"]
    await rejected(signed(body), "invalid token")
    await rejected("not-a-jwt", "invalid token")


async def test_revoked_token_and_revoked_user_are_refused() -> None:
    denylist = MemoryDenylist()
    first, second = (ISSUER.issue_access(7, "ann", ["USER"]) for _ in range(2))
    claims_first = await verifier(denylist).verify(first)
    await denylist.revoke_token(claims_first.jti, claims_first.exp)
    with pytest.raises(Unauthorized, match="revoked"):
        await verifier(denylist).verify(first)
    assert (await verifier(denylist).verify(second)).user_id == 7
    await denylist.revoke_user(7, 900)
    with pytest.raises(Unauthorized, match="revoked"):
        await verifier(denylist).verify(second)
    assert await verifier(denylist).verify(ISSUER.issue_access(7, "ann", ["USER"]))


async def test_verify_bearer_parses_the_header() -> None:
    token = ISSUER.issue_access(7, "ann", [])
    assert (await verifier().verify_bearer(f"Bearer {token}")).user_id == 7
    for bad in (None, "", token, f"Basic {token}", "Bearer "):
        with pytest.raises(Unauthorized):
            await verifier().verify_bearer(bad)


def test_a_service_without_key_settings_refuses_to_start() -> None:
    with pytest.raises(MissingKeyConfig, match="ECOM_JWKS_URL is not set"):
        require_key_config(ServiceSettings(service_name="order"))
    with pytest.raises(MissingKeyConfig):
        verifier_from_settings(ServiceSettings())


def app_with_routes() -> FastAPI:
    app = FastAPI()
    app.state.settings = SETTINGS
    install_problem_handlers(app)

    @app.get("/me")
    async def me(user: Claims = Depends(current_user)) -> dict[str, object]:  # noqa: B008
        return {"id": user.user_id}

    @app.get("/admin", dependencies=[Depends(require_roles("ADMIN"))])
    async def admin() -> dict[str, str]:
        return {"ok": "yes"}

    return app


def test_fastapi_dependencies() -> None:
    client = TestClient(app_with_routes())
    user = {"Authorization": f"Bearer {ISSUER.issue_access(7, 'ann', ['USER'])}"}
    admin = {"Authorization": f"Bearer {ISSUER.issue_access(1, 'root', ['ADMIN'])}"}
    assert client.get("/me", headers=user).json() == {"id": 7}
    missing = client.get("/me")
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.headers["www-authenticate"] == "Bearer"
    assert client.get("/admin", headers=user).status_code == 403
    assert client.get("/admin", headers=admin).status_code == 200
