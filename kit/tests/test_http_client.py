"""The service client against scripted upstreams on real sockets (aiohttp servers)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

from ecomkit.context import correlation_id_var
from ecomkit.http import ServiceClient
from ecomkit.problems import ServiceUnavailable
from ecomkit.settings import ServiceSettings
from ecomkit.testing import FakeRegistry

pytestmark = pytest.mark.anyio

DROP = "drop"  # a script step: close the connection without answering


class Upstream:
    """Answers the given statuses in turn (or drops the connection), then 200."""

    def __init__(self, *steps: int | str) -> None:
        self.script = list(steps)
        self.requests: list[web.Request] = []
        self.bodies: list[bytes] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request)
        self.bodies.append(await request.read())
        step = self.script.pop(0) if self.script else 200
        if step == DROP:
            assert request.transport is not None
            request.transport.close()
            raise asyncio.CancelledError  # aiohttp: nothing more to send
        return web.json_response({"ok": step, "path": request.path_qs}, status=int(step))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Upstream], Any]]:
    runners: list[web.AppRunner] = []

    async def start(upstream: Upstream) -> Upstream:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", upstream.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        upstream.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        runners.append(runner)
        return upstream

    yield start
    for runner in runners:
        await runner.cleanup()


def client_for(upstream: Upstream, **kwargs: Any) -> ServiceClient:
    settings = ServiceSettings(upstreams={"catalog": upstream.url})
    options: dict[str, Any] = {"backoff_s": 0}
    options.update(kwargs)
    return ServiceClient("catalog", settings, **options)


async def test_uses_static_upstream_without_registry(serve: Any) -> None:
    upstream = await serve(Upstream())
    client = client_for(upstream)
    response = await client.get("/products/1", params={"lang": "de"})
    await client.aclose()
    assert response.status_code == 200
    assert response.json() == {"ok": 200, "path": "/products/1?lang=de"}
    assert response.url == f"{upstream.url}/products/1?lang=de"
    assert response.headers["content-type"].startswith("application/json")


async def test_prefers_registry_instances(serve: Any) -> None:
    static, registered = await serve(Upstream()), await serve(Upstream())
    registry = FakeRegistry()
    registry.add("catalog", registered.url)
    await client_for(static, registry=registry).get("/x")
    assert len(registered.requests) == 1 and not static.requests


async def test_parked_instances_get_no_traffic(serve: Any) -> None:
    static, parked = await serve(Upstream()), await serve(Upstream())
    registry = FakeRegistry()
    registry.add("catalog", parked.url, weight=0)
    await client_for(static, registry=registry).get("/x")
    assert len(static.requests) == 1 and not parked.requests


async def test_unknown_service_is_unavailable() -> None:
    client = ServiceClient("nobody", ServiceSettings())
    with pytest.raises(ServiceUnavailable, match="no instance of nobody"):
        await client.get("/")


async def test_idempotent_calls_are_retried_on_503_and_dropped_connections(
    serve: Any,
) -> None:
    upstream = await serve(Upstream(503, DROP))
    response = await client_for(upstream, retries=2).get("/x")
    assert response.status_code == 200
    assert len(upstream.requests) == 3


async def test_posts_are_not_retried_and_carry_their_json(serve: Any) -> None:
    upstream = await serve(Upstream(503))
    response = await client_for(upstream, retries=2).post("/x", json={"a": [1, "ü"]})
    assert response.status_code == 503
    assert len(upstream.requests) == 1
    assert upstream.requests[0].headers["Content-Type"] == "application/json"
    assert upstream.bodies[0].decode() == '{"a":[1,"\\u00fc"]}'


async def test_client_errors_are_returned_not_retried(serve: Any) -> None:
    upstream = await serve(Upstream(404))
    assert (await client_for(upstream).get("/x")).status_code == 404
    assert len(upstream.requests) == 1


async def test_unreachable_upstream_is_a_503_problem() -> None:
    gone = Upstream()
    gone.url = "http://127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(ServiceUnavailable, match="unreachable"):
        await client_for(gone, retries=1).get("/x")


async def test_a_slow_upstream_times_out_as_unavailable(serve: Any) -> None:
    class Slow(Upstream):
        async def handle(self, request: web.Request) -> web.StreamResponse:
            self.requests.append(request)
            await asyncio.sleep(1.0)
            return web.json_response({})

    upstream = await serve(Slow())
    with pytest.raises(ServiceUnavailable, match="unreachable"):
        await client_for(upstream, timeout_s=0.2, retries=2).get("/x")
    assert len(upstream.requests) == 1  # a read timeout is not retried


async def test_breaker_opens_after_failures_and_stops_calling(serve: Any) -> None:
    upstream = await serve(Upstream(*[500] * 10))
    client = client_for(upstream, retries=0, breaker_failures=3, breaker_reset_s=60)
    for _ in range(3):
        assert (await client.get("/x")).status_code == 500
    with pytest.raises(ServiceUnavailable, match="circuit open"):
        await client.get("/x")
    assert len(upstream.requests) == 3


async def test_propagates_correlation_id_and_reuses_its_connection(serve: Any) -> None:
    upstream = await serve(Upstream())
    client = client_for(upstream)
    token = correlation_id_var.set("corr-9")
    try:
        await client.get("/x")
        await client.get("/y", headers={"Authorization": "Bearer t"})
    finally:
        correlation_id_var.reset(token)
    first, second = upstream.requests
    assert first.headers["X-Correlation-ID"] == "corr-9"
    assert second.headers["Authorization"] == "Bearer t"
    assert first.transport is second.transport  # one keep-alive connection
    await client.aclose()


async def test_a_callers_header_replaces_the_propagated_one_whatever_its_case(
    serve: Any,
) -> None:
    upstream = await serve(Upstream())
    client = client_for(upstream)
    token = correlation_id_var.set("corr-9")
    try:
        await client.post(
            "/x", json={}, headers={"x-correlation-id": "mine", "CONTENT-TYPE": "text/plain"}
        )
    finally:
        correlation_id_var.reset(token)
    [sent] = upstream.requests
    assert sent.headers.getall("X-Correlation-ID") == ["mine"]
    assert sent.headers.getall("Content-Type") == ["text/plain"]
    await client.aclose()


def test_service_client_finds_services_through_the_registry_only_when_there_is_one() -> None:
    from ecomkit.http import service_client
    from ecomkit.registry_client import RegistryClient
    from ecomkit.settings import ServiceSettings

    static = service_client("inventory", ServiceSettings(upstreams={"inventory": "http://x:1"}))
    assert static._registry is None and static._static_url == "http://x:1"
    found = service_client("inventory", ServiceSettings(registry_url="http://127.0.0.1:9"))
    assert isinstance(found._registry, RegistryClient)
