"""Issue 16, the registry as an attacker who can reach its port finds it: every write
needs the workspace's registration secret, only the stack's services on the stack's hosts
are admitted, weights are ADMIN's — and the stack's own services still registered."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.conftest import Platform
from tests.security.conftest import new_user, workspace_secret

EVIL = {"service": "user-auth", "instance_id": "evil-1", "url": "http://127.0.0.1:9"}


@pytest.fixture(scope="module")
def registry(stack: Platform) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{stack.port('registry')}", timeout=10)


@pytest.fixture(scope="module")
def secret(stack: Platform) -> dict[str, str]:
    return {"x-registry-secret": workspace_secret(stack.workspace, "registry_secret")}


def test_every_service_registered_with_the_secret(registry: httpx.Client) -> None:
    listed = registry.get("/api/registry/services").json()["services"]
    for service in ("user-auth", "product-catalog", "order", "payment", "gateway"):
        assert listed.get(service), f"{service} is not registered: {sorted(listed)}"


def test_writes_without_the_secret_are_refused(registry: httpx.Client) -> None:
    target = "/api/registry/instances/user-auth"
    some = registry.get("/api/registry/services/user-auth").json()["instances"][0]
    assert registry.post("/api/registry/instances", json=EVIL).status_code == 401
    wrong = {"x-registry-secret": "guessed"}
    assert registry.post("/api/registry/instances", json=EVIL, headers=wrong).status_code == 401
    assert registry.put(f"{target}/{some['instance_id']}/heartbeat").status_code == 401
    assert registry.delete(f"{target}/{some['instance_id']}").status_code == 401
    weight = registry.put(f"{target}/{some['instance_id']}/weight", json={"weight": 0})
    assert weight.status_code == 401
    listed = registry.get("/api/registry/services/user-auth").json()["instances"]
    assert "evil-1" not in {i["instance_id"] for i in listed}
    assert {i["weight"] for i in listed} == {some["weight"]}


@pytest.mark.parametrize(
    "bad",
    [
        {**EVIL, "service": "not-in-this-stack"},
        {**EVIL, "url": "http://attacker.example:8081"},
        {**EVIL, "url": "http://10.1.2.3:8081"},
        {**EVIL, "url": "http://x:y"},
        {**EVIL, "url": "http://127.0.0.1:8081/login?steal=1"},
    ],
)
def test_even_with_the_secret_only_the_stacks_services_and_hosts(
    registry: httpx.Client, secret: dict[str, str], bad: dict[str, str]
) -> None:
    response = registry.post("/api/registry/instances", json=bad, headers=secret)
    assert response.status_code == 422, response.text


def test_weights_are_admin_only(
    registry: httpx.Client, gateway: httpx.Client, secret: dict[str, str], admin: dict[str, str]
) -> None:
    some = registry.get("/api/registry/services/user-auth").json()["instances"][0]
    path = f"/api/registry/instances/user-auth/{some['instance_id']}/weight"
    _, user = new_user(gateway)
    as_user = registry.put(path, json={"weight": 0}, headers={**secret, **user})
    assert as_user.status_code == 403
    same = registry.put(path, json={"weight": some["weight"]}, headers={**secret, **admin})
    assert same.status_code == 200
