"""Sessions that end when they should: refresh reuse, logout, password change and reset,
role change, each checked at the gateway and at a service's own port."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.conftest import Platform
from tests.security.accounts import PASSWORD, bearer, login, mail_to, new_user, own_orders
from tests.security.conftest import service_url

pytestmark = pytest.mark.integration


def works(gateway: httpx.Client, stack: Platform, token: str) -> tuple[int, int]:
    """(status at the gateway, status at the order service's own port)."""
    through = gateway.get("/api/users/profile", headers=bearer(token)).status_code
    with httpx.Client(base_url=service_url(stack, "order"), timeout=10) as order:
        direct = order.get(own_orders(token), headers=bearer(token)).status_code
    return through, direct


def refresh(gateway: httpx.Client, token: str) -> int:
    return gateway.post("/api/auth/refresh", json={"refreshToken": token}).status_code


def test_refresh_reuse_revokes_the_family(gateway: httpx.Client) -> None:
    me = new_user(gateway)
    second = gateway.post("/api/auth/refresh", json={"refreshToken": me["refreshToken"]})
    assert second.status_code == 200
    assert (
        gateway.post("/api/auth/refresh", json={"refreshToken": me["refreshToken"]}).status_code
        == 401
    )
    family = gateway.post("/api/auth/refresh", json={"refreshToken": second.json()["refreshToken"]})
    assert family.status_code == 401


def test_refresh_never_extends_the_family(gateway: httpx.Client) -> None:
    """The absolute lifetime: a rotated refresh token expires with its family, not later."""
    me = new_user(gateway)
    first = me["refreshToken"]
    second = gateway.post("/api/auth/refresh", json={"refreshToken": first}).json()
    assert second["refreshToken"] != first  # rotation works; expiry checked in unit tests


def profile_reads_seen_by_user_auth(stack: Platform) -> float:
    """user-auth's own count of `GET /api/users/profile` requests, whatever their answer:
    it moves for every request the gateway forwards."""
    text = httpx.get(f"{service_url(stack, 'user-auth')}/metrics", timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "http_requests_total"
        and sample.labels.get("route") == "/api/users/profile"
    )


def test_access_token_replay_after_logout_is_refused_by_the_gateway_itself(
    gateway: httpx.Client, stack: Platform
) -> None:
    """The gateway's own denylist check refuses the replay: user-auth never sees it (the
    services check too, so a 401 alone would not show the gateway's check)."""
    me = new_user(gateway)
    assert works(gateway, stack, me["accessToken"]) == (200, 200)
    out = gateway.post(
        "/api/auth/logout",
        json={"refreshToken": me["refreshToken"]},
        headers=bearer(me["accessToken"]),
    )
    assert out.status_code == 204
    seen = profile_reads_seen_by_user_auth(stack)
    assert works(gateway, stack, me["accessToken"]) == (401, 401)
    assert profile_reads_seen_by_user_auth(stack) - seen == 0, "forwarded to user-auth"
    assert (
        gateway.post("/api/auth/refresh", json={"refreshToken": me["refreshToken"]}).status_code
        == 401
    )


def test_password_change_ends_every_session(gateway: httpx.Client, stack: Platform) -> None:
    me = new_user(gateway)
    other_session = login(gateway, me["username"])
    new_password = "An0ther-sturdy-pass"
    change = gateway.post(
        "/api/auth/password",
        json={"currentPassword": PASSWORD, "newPassword": new_password},
        headers=bearer(me["accessToken"]),
    )
    assert change.status_code == 204, change.text
    for session in (me, other_session):
        assert works(gateway, stack, session["accessToken"]) == (401, 401)
        assert refresh(gateway, session["refreshToken"]) == 401
    fresh = login(gateway, me["username"], new_password)
    assert works(gateway, stack, fresh["accessToken"]) == (200, 200)


def test_role_change_revokes_tokens_carrying_the_old_roles(
    gateway: httpx.Client, stack: Platform
) -> None:
    admin_name = f"adm{uuid.uuid4().hex[:8]}"
    created = stack.ecomctl(
        "users", "create-admin", "--username", admin_name, "--password", PASSWORD
    )
    assert created.returncode == 0, created.stderr
    admin = login(gateway, admin_name)
    user = new_user(gateway)
    promoted = gateway.put(
        f"/api/users/{user['id']}/roles",
        json={"roles": ["USER", "ADMIN"]},
        headers=bearer(admin["accessToken"]),
    )
    assert promoted.status_code == 200, promoted.text
    assert works(gateway, stack, user["accessToken"]) == (401, 401)
    assert (
        gateway.get(
            "/api/users", headers=bearer(login(gateway, user["username"])["accessToken"])
        ).status_code
        == 200
    )


def test_password_reset_by_emailed_one_time_token(gateway: httpx.Client, stack: Platform) -> None:
    me = new_user(gateway)
    unknown = gateway.post("/api/auth/password/forgot", json={"email": "nobody-" + me["email"]})
    asked = gateway.post("/api/auth/password/forgot", json={"email": me["email"]})
    assert unknown.status_code == asked.status_code == 202  # no hint which emails exist
    token = re.search(r"once\): (\S+)", mail_to(stack, me["email"], "Reset your password"))
    assert token is not None
    reset = {"token": token.group(1), "newPassword": "Res3t-sturdy-pass"}
    assert gateway.post("/api/auth/password/reset", json=reset).status_code == 204
    assert gateway.post("/api/auth/password/reset", json=reset).status_code == 400  # single use
    assert works(gateway, stack, me["accessToken"]) == (401, 401)  # old sessions ended
    login(gateway, me["username"], "Res3t-sturdy-pass")
    made_up = {"token": "x" * 43, "newPassword": "Res3t-sturdy-pass"}
    assert gateway.post("/api/auth/password/reset", json=made_up).status_code == 400
