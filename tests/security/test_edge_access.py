"""Issue 16 through the gateway: no user reads another's record (IDOR), login guesses
back off per username, the gateway's operator pages are ADMIN's, and a failing upstream's
problem body names no internal address."""

from __future__ import annotations

import httpx
import pytest

from tests.security.conftest import PASSWORD, new_user, register


def test_a_user_cannot_read_another_user(gateway: httpx.Client, admin: dict[str, str]) -> None:
    victim_id, victim = new_user(gateway)
    attacker_id, attacker = new_user(gateway)
    stolen = gateway.get(f"/api/users/{victim_id}", headers=attacker)
    assert stolen.status_code == 404 and "email" not in stolen.text
    for probe in (1, 2, 3):  # what the issue tried: low ids, whoever they are
        if probe != attacker_id:
            assert gateway.get(f"/api/users/{probe}", headers=attacker).status_code == 404
    assert gateway.get(f"/api/users/{victim_id}", headers=victim).status_code == 200
    assert gateway.get(f"/api/users/{victim_id}", headers=admin).status_code == 200


def test_login_guesses_back_off_per_username(gateway: httpx.Client) -> None:
    """5 wrong guesses are answered, then the username waits (1 s, doubling per further
    failure). On a loaded machine a wait may run out before the next guess arrives: then
    that guess counts and the next wait is longer, so a 429 comes all the same."""
    username = register(gateway)
    guess = {"username": username, "password": "not-the-password-1"}
    statuses = [gateway.post("/api/auth/login", json=guess).status_code for _ in range(5)]
    assert statuses == [401] * 5
    for _ in range(5):
        refused = gateway.post("/api/auth/login", json=guess)
        if refused.status_code == 429:
            break
        assert refused.status_code == 401
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    right = gateway.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert right.status_code == 429  # even the right password waits


@pytest.mark.parametrize("path", ["/gateway/routes", "/metrics", "/docs", "/openapi.json"])
def test_operator_pages_are_admin_only(
    gateway: httpx.Client, admin: dict[str, str], path: str
) -> None:
    _, user = new_user(gateway)
    assert gateway.get(path).status_code == 401
    assert gateway.get(path, headers=user).status_code == 403
    shown = gateway.get(path, headers=admin)
    assert shown.status_code == 200
