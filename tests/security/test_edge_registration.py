"""Registration and login limits on the real stack (issue 16): registration does not tell
who is registered, /api/auth/* has its own stricter per-IP limit at the gateway, and the
login throttle is one limit for every user-auth instance (counted in Redis)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from ecomctl.stack.loader import load_stack
from tests.integration.conftest import Platform
from tests.security.accounts import PASSWORD, mail_to, mails_to
from tests.security.conftest import service_url

READY = "Your account is ready"
TAKEN_ADDRESS = "Someone tried to register with your address"
TAKEN_NAME = "That username is taken"


def _register(gateway: httpx.Client, username: str, email: str) -> httpx.Response:
    body = {"username": username, "email": email, "password": PASSWORD}
    return gateway.post("/api/auth/register", json=body)


def test_registration_does_not_tell_whether_a_username_or_email_exists(
    gateway: httpx.Client, stack: Platform
) -> None:
    name = f"reg{uuid.uuid4().hex[:10]}"
    owner, stranger = f"{name}@example.com", f"other-{name}@example.com"
    answers = [
        _register(gateway, name, owner),  # new
        _register(gateway, name, stranger),  # the username is taken
        _register(gateway, f"x{name}", owner),  # the email is taken (someone typed it)
    ]
    assert [a.status_code for a in answers] == [202, 202, 202]
    assert len({a.content for a in answers}) == 1  # byte for byte the same answer
    # The owner of the address is told; the one who typed it learns nothing by mail either.
    assert "its username is " + name in mail_to(stack, owner, TAKEN_ADDRESS)
    assert "no account was created" in mail_to(stack, stranger, TAKEN_NAME)
    assert READY in mails_to(stack, owner) and READY not in mails_to(stack, stranger)
    refused = gateway.post("/api/auth/login", json={"username": f"x{name}", "password": PASSWORD})
    assert refused.status_code == 401  # no second account on the same address


def _auth_limit() -> tuple[float, int]:
    env = load_stack().services["gateway"].env
    return float(env["ECOM_GATEWAY_AUTH_RATE_PER_IP_PER_S"]), int(
        env["ECOM_GATEWAY_AUTH_BURST_PER_IP"]
    )


async def _burst(url: str, source_ip: str, count: int) -> tuple[list[httpx.Response], float]:
    """`count` JWKS reads at once from `source_ip` (a loopback address of its own, so the
    burst spends a bucket no other test uses); the cheapest /api/auth/* call there is."""
    transport = httpx.AsyncHTTPTransport(local_address=source_ip)
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(
        base_url=url, transport=transport, limits=limits, timeout=30
    ) as client:
        started = time.monotonic()
        answers = await asyncio.gather(*(client.get("/api/auth/jwks") for _ in range(count)))
        return list(answers), time.monotonic() - started


def test_auth_paths_have_a_stricter_per_ip_limit_and_are_never_stored(
    stack: Platform, gateway: httpx.Client
) -> None:
    rate, burst = _auth_limit()
    url = f"http://127.0.0.1:{stack.port('gateway')}"
    answers, seconds = asyncio.run(_burst(url, "127.0.0.86", 3 * burst))
    admitted = [a for a in answers if a.status_code != 429]
    refused = [a for a in answers if a.status_code == 429]
    assert {a.status_code for a in admitted} == {200}
    assert len(admitted) <= (burst + rate * seconds) * 1.05, (len(admitted), seconds)
    assert len(admitted) >= burst * 0.95
    assert all(int(a.headers["retry-after"]) >= 1 for a in refused)
    assert all(a.headers["cache-control"] == "no-store" for a in answers)
    # The general per-IP limit is ten times higher: the same address still reads the catalog.
    with httpx.Client(
        base_url=url, transport=httpx.HTTPTransport(local_address="127.0.0.86"), timeout=10
    ) as same_address:
        assert same_address.get("/api/products").status_code == 200
    assert gateway.get("/api/products").headers.get("cache-control") != "no-store"


@pytest.fixture
def second_user_auth(stack: Platform) -> Iterator[str]:
    """A second user-auth instance (a release's other color: its own process and port, the
    same database and Redis), stopped again by `rollback`."""
    deployed = stack.ecomctl("deploy", "user-auth")
    assert deployed.returncode == 0, deployed.stderr
    try:
        registry = service_url(stack, "registry")
        listed = httpx.get(f"{registry}/api/registry/services/user-auth", timeout=10).json()
        urls = {i["url"].rstrip("/") for i in listed["instances"]}
        others = urls - {service_url(stack, "user-auth")}
        assert len(others) == 1, urls
        yield others.pop()
    finally:
        rolled_back = stack.ecomctl("rollback", "user-auth")
        assert rolled_back.returncode == 0, rolled_back.stderr


def test_every_user_auth_instance_holds_one_login_limit(
    gateway: httpx.Client, stack: Platform, second_user_auth: str
) -> None:
    """5 failures for a username are free in all: 3 on one instance and 2 on the other use
    them up, the next guess waits on either (with per-process counts each had 3 more)."""
    name = f"lim{uuid.uuid4().hex[:10]}"
    assert _register(gateway, name, f"{name}@example.com").status_code == 202
    guess = {"username": name, "password": "not-the-password-1"}
    first, second = service_url(stack, "user-auth"), second_user_auth
    statuses = [httpx.post(f"{first}/api/auth/login", json=guess).status_code for _ in range(3)]
    statuses += [httpx.post(f"{second}/api/auth/login", json=guess).status_code for _ in range(2)]
    assert statuses == [401] * 5
    for url in (first, second):
        waited = httpx.post(f"{url}/api/auth/login", json=guess)
        assert waited.status_code == 429 and int(waited.headers["retry-after"]) >= 1
