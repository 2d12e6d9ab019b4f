from collections.abc import Iterator

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel

from ecomkit.problems import Conflict, NotFound
from ecomkit.settings import ServiceSettings
from ecomkit.web import create_app

router = APIRouter()


class Item(BaseModel):
    name: str
    price: float


@router.get("/items/{item_id}")
async def get_item(item_id: int) -> dict[str, int]:
    if item_id == 0:
        raise NotFound("item 0 not found")
    if item_id == 9:
        raise Conflict("already there")
    if item_id == 5:
        raise RuntimeError("boom")
    return {"id": item_id}


@router.post("/items")
async def add_item(item: Item) -> dict[str, str]:
    return {"name": item.name}


async def healthy() -> None:
    return None


async def broken() -> None:
    raise ConnectionError("db down")


def make_client(**kwargs: object) -> TestClient:
    settings = ServiceSettings(service_name="demo", max_body_bytes=1000)
    app = create_app(settings, title="demo", routers=[router], configure_logs=False, **kwargs)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with make_client(readiness={"db": healthy}) as c:
        yield c


def test_liveness(client: TestClient) -> None:
    assert client.get("/health/live").json() == {"status": "UP"}


def test_readiness_up_and_down() -> None:
    with make_client(readiness={"db": healthy}) as up:
        assert up.get("/health/ready").json() == {"status": "UP", "checks": {"db": "UP"}}
    with make_client(readiness={"db": healthy, "kafka": broken}) as down:
        response = down.get("/health/ready")
        assert response.status_code == 503
        assert response.json()["checks"]["db"] == "UP"
        assert response.json()["checks"]["kafka"].startswith("DOWN: ConnectionError")


def test_problem_json_for_domain_errors(client: TestClient) -> None:
    response = client.get("/items/0")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["title"] == "Not Found" and body["detail"] == "item 0 not found"
    assert body["instance"] == "/items/0" and body["status"] == 404
    assert client.get("/items/9").status_code == 409


def test_problem_json_for_unknown_route_and_method(client: TestClient) -> None:
    assert client.get("/nowhere").headers["content-type"] == "application/problem+json"
    assert client.delete("/items/1").status_code == 405


def test_validation_errors_name_the_fields(client: TestClient) -> None:
    response = client.post("/items", json={"name": "x", "price": "lots"})
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["body.price"]


def test_unexpected_error_is_a_500_problem_with_ids(client: TestClient) -> None:
    response = client.get("/items/5", headers={"X-Correlation-ID": "corr-1"})
    assert response.status_code == 500
    assert response.json()["correlation_id"] == "corr-1"
    assert response.headers["x-correlation-id"] == "corr-1"


def test_ids_are_echoed_or_made(client: TestClient) -> None:
    given = client.get("/items/1", headers={"X-Request-ID": "r1", "X-Correlation-ID": "c1"})
    assert (given.headers["x-request-id"], given.headers["x-correlation-id"]) == ("r1", "c1")
    made = client.get("/items/1")
    assert made.headers["x-request-id"] == made.headers["x-correlation-id"] != ""


def test_a_problem_response_names_each_id_once(client: TestClient) -> None:
    refused = client.delete("/items/1", headers={"X-Request-ID": "r1", "X-Correlation-ID": "c1"})
    assert refused.status_code == 405
    assert refused.headers.get_list("x-request-id") == ["r1"]
    assert refused.headers.get_list("x-correlation-id") == ["c1"]


def test_body_limit(client: TestClient) -> None:
    response = client.post(
        "/items", content=b"x" * 2000, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_metrics_count_per_route_template(client: TestClient) -> None:
    client.get("/items/1")
    client.get("/items/2")
    text = client.get("/metrics").text
    assert 'http_requests_total{method="GET",route="/items/{item_id}",status="200"}' in text
    assert "http_request_duration_seconds_bucket" in text


def test_traceparent_is_continued(client: TestClient) -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    local = APIRouter()

    @local.get("/trace")
    async def trace_route() -> dict[str, str | None]:
        from ecomkit.tracing import current_trace_id

        return {"trace_id": current_trace_id()}

    with make_client() as c:
        c.app.include_router(local)  # type: ignore[attr-defined]
        response = c.get("/trace", headers={"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"})
        seen = response.json()
    assert seen["trace_id"] == trace_id


def test_background_tasks_run_and_restart_and_stop() -> None:
    import asyncio

    runs: list[int] = []

    async def loop() -> None:
        runs.append(1)
        await asyncio.sleep(3600)

    hooks: list[str] = []

    async def on_start() -> None:
        hooks.append("start")

    async def on_stop() -> None:
        hooks.append("stop")

    with make_client(background=[loop], startup=[on_start], shutdown=[on_stop]) as c:
        c.get("/health/live")
        assert hooks == ["start"]
    assert runs == [1]
    assert hooks == ["start", "stop"]


def test_the_contracts_the_process_loaded_are_served(client: TestClient) -> None:
    from ecomkit.contracts import CONTRACTS, OrderCreated

    answer = client.get("/contracts")
    assert answer.status_code == 200
    body = answer.json()
    assert body["format"] == 1 and len(body["events"]) == len(CONTRACTS)
    created = body["events"]["OrderCreated"]
    assert created["version"] == OrderCreated.schema_version
    assert created["topic"] == str(OrderCreated.topic)
    assert "order_id" in created["schema"]["properties"]
    assert "/contracts" not in client.get("/openapi.json").json()["paths"]


def test_one_server_span_per_request_named_by_route_and_none_for_probes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind, StatusCode

    import ecomkit.web

    exporter = InMemorySpanExporter()

    def recording_provider(*_args: object, **_kwargs: object) -> TracerProvider:
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        return provider

    monkeypatch.setattr(ecomkit.web, "create_tracer_provider", recording_provider)
    caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    with make_client() as c:
        assert c.get("/items/3", headers={"traceparent": caller}).status_code == 200
        assert c.get("/items/5").status_code == 500
        c.get("/health/live")
        c.get("/metrics")
    spans = exporter.get_finished_spans()
    assert [(s.name, s.kind) for s in spans] == [
        ("GET /items/{item_id}", SpanKind.SERVER),
        ("GET /items/{item_id}", SpanKind.SERVER),
    ]
    traced, failed = spans
    assert traced.parent is not None and traced.parent.span_id == 0x00F067AA0BA902B7
    assert traced.context.trace_id == 0x4BF92F3577B34DA6A3CE929D0E0E4736
    assert traced.attributes is not None and traced.attributes["http.response.status_code"] == 200
    assert failed.status.status_code is StatusCode.ERROR


def test_the_startup_heap_is_frozen_while_the_app_runs_and_released_after() -> None:
    """Full collections skip what the service made while starting (ecomkit.web's
    freeze_startup_heap); a stopped app gives it back to the collector."""
    import gc

    gc.unfreeze()
    with make_client() as client:
        assert gc.get_freeze_count() > 1000
        assert client.get("/items/3").json() == {"id": 3}
    assert gc.get_freeze_count() == 0
