"""The HTTP contract: status codes, problem bodies, RBAC; the bus runs on fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import jwt
import pytest
from ecomkit.keys import generate_key
from ecomkit.testing import TestKeys
from ecomkit.testing.fixtures import api_client, problem

from tests.contracts import UowFactory
from tests.fakes import FakeHasher, FakeMailer, FakeResetTokens, FakeStore
from user_auth.bootstrap import bootstrap
from user_auth.domain.model import Role
from user_auth.entrypoints.app import create_app
from user_auth.service_layer.mail import mail_sent
from user_auth.service_layer.sessions import SessionDependencies
from user_auth.settings import Settings

pytestmark = pytest.mark.anyio

KEYS = TestKeys()
SETTINGS = Settings(**KEYS.settings())
ADA = {"username": "ada", "email": "ada@example.com", "password": "s3cret-pass"}


@pytest.fixture
def mailer() -> FakeMailer:
    return FakeMailer()


@pytest.fixture
async def client(uow: UowFactory, mailer: FakeMailer) -> AsyncIterator[httpx.AsyncClient]:
    sessions = SessionDependencies(reset_tokens=FakeResetTokens(), mailer=mailer)
    bus = bootstrap(
        SETTINGS,
        uow=uow,
        hasher=FakeHasher(),
        tokens=KEYS.issuer(SETTINGS),
        sessions=sessions,
    )
    async with api_client(create_app(SETTINGS, bus=bus)) as client:
        yield client


async def tokens(client: httpx.AsyncClient, user: dict[str, str] = ADA) -> dict[str, str]:
    await client.post("/api/auth/register", json=user)
    response = await client.post(
        "/api/auth/login", json={"username": user["username"], "password": user["password"]}
    )
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_registration_answers_the_same_for_new_and_taken_accounts(
    client: httpx.AsyncClient, store: FakeStore, mailer: FakeMailer
) -> None:
    """Issue 16: nothing in the answer tells whether the username or email exists; the
    mail to the address does (the owner of a taken address is told, nobody else)."""
    attempts = [
        ADA,  # new
        {**ADA, "email": "other@example.com"},  # the username is taken
        {**ADA, "username": "ada2"},  # the email is taken
        ADA,  # both
    ]
    answers = [await client.post("/api/auth/register", json=body) for body in attempts]
    assert {a.status_code for a in answers} == {202}
    assert len({a.content for a in answers}) == 1 and "Location" not in answers[0].headers
    await mail_sent()
    assert len(store.users) == 1 and store.users[1].username == "ada"
    assert [(to, subject) for to, subject, _ in mailer.sent] == [
        ("ada@example.com", "Your account is ready"),
        ("other@example.com", "That username is taken"),
        ("ada@example.com", "Someone tried to register with your address"),
        ("ada@example.com", "Someone tried to register with your address"),
    ]
    assert "its username is ada" in mailer.sent[2][2]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"password": "short1"}, "password"),
        ({"password": "onlyletters"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"username": "a b"}, "username"),
    ],
)
async def test_bad_registration_is_422_with_field_errors(
    client: httpx.AsyncClient, change: dict[str, str], field: str
) -> None:
    response = await client.post("/api/auth/register", json={**ADA, **change})
    assert response.status_code == 422
    assert field in str(response.json()["errors"])


async def test_login_refresh_reuse_and_logout(client: httpx.AsyncClient) -> None:
    first = await tokens(client)
    assert first["tokenType"] == "Bearer" and int(first["expiresIn"]) > 0
    wrong = await client.post("/api/auth/login", json={"username": "ada", "password": "nope12345"})
    assert wrong.status_code == 401
    second = await client.post("/api/auth/refresh", json={"refreshToken": first["refreshToken"]})
    assert second.status_code == 200
    reused = await client.post("/api/auth/refresh", json={"refreshToken": first["refreshToken"]})
    assert reused.status_code == 401
    revoked = await client.post(
        "/api/auth/refresh", json={"refreshToken": second.json()["refreshToken"]}
    )
    assert revoked.status_code == 401
    third = await tokens(client)
    out = await client.post("/api/auth/logout", json={"refreshToken": third["refreshToken"]})
    assert out.status_code == 204
    after = await client.post("/api/auth/refresh", json={"refreshToken": third["refreshToken"]})
    assert after.status_code == 401


async def test_profile_and_preferences(client: httpx.AsyncClient) -> None:
    auth = bearer((await tokens(client))["accessToken"])
    assert (await client.get("/api/users/profile")).status_code == 401
    updated = await client.put(
        "/api/users/profile", headers=auth, json={"firstName": "Ada", "language": "de"}
    )
    assert updated.status_code == 200 and updated.json()["firstName"] == "Ada"
    bad = await client.put("/api/users/profile", headers=auth, json={"language": "xx"})
    assert bad.status_code == 422
    prefs = await client.put(
        "/api/users/preferences", headers=auth, json={"emailEnabled": False, "smsEnabled": True}
    )
    assert prefs.json() == {"emailEnabled": False, "smsEnabled": True, "pushEnabled": False}
    profile = (await client.get("/api/users/profile", headers=auth)).json()
    assert profile["language"] == "de" and profile["preferences"]["smsEnabled"]
    assert profile["lastLogin"] is not None


async def test_user_by_id_needs_a_token(client: httpx.AsyncClient) -> None:
    auth = bearer((await tokens(client))["accessToken"])
    assert (await client.get("/api/users/1")).status_code == 401
    assert (await client.get("/api/users/1", headers=auth)).json()["username"] == "ada"
    assert (await client.get("/api/users/999", headers=auth)).status_code == 404


async def test_admin_endpoints(client: httpx.AsyncClient, store: FakeStore) -> None:
    user = bearer((await tokens(client))["accessToken"])
    assert (await client.get("/api/users", headers=user)).status_code == 403
    assert (
        await client.put("/api/users/1/roles", headers=user, json={"roles": ["ADMIN"]})
    ).status_code == 403
    boss = {"username": "boss", "email": "boss@example.com", "password": "b0ss-pass"}
    await client.post("/api/auth/register", json=boss)
    store.users[2].roles = {Role.ADMIN}
    admin = bearer((await tokens(client, boss))["accessToken"])
    page = await client.get("/api/users?size=1", headers=admin)
    assert page.status_code == 200 and page.json()["total"] == 2 and len(page.json()["items"]) == 1
    roles = await client.put("/api/users/1/roles", headers=admin, json={"roles": ["user", "admin"]})
    assert roles.json()["roles"] == ["ADMIN", "USER"]


@pytest.mark.parametrize("kind", ["tampered", "wrong-key", "alg-none", "expired"])
async def test_bad_tokens_are_401(client: httpx.AsyncClient, kind: str) -> None:
    token = (await tokens(client))["accessToken"]
    claims = jwt.decode(token, options={"verify_signature": False})
    if kind == "tampered":
        head, _, rest = token.partition(".")
        body, _, sig = rest.partition(".")
        token = f"{head}.{body[:-2]}AA.{sig}"
    elif kind == "wrong-key":
        other = generate_key().private_key
        token = jwt.encode(claims, other, algorithm="EdDSA", headers={"kid": KEYS.key.kid})
    elif kind == "alg-none":
        token = jwt.encode({**claims, "roles": ["ADMIN"]}, "", algorithm="none")
    else:
        expired = {**claims, "exp": 1, "iat": 0}
        token = jwt.encode(expired, KEYS.key.private_key, "EdDSA", headers={"kid": KEYS.key.kid})
    assert (await client.get("/api/users/profile", headers=bearer(token))).status_code == 401


async def test_injection_looking_input_is_just_data(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/login", json={"username": "' OR '1'='1' --", "password": "x' OR 1=1 --"}
    )
    assert response.status_code == 401


async def test_a_user_reads_only_themself_by_id(
    client: httpx.AsyncClient, store: FakeStore
) -> None:
    """Issue 16 (IDOR): another user's id answers 404 like an unknown one; ADMIN and
    services read anyone."""
    ada = bearer((await tokens(client))["accessToken"])
    bob_user = {"username": "bob", "email": "bob@example.com", "password": "b0b-pass-123"}
    bob = bearer((await tokens(client, bob_user))["accessToken"])
    assert (await client.get("/api/users/1", headers=bob)).status_code == 404
    assert (await client.get("/api/users/2", headers=bob)).json()["username"] == "bob"
    store.users[2].roles = {Role.ADMIN}
    boss = bearer((await tokens(client, bob_user))["accessToken"])
    assert (await client.get("/api/users/1", headers=boss)).json()["username"] == "ada"
    assert (await client.get("/api/users/2", headers=ada)).status_code == 404


async def test_failed_logins_back_off_per_username(client: httpx.AsyncClient) -> None:
    """Issue 16 (brute force): after 5 failures the username waits, with Retry-After,
    even for the right password; other usernames are not affected."""
    await tokens(client)
    wrong = {"username": "ada", "password": "wrong-pass-1"}
    statuses = [(await client.post("/api/auth/login", json=wrong)).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    right = await client.post(
        "/api/auth/login", json={"username": "ADA", "password": ADA["password"]}
    )
    problem(right, 429)
    assert int(right.headers["retry-after"]) >= 1


async def test_an_address_in_its_backoff_is_refused_before_the_route(
    client: httpx.AsyncClient,
) -> None:
    """Once the throttle refused an address, its next guesses are answered by the gate:
    the same 429 problem with Retry-After, even for a body the route would reject (422),
    and counted in the RED metrics under the login route; other addresses go on."""
    from ecomkit.middleware import HTTP_REQUESTS

    refused = HTTP_REQUESTS.labels("POST", "/api/auth/login", "429")
    before = refused._value.get()
    attacker = {"X-Forwarded-For": "10.9.8.7"}
    for n in range(50):  # the IP's allowance, each guess a different username
        wrong = {"username": f"nobody{n}", "password": "wrong-guess-1"}
        assert (
            await client.post("/api/auth/login", json=wrong, headers=attacker)
        ).status_code == 401
    by_route = await client.post("/api/auth/login", json={"username": "x", "password": "y" * 8},
                                 headers=attacker)  # fmt: skip
    by_gate = await client.post("/api/auth/login", content=b"not json", headers=attacker)
    for answer in (by_route, by_gate):
        assert answer.status_code == 429 and int(answer.headers["retry-after"]) >= 1
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["status"] == 429
    assert refused._value.get() == before + 2
    other = await client.post("/api/auth/login", content=b"not json",
                              headers={"X-Forwarded-For": "10.9.8.8"})  # fmt: skip
    assert other.status_code == 422


async def test_jwks_is_public_and_holds_no_private_part(client: httpx.AsyncClient) -> None:
    document = (await client.get("/api/auth/jwks")).json()
    assert [key["kid"] for key in document["keys"]] == [KEYS.key.kid]
    assert all("d" not in key for key in document["keys"])


async def test_password_change_needs_the_current_password(client: httpx.AsyncClient) -> None:
    access = (await tokens(client))["accessToken"]
    wrong = {"currentPassword": "not-it", "newPassword": "n3w-secret-pass"}
    assert (
        await client.post("/api/auth/password", json=wrong, headers=bearer(access))
    ).status_code == 401
    right = {"currentPassword": ADA["password"], "newPassword": "n3w-secret-pass"}
    assert (
        await client.post("/api/auth/password", json=right, headers=bearer(access))
    ).status_code == 204
    old = {"username": "ada", "password": ADA["password"]}
    assert (await client.post("/api/auth/login", json=old)).status_code == 401
    new = {"username": "ada", "password": "n3w-secret-pass"}
    assert (await client.post("/api/auth/login", json=new)).status_code == 200


async def test_password_reset_by_emailed_one_time_token(
    client: httpx.AsyncClient, mailer: FakeMailer
) -> None:
    await tokens(client)
    for email in ("ada@example.com", "nobody@example.com"):
        response = await client.post("/api/auth/password/forgot", json={"email": email})
        assert response.status_code == 202, response.text
    await mail_sent()
    resets = [(to, body) for to, subject, body in mailer.sent if subject == "Reset your password"]
    assert [to for to, _ in resets] == ["ada@example.com"]  # nobody gets no mail
    token = resets[0][1].split("once): ")[1].split()[0]
    reset = {"token": token, "newPassword": "r3set-secret-pass"}
    assert (await client.post("/api/auth/password/reset", json=reset)).status_code == 204
    assert (await client.post("/api/auth/password/reset", json=reset)).status_code == 400
    login = {"username": "ada", "password": "r3set-secret-pass"}
    assert (await client.post("/api/auth/login", json=login)).status_code == 200


async def test_service_token_without_clients_configured_is_refused(
    client: httpx.AsyncClient,
) -> None:
    body = {"clientId": "order", "clientSecret": "guess", "audience": "user-auth"}
    assert (await client.post("/api/auth/token", json=body)).status_code == 401
