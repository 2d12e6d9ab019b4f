"""Issue 16 at the edge: a half-open trial that ends without an outcome, the response
cache's bounds, bad instance URLs from the registry, what problem bodies reveal, and the
operator pages. Each test failed before its fix."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from gateway.adapters.response_cache import ResponseCache, normalised_query
from gateway.adapters.upstreams import UpstreamResolver, instance_of
from gateway.bootstrap import Gateway, upstream_pool
from gateway.domain.breaker import CircuitBreaker, State
from gateway.domain.identity import Identity, InvalidToken
from gateway.entrypoints.app import GatewayApp
from gateway.settings import Settings
from tests.test_proxy import Upstream, client_of, make_gateway

pytestmark = pytest.mark.anyio
AUTH = {"Authorization": "Bearer good"}


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_abandoned_trial_lets_the_next_request_try() -> None:
    clock = Clock()
    breaker = CircuitBreaker("r", failure_threshold=1, reset_after_s=5, clock=clock)
    breaker.record_failure()
    clock.now = 6
    assert breaker.allow() and breaker.trial == 1
    assert not breaker.allow()  # one trial at a time
    breaker.abandon(1)
    assert breaker.allow() and breaker.trial == 2
    breaker.abandon(1)  # a stale trial's end changes nothing
    assert not breaker.allow()


async def test_a_trial_with_a_too_large_body_does_not_keep_the_route_refused(
    upstream: Upstream,
) -> None:
    gateway = make_gateway(upstream.url, gateway_breaker_reset_s=0.01)
    gateway.proxy.pool = upstream_pool(Settings())
    breaker = gateway.proxy.breakers["order"]
    breaker.record_failure()
    breaker.record_failure()  # open (threshold 2); half-open after 10 ms

    async def too_large() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 8_000  # 160 kB streamed against a 100 kB limit

    async with client_of(gateway) as client:
        await _sleep(0.02)
        trial = await client.post("/api/orders", content=too_large(), headers=AUTH)
        after = await client.get("/api/orders/1", headers=AUTH)
    await gateway.proxy.pool.close()
    assert trial.status_code == 413
    assert after.status_code == 200  # before the fix: 503 (fallback) until a restart
    assert breaker.state is State.CLOSED


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


def test_cache_is_bounded_in_bytes_and_purges_expired_entries_on_write() -> None:
    clock = Clock()
    cache = ResponseCache(ttl_s=2, max_entries=1000, max_bytes=10_000, clock=clock)
    for i in range(50):
        cache.put(f"r|/p?{i}", 200, [], b"x" * 1_000)
    assert cache.bytes <= 10_000 and len(cache) == 10
    clock.now = 3
    cache.put("r|/p?new", 200, [], b"y")
    assert len(cache) == 1 and cache.bytes == 1  # the expired ten went on that write
    cache.put("r|/huge", 200, [], b"z" * 20_000)
    assert cache.get("r|/huge") is None and cache.get("r|/p?new") is not None


def test_query_parameters_are_normalised_in_the_key() -> None:
    assert normalised_query(b"b=2&a=1") == normalised_query(b"a=1&b=2")
    assert normalised_query(b"a=%41") == normalised_query(b"a=A")
    assert normalised_query(b"a=1&a=2") != normalised_query(b"a=2&a=1")


async def test_reordered_query_hits_the_cache(gateway: Gateway, upstream: Upstream) -> None:
    async with client_of(gateway) as client:
        await client.get("/api/products?b=2&a=1")
        again = await client.get("/api/products?a=1&b=2")
    assert again.headers["x-gateway-cache"] == "HIT" and len(upstream.calls) == 1


def test_bad_instance_urls_from_the_registry_are_ignored() -> None:
    good = {"url": "http://127.0.0.1:8081", "instance_id": "ok"}
    assert instance_of("svc", good) is not None
    for url in ("http://x:y", "ftp://127.0.0.1:1", "http://127.0.0.1:1/path", "nonsense"):
        assert instance_of("svc", {"url": url, "instance_id": "bad"}) is None
    assert instance_of("svc", {"url": "http://h:1", "weight": "heavy"}) is None


async def test_a_bad_instance_url_never_makes_a_500(upstream: Upstream) -> None:
    async def source() -> dict[str, list[object]]:
        raw = [{"url": "http://x:y", "instance_id": "evil"}, {"url": upstream.url}]
        return {"product-catalog": [i for r in raw if (i := instance_of("product-catalog", r))]}

    gateway = make_gateway(upstream.url)
    gateway.proxy.resolver = UpstreamResolver({}, source)  # type: ignore[arg-type]
    await gateway.proxy.resolver.refresh()
    gateway.proxy.pool = upstream_pool(Settings())
    async with client_of(gateway) as client:
        statuses = {(await client.get(f"/api/products/{i}")).status_code for i in range(10)}
    await gateway.proxy.pool.close()
    assert statuses == {200}


async def test_a_502_body_names_no_internal_address(upstream: Upstream) -> None:
    gateway = make_gateway("http://127.0.0.1:9")  # nothing listens on the discard port
    gateway.proxy.pool = upstream_pool(Settings())
    async with client_of(gateway) as client:
        response = await client.get("/api/orders/1", headers=AUTH)
    await gateway.proxy.pool.close()
    assert response.status_code == 502
    assert "127.0.0.1" not in response.text and "Error(" not in response.text


async def admin_verify(header_value: str) -> Identity:
    roles = {"Bearer admin": ("ADMIN",), "Bearer user": ("USER",)}
    if header_value not in roles:
        raise InvalidToken("invalid token")
    return Identity(1, "someone", roles[header_value])


@pytest.mark.parametrize("path", ["/gateway/routes", "/metrics", "/docs", "/openapi.json"])
async def test_operator_pages_need_admin(upstream: Upstream, path: str) -> None:
    gateway = make_gateway(upstream.url)
    gateway.proxy.policy.verify = admin_verify
    admin = FastAPI()
    admin.add_api_route(path, lambda: {"secret": "internal"})
    app = GatewayApp(gateway, admin, scrape_token="prometheus-token")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        anonymous = await client.get(path)
        user = await client.get(path, headers={"Authorization": "Bearer user"})
        allowed = await client.get(path, headers={"Authorization": "Bearer admin"})
        scraper = await client.get(path, headers={"Authorization": "Bearer prometheus-token"})
    assert (anonymous.status_code, user.status_code, allowed.status_code) == (401, 403, 200)
    assert scraper.status_code == (200 if path == "/metrics" else 401)
