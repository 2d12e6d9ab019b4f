import base64
import json
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from ecomkit.auth import (
    Claims,
    TokenIssuer,
    TokenVerifier,
    current_user,
    require_roles,
    verify_bearer,
)
from ecomkit.problem_handlers import install_problem_handlers
from ecomkit.problems import Unauthorized
from ecomkit.settings import ServiceSettings

SECRET = "a-test-secret-that-is-long-enough-0123456789"
SETTINGS = ServiceSettings(jwt_secret=SECRET)


def claims(**overrides: object) -> dict[str, object]:
    now = datetime.now(UTC)
    base: dict[str, object] = {
        "sub": "7",
        "username": "ann",
        "roles": ["USER"],
        "iss": SETTINGS.jwt_issuer,
        "aud": SETTINGS.jwt_audience,
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "jti": "j1",
        "typ": "access",
    }
    base.update(overrides)
    return base


def rejected(token: str, reason: str | None = None) -> None:
    with pytest.raises(Unauthorized, match=reason):
        TokenVerifier(SETTINGS).verify(token)


def test_issued_token_verifies_to_its_claims() -> None:
    token = TokenIssuer(SETTINGS).issue_access(7, "ann", ["USER", "ADMIN"])
    verified = TokenVerifier(SETTINGS).verify(token)
    assert (verified.user_id, verified.username, verified.roles) == (7, "ann", ["USER", "ADMIN"])
    assert verified.exp > time.time()
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_rejects_alg_none() -> None:
    rejected(jwt.encode(claims(), None, algorithm="none"), "invalid token")


def test_rejects_hand_made_alg_none_token() -> None:
    def b64(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj, default=str).encode()).rstrip(b"=").decode()

    body = claims(iat=int(time.time()), exp=int(time.time()) + 300)
    rejected(f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(body)}.", "invalid token")


def test_rejects_other_key() -> None:
    rejected(jwt.encode(claims(), "another-secret-that-is-long-enough-0123", algorithm="HS256"))


def test_rejects_expired() -> None:
    past = datetime.now(UTC) - timedelta(minutes=10)
    token = jwt.encode(claims(iat=past, exp=past + timedelta(minutes=1)), SECRET, "HS256")
    rejected(token, "expired")


def test_rejects_tampered_payload() -> None:
    token = TokenIssuer(SETTINGS).issue_access(7, "ann", ["USER"])
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["roles"] = ["ADMIN"]
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    rejected(f"{header}.{forged}.{signature}", "invalid token")


def test_rejects_wrong_audience() -> None:
    rejected(jwt.encode(claims(aud="someone-else"), SECRET, "HS256"), "audience")


def test_rejects_wrong_issuer() -> None:
    rejected(jwt.encode(claims(iss="evil"), SECRET, "HS256"), "issuer")


def test_rejects_refresh_typ() -> None:
    rejected(jwt.encode(claims(typ="refresh"), SECRET, "HS256"), "not an access token")


def test_rejects_missing_claims() -> None:
    body = claims()
    del body["jti"]
    rejected(jwt.encode(body, SECRET, "HS256"), "invalid token")


def test_rejects_garbage() -> None:
    rejected("not-a-jwt", "invalid token")


def test_verify_bearer_parses_the_header() -> None:
    verifier = TokenVerifier(SETTINGS)
    token = TokenIssuer(SETTINGS).issue_access(7, "ann", [])
    assert verify_bearer(f"Bearer {token}", verifier).user_id == 7
    for bad in (None, "", token, f"Basic {token}", "Bearer "):
        with pytest.raises(Unauthorized):
            verify_bearer(bad, verifier)


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
    issuer = TokenIssuer(SETTINGS)
    user = {"Authorization": f"Bearer {issuer.issue_access(7, 'ann', ['USER'])}"}
    admin = {"Authorization": f"Bearer {issuer.issue_access(1, 'root', ['ADMIN'])}"}
    assert client.get("/me", headers=user).json() == {"id": 7}
    missing = client.get("/me")
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.headers["www-authenticate"] == "Bearer"
    assert client.get("/admin", headers=user).status_code == 403
    assert client.get("/admin", headers=admin).status_code == 200
