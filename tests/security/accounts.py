"""Accounts and tokens of the attack suite, through the gateway like any client."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from tests.integration.conftest import Platform

PASSWORD = "Sturdy-pass-42!"


def new_user(gateway: httpx.Client, password: str = PASSWORD) -> dict[str, Any]:
    """A fresh account, logged in: its profile fields and its token pair."""
    username = f"sec{uuid.uuid4().hex[:10]}"
    body = {"username": username, "email": f"{username}@example.com", "password": password}
    created = gateway.post("/api/auth/register", json=body)
    assert created.status_code == 202, created.text
    tokens = login(gateway, username, password)
    profile = gateway.get("/api/users/profile", headers=bearer(tokens["accessToken"]))
    assert profile.status_code == 200, profile.text
    return {**body, **profile.json(), **tokens}


def login(gateway: httpx.Client, username: str, password: str = PASSWORD) -> dict[str, Any]:
    response = gateway.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64json(value: dict[str, Any]) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    head, body, signature = token.split(".")
    decode = lambda s: json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))  # noqa: E731
    return decode(head), decode(body), signature


def own_orders(token: str) -> str:
    """The order service's list of the token holder's own orders (200 for the owner)."""
    return f"/api/orders/user/{parts(token)[1]['sub']}"


def mail_to(stack: Platform, address: str, subject: str, timeout_s: float = 20) -> str:
    """The text of the newest mail to `address` with `subject`, as the SMTP sink got it."""
    api = f"http://127.0.0.1:{stack.port('smtp', 'http')}/api/v1"
    query = f'to:"{address}" subject:"{subject}"'
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        listed = httpx.get(f"{api}/search", params={"query": query}, timeout=5).json()
        if listed.get("messages"):
            message = httpx.get(f"{api}/message/{listed['messages'][0]['ID']}", timeout=5).json()
            return str(message["Text"])
        time.sleep(0.5)
    raise AssertionError(f"no mail to {address} about {subject!r} in {timeout_s} s")


def mails_to(stack: Platform, address: str) -> list[str]:
    """The subjects of every mail to `address` so far."""
    api = f"http://127.0.0.1:{stack.port('smtp', 'http')}/api/v1"
    listed = httpx.get(f"{api}/search", params={"query": f'to:"{address}"'}, timeout=5).json()
    return sorted(str(m["Subject"]) for m in listed.get("messages") or [])
