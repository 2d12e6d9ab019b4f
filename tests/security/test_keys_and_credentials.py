"""Keys generated per workspace, rotation without downtime, service credentials with
their own audience, and no service that starts without its key settings."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import Platform
from tests.integration.template_src import template_src
from tests.security.accounts import bearer, new_user, own_orders, parts
from tests.security.conftest import client_secrets, keys_file, service_url

PUBLISH_LEAD_S = 2.0  # ecomkit.keys: a rotated-in key is published this long before it signs

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def test_keys_and_secrets_are_generated_private_and_nothing_is_shared(stack: Platform) -> None:
    folder = stack.workspace / ".ecomctl" / "keys"
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    secrets = client_secrets(stack)
    assert {"order", "notification", "user-auth"} <= set(secrets)
    assert len(set(secrets.values())) == len(secrets)  # one per service
    assert keys_file(stack)["keys"]


def test_rotation_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_key(
    gateway: httpx.Client, stack: Platform
) -> None:
    before = new_user(gateway)
    rotated = stack.ecomctl("keys", "rotate", "--json")
    assert rotated.returncode == 0, rotated.stderr
    ring = json.loads(rotated.stdout)["keys"]
    new = next(k["kid"] for k in ring if k["state"] == "next")  # published, not yet signing
    time.sleep(PUBLISH_LEAD_S)
    after = new_user(gateway)
    assert parts(after["accessToken"])[0]["kid"] == new != parts(before["accessToken"])[0]["kid"]
    # Publish-then-sign: every verifier accepts the new kid at the first try, no delay.
    for token in (before["accessToken"], after["accessToken"]):
        assert gateway.get("/api/users/profile", headers=bearer(token)).status_code == 200
        with httpx.Client(base_url=service_url(stack, "order"), timeout=10) as order:
            assert order.get(own_orders(token), headers=bearer(token)).status_code == 200
    listed = json.loads(stack.ecomctl("keys", "list", "--json").stdout)["keys"]
    assert [k["state"] for k in listed][-2:] == ["retiring", "active"]


def _service_token(stack: Platform, client_id: str, secret: str, audience: str) -> httpx.Response:
    body = {"clientId": client_id, "clientSecret": secret, "audience": audience}
    return httpx.post(f"{service_url(stack, 'user-auth')}/api/auth/token", json=body, timeout=10)


def test_service_credentials_are_per_service_and_per_audience(
    gateway: httpx.Client, stack: Platform
) -> None:
    secrets = client_secrets(stack)
    granted = _service_token(stack, "notification", secrets["notification"], "user-auth")
    assert granted.status_code == 200, granted.text
    token = granted.json()["accessToken"]
    someone = new_user(gateway)
    with httpx.Client(base_url=service_url(stack, "user-auth"), timeout=10) as users:
        assert users.get(f"/api/users/{someone['id']}", headers=bearer(token)).status_code == 200
    with httpx.Client(base_url=service_url(stack, "order"), timeout=10) as order:
        # Meant for user-auth only: order refuses it.
        assert order.get("/api/orders/user/0", headers=bearer(token)).status_code == 401
    assert gateway.get("/api/users/profile", headers=bearer(token)).status_code == 401
    wrong = _service_token(stack, "notification", secrets["order"], "user-auth")
    assert wrong.status_code == 401
    assert _service_token(stack, "mallory", "x", "user-auth").status_code == 401
    anonymous = gateway.post(
        "/api/auth/token",
        json={"clientId": "notification", "clientSecret": "x", "audience": "user-auth"},
    )
    assert anonymous.status_code == 401  # not offered at the edge


@pytest.mark.parametrize(
    ("kind", "setting"), [("order", "ECOM_JWKS_URL"), ("user-auth", "ECOM_JWT_KEYS_FILE")]
)
def test_a_service_without_its_key_settings_refuses_to_start_with_one_line(
    tmp_path: Path, kind: str, setting: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOM_")}
    env["PYTHONPATH"] = str(template_src(kind))
    if kind == "user-auth":
        env["ECOM_JWKS_URL"] = "http://127.0.0.1:9/api/auth/jwks"
    package = kind.replace("-", "_")
    done = subprocess.run(
        [sys.executable, "-m", "uvicorn", f"{package}.entrypoints.app:app", "--port", "9"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert setting in last and "Traceback" not in done.stderr
