from __future__ import annotations

from collections.abc import Callable

from ecomkit.testing.fixtures import problem
from fastapi.testclient import TestClient

Bearer = Callable[[str], dict[str, str]]

INSTANCE = {"service": "user-auth", "instance_id": "ua-1", "url": "http://127.0.0.1:8081"}
PATH = "/api/registry/instances/user-auth/ua-1"


def test_register_list_heartbeat_deregister(client: TestClient) -> None:
    assert client.post("/api/registry/instances", json=INSTANCE).status_code == 201
    assert client.post("/api/registry/instances", json=INSTANCE).status_code == 201
    listed = client.get("/api/registry/services").json()["services"]
    assert [i["url"] for i in listed["user-auth"]] == ["http://127.0.0.1:8081"]
    assert listed["user-auth"][0]["weight"] == 100
    assert client.put(f"{PATH}/heartbeat").status_code == 200
    assert client.delete(PATH).status_code == 204
    assert client.put(f"{PATH}/heartbeat").status_code == 404
    assert client.get("/api/registry/services/user-auth").status_code == 404


def test_weight_can_be_changed(client: TestClient, bearer: Bearer) -> None:
    client.post("/api/registry/instances", json=INSTANCE)
    admin = bearer("ADMIN")
    assert client.put(f"{PATH}/weight", json={"weight": 0}, headers=admin).json()["weight"] == 0
    one = client.get("/api/registry/services/user-auth").json()
    assert one["instances"][0]["weight"] == 0


def test_bad_registration_is_a_422_problem(client: TestClient) -> None:
    problem(client.post("/api/registry/instances", json={**INSTANCE, "url": "not a url"}), 422)


def test_index_page_lists_instances(client: TestClient) -> None:
    client.post("/api/registry/instances", json=INSTANCE)
    page = client.get("/")
    assert page.status_code == 200
    assert "ua-1" in page.text and "http://127.0.0.1:8081" in page.text


def test_health_endpoints(client: TestClient) -> None:
    assert client.get("/health/live").json()["status"] == "UP"
    assert client.get("/health/ready").status_code == 200


def test_writes_without_the_secret_are_401(anonymous: TestClient) -> None:
    assert anonymous.post("/api/registry/instances", json=INSTANCE).status_code == 401
    wrong = {"x-registry-secret": "guess"}
    assert (
        anonymous.post("/api/registry/instances", json=INSTANCE, headers=wrong).status_code == 401
    )
    for method in ("PUT", "DELETE"):
        url = f"{PATH}/heartbeat" if method == "PUT" else PATH
        assert anonymous.request(method, url).status_code == 401
    assert anonymous.get("/api/registry/services").status_code == 200  # reads stay open


def test_unknown_services_and_foreign_hosts_are_refused(client: TestClient) -> None:
    for bad in (
        {**INSTANCE, "service": "evil"},
        {**INSTANCE, "url": "http://attacker.example:8081"},
        {**INSTANCE, "url": "http://x:y"},
        {**INSTANCE, "url": "http://127.0.0.1:8081/steal?x=1"},
        {**INSTANCE, "url": "http://user:pw@127.0.0.1:8081"},
    ):
        response = client.post("/api/registry/instances", json=bad)
        assert response.status_code == 422, (bad, response.text)
    assert client.get("/api/registry/services").json()["services"] == {}


def test_weight_needs_an_admin_token(client: TestClient, bearer: Bearer) -> None:
    client.post("/api/registry/instances", json=INSTANCE)
    assert client.put(f"{PATH}/weight", json={"weight": 0}).status_code == 401
    user = bearer("USER")
    assert client.put(f"{PATH}/weight", json={"weight": 0}, headers=user).status_code == 403
    listed = client.get("/api/registry/services/user-auth").json()
    assert listed["instances"][0]["weight"] == 100
