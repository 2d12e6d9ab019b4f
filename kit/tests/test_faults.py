"""Injected faults: the rate and latency asked for, counted by the metrics, switched by an
ADMIN at run time, and never on health probes, scrapes or the switch itself."""

from __future__ import annotations

import random
from collections.abc import Iterator

import httpx
import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from ecomkit.faults import FaultInjectionMiddleware, FaultInjector, Faults, parse_faults
from ecomkit.settings import ServiceSettings
from ecomkit.testing import TestKeys
from ecomkit.web import create_app

KEYS = TestKeys()
router = APIRouter()


@router.get("/faulty/{item_id}")
async def get_item(item_id: int) -> dict[str, int]:
    return {"id": item_id}


class FakeSleep:
    def __init__(self) -> None:
        self.slept: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)


def token(*roles: str) -> dict[str, str]:
    access = KEYS.issuer(ServiceSettings()).issue_access(1, "ann", list(roles))
    return {"Authorization": f"Bearer {access}"}


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def client(sleep: FakeSleep) -> Iterator[TestClient]:
    injector = FaultInjector(rng=random.Random(7), sleep=sleep)
    settings = ServiceSettings(service_name="faulty", **KEYS.settings())
    app = create_app(
        settings, title="faulty", routers=[router], configure_logs=False, faults=injector
    )
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_parse_reads_every_key() -> None:
    assert parse_faults(" error_rate=0.25, latency_ms=300 ,status=503 ") == Faults(
        error_rate=0.25, latency_ms=300, status=503
    )
    assert parse_faults("") == Faults() and not Faults().active


def test_settings_faults_are_in_force_from_the_start() -> None:
    settings = ServiceSettings(
        service_name="faulty", faults="error_rate=1,status=503", **KEYS.settings()
    )
    app = create_app(settings, title="faulty", routers=[router], configure_logs=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/faulty/1").status_code == 503


@pytest.mark.anyio
async def test_error_rate_is_close_to_the_one_set() -> None:
    async def ok(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    injector = FaultInjector(Faults(error_rate=0.3), rng=random.Random(42))
    app = FaultInjectionMiddleware(ok, injector=injector)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        statuses = [(await http.get("/x")).status_code for _ in range(2000)]
    failed = statuses.count(500)
    assert set(statuses) == {200, 500}
    assert 540 <= failed <= 660  # 0.3 of 2000 = 600; a seeded rng keeps this stable


def test_injected_error_is_a_problem_naming_ecom_faults(client: TestClient) -> None:
    client.app.state.faults.set(Faults(error_rate=1.0, status=503))  # type: ignore[attr-defined]
    response = client.get("/faulty/1")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["title"] == "Injected fault" and body["status"] == 503
    assert "ECOM_FAULTS" in body["detail"] and body["instance"] == "/faulty/1"
    assert response.headers["x-request-id"]  # still inside the request-context middleware


def test_latency_is_added_before_handling(client: TestClient, sleep: FakeSleep) -> None:
    client.app.state.faults.set(Faults(latency_ms=300))  # type: ignore[attr-defined]
    assert client.get("/faulty/1").json() == {"id": 1}
    assert sleep.slept == [0.3]


def test_health_metrics_and_the_switch_are_never_faulted(
    client: TestClient, sleep: FakeSleep
) -> None:
    client.app.state.faults.set(Faults(error_rate=1.0, latency_ms=50))  # type: ignore[attr-defined]
    assert client.get("/health/live").status_code == 200
    assert client.get("/health/ready").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert client.get("/admin/faults", headers=token("ADMIN")).status_code == 200
    assert sleep.slept == []


def test_metrics_count_injected_errors(client: TestClient) -> None:
    def count() -> float:
        text = client.get("/metrics").text
        line = 'http_requests_total{method="GET",route="injected",status="500"} '
        found = [row for row in text.splitlines() if row.startswith(line)]
        return float(found[0].split()[-1]) if found else 0.0

    before = count()
    client.app.state.faults.set(Faults(error_rate=1.0))  # type: ignore[attr-defined]
    for i in range(3):
        assert client.get(f"/faulty/{i}").status_code == 500
    assert count() == before + 3
    assert 'http_request_duration_seconds_count{method="GET",route="injected"}' in (
        client.get("/metrics").text
    )


def test_admin_switches_faults_on_and_off_at_run_time(client: TestClient) -> None:
    admin = token("ADMIN")
    assert client.get("/admin/faults", headers=admin).json() == {
        "error_rate": 0.0,
        "latency_ms": 0,
        "status": 500,
    }
    switched = client.put("/admin/faults", json={"error_rate": 1, "status": 502}, headers=admin)
    assert switched.status_code == 200 and switched.json()["status"] == 502
    assert client.get("/faulty/1").status_code == 502
    assert client.get("/admin/faults", headers=admin).json()["error_rate"] == 1.0
    assert client.put("/admin/faults", json={}, headers=admin).status_code == 200
    assert client.get("/faulty/1").status_code == 200
    assert client.app.state.faults.active is None  # type: ignore[attr-defined]


def test_only_an_admin_may_see_or_switch_faults(client: TestClient) -> None:
    assert client.get("/admin/faults").status_code == 401
    assert client.put("/admin/faults", json={"error_rate": 1}).status_code == 401
    assert client.get("/admin/faults", headers=token("USER")).status_code == 403
    refused = client.put("/admin/faults", json={"error_rate": 1}, headers=token("USER"))
    assert refused.status_code == 403
    assert client.get("/faulty/1").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"error_rate": 1.5},
        {"latency_ms": -1},
        {"latency_ms": 60_001},
        {"status": 404},
        {"status": 600},
        {"error_rat": 0.3},
    ],
)
def test_a_bad_switch_is_a_422_problem(client: TestClient, body: dict[str, float]) -> None:
    response = client.put("/admin/faults", json=body, headers=token("ADMIN"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert client.app.state.faults.active is None  # type: ignore[attr-defined]
