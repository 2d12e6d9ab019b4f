import httpx
import pytest

from ecomkit.context import correlation_id_var
from ecomkit.http import ServiceClient
from ecomkit.problems import ServiceUnavailable
from ecomkit.settings import ServiceSettings
from ecomkit.testing import FakeRegistry

pytestmark = pytest.mark.anyio
SETTINGS = ServiceSettings(upstreams={"catalog": "http://static:1"})


class Upstream:
    """A scripted upstream: answers the given statuses in turn, then 200."""

    def __init__(self, *statuses: int | type[Exception]) -> None:
        self.script = list(statuses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.script.pop(0) if self.script else 200
        if isinstance(step, type):
            raise step("scripted failure", request=request)  # type: ignore[call-arg]
        return httpx.Response(step, json={"ok": step})


def client_for(upstream: Upstream, **kwargs: object) -> ServiceClient:
    options: dict[str, object] = {"backoff_s": 0, "transport": httpx.MockTransport(upstream)}
    options.update(kwargs)
    return ServiceClient("catalog", SETTINGS, **options)  # type: ignore[arg-type]


async def test_uses_static_upstream_without_registry() -> None:
    upstream = Upstream()
    response = await client_for(upstream).get("/products/1")
    assert response.status_code == 200
    assert str(upstream.requests[0].url) == "http://static:1/products/1"


async def test_prefers_registry_instances() -> None:
    registry = FakeRegistry()
    registry.add("catalog", "http://registered:2")
    upstream = Upstream()
    await client_for(upstream, registry=registry).get("/x")
    assert upstream.requests[0].url.host == "registered"


async def test_parked_instances_get_no_traffic() -> None:
    registry = FakeRegistry()
    registry.add("catalog", "http://parked:2", weight=0)
    upstream = Upstream()
    await client_for(upstream, registry=registry).get("/x")
    assert upstream.requests[0].url.host == "static"


async def test_unknown_service_is_unavailable() -> None:
    client = ServiceClient("nobody", SETTINGS)
    with pytest.raises(ServiceUnavailable, match="no instance of nobody"):
        await client.get("/")


async def test_idempotent_calls_are_retried_on_503_and_connect_errors() -> None:
    upstream = Upstream(503, httpx.ConnectError)
    response = await client_for(upstream, retries=2).get("/x")
    assert response.status_code == 200
    assert len(upstream.requests) == 3


async def test_posts_are_not_retried() -> None:
    upstream = Upstream(503)
    response = await client_for(upstream, retries=2).post("/x", json={})
    assert response.status_code == 503
    assert len(upstream.requests) == 1


async def test_client_errors_are_returned_not_retried() -> None:
    upstream = Upstream(404)
    assert (await client_for(upstream).get("/x")).status_code == 404
    assert len(upstream.requests) == 1


async def test_unreachable_upstream_is_a_503_problem() -> None:
    upstream = Upstream(*[httpx.ConnectError] * 5)
    with pytest.raises(ServiceUnavailable, match="unreachable"):
        await client_for(upstream, retries=1).get("/x")


async def test_breaker_opens_after_failures_and_stops_calling() -> None:
    upstream = Upstream(*[500] * 10)
    client = client_for(upstream, retries=0, breaker_failures=3, breaker_reset_s=60)
    for _ in range(3):
        assert (await client.get("/x")).status_code == 500
    with pytest.raises(ServiceUnavailable, match="circuit open"):
        await client.get("/x")
    assert len(upstream.requests) == 3


async def test_propagates_correlation_id() -> None:
    upstream = Upstream()
    token = correlation_id_var.set("corr-9")
    try:
        await client_for(upstream).get("/x")
    finally:
        correlation_id_var.reset(token)
    assert upstream.requests[0].headers["x-correlation-id"] == "corr-9"
