"""The proxy against a real (aiohttp) upstream, with fakes for tokens, limits and registry."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from aiohttp import web
from fastapi import FastAPI

from gateway.bootstrap import Gateway, bootstrap, upstream_pool
from gateway.domain.balancing import Instance
from gateway.domain.identity import Identity, InvalidToken
from gateway.domain.ratelimit import Decision, InMemoryTokenBucket, Limit
from gateway.entrypoints.admin import admin_router
from gateway.entrypoints.app import GatewayApp
from gateway.settings import Settings
from tests.servers import serve

pytestmark = pytest.mark.anyio


async def fake_verify(header_value: str) -> Identity:
    if header_value == "Bearer good":
        return Identity(7, "ann", ("USER",))
    raise InvalidToken("invalid token")


@dataclass
class Upstream:
    url: str
    calls: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    fail_with: int | None = None


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[Upstream]:
    """An aiohttp server that records what reached it."""
    state = Upstream(url="")

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        state.calls.append((request.method, request.path_qs, dict(request.headers)))
        if state.fail_with:
            return web.Response(status=state.fail_with)
        if request.path.endswith("/big"):
            return web.Response(body=b"x" * 300_000)
        payload = {"path": request.path_qs, "body_bytes": len(body)}
        # Echoes the request id as every kit service does.
        echo = {"X-Request-ID": request.headers.get("X-Request-ID", "none")}
        return web.json_response(payload, headers=echo)

    app = web.Application(client_max_size=10_000_000)
    app.router.add_route("*", "/{tail:.*}", handle)
    async with serve(app) as state.url:
        yield state


def make_gateway(upstream_url: str, **overrides: object) -> Gateway:
    services = ["user-auth", "product-catalog", "order", "payment", "inventory", "notification"]
    settings = Settings(
        upstreams={s: upstream_url for s in services},
        redis_url="",
        max_body_bytes=100_000,
        gateway_retry_backoff_s=0,
        gateway_breaker_failures=2,
        **overrides,  # type: ignore[arg-type]
    )
    return bootstrap(settings, verify=fake_verify, limiter=InMemoryTokenBucket())


def client_of(gateway: Gateway) -> httpx.AsyncClient:
    app = GatewayApp(gateway, admin=None)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")


async def test_public_route_is_proxied_with_request_id_and_trace(gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    async with client_of(gateway) as client:
        response = await client.get("/api/products/5?x=1")
    assert response.status_code == 200
    assert response.json()["path"] == "/api/products/5?x=1"
    sent = upstream.calls[0][2]
    assert response.headers.get_list("x-request-id") == [sent["X-Request-ID"]]  # once
    assert sent["traceparent"].startswith("00-")


async def test_protected_route_needs_a_valid_token(gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    async with client_of(gateway) as client:
        missing = await client.get("/api/orders/1")
        bad = await client.get("/api/orders/1", headers={"Authorization": "Bearer forged"})
        good = await client.get(
            "/api/orders/1", headers={"Authorization": "Bearer good", "X-User-Id": "1"}
        )
    assert missing.status_code == bad.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert good.status_code == 200
    sent = upstream.calls[-1][2]
    assert (sent["X-User-Id"], sent["X-User-Roles"]) == ("7", "USER")  # not the client's "1"
    assert sent["Authorization"] == "Bearer good"


async def test_rate_limit_answers_429_with_retry_after(upstream) -> None:  # type: ignore[no-untyped-def]
    gateway = make_gateway(upstream.url, gateway_rate_per_ip_per_s=1, gateway_burst_per_ip=3)
    gateway.proxy.pool = upstream_pool(Settings())
    async with client_of(gateway) as client:
        statuses = [(await client.get("/api/products/1")).status_code for _ in range(5)]
        refused = await client.get("/api/products/1")
    await gateway.proxy.pool.close()
    assert statuses == [200, 200, 200, 429, 429]
    assert refused.headers["retry-after"] == "1"


async def test_auth_paths_have_a_stricter_ip_limit_and_are_never_stored(upstream) -> None:  # type: ignore[no-untyped-def]
    """Issue 16: /api/auth/* (credentials) gets its own per-IP bucket below the general one,
    and `Cache-Control: no-store` on every answer; /api/users, same service, neither."""
    gateway = make_gateway(
        upstream.url,
        gateway_rate_per_ip_per_s=1,
        gateway_burst_per_ip=10,
        gateway_auth_rate_per_ip_per_s=1,
        gateway_auth_burst_per_ip=2,
    )
    gateway.proxy.pool = upstream_pool(Settings())
    async with client_of(gateway) as client:
        logins = [await client.post("/api/auth/login", json={}) for _ in range(3)]
        users = await client.get("/api/users/profile", headers={"Authorization": "Bearer good"})
    await gateway.proxy.pool.close()
    assert [r.status_code for r in logins] == [200, 200, 429]
    assert logins[2].headers["retry-after"] == "1"
    assert all(r.headers["cache-control"] == "no-store" for r in logins)
    assert users.status_code == 200 and "cache-control" not in users.headers


async def test_breaker_opens_and_serves_the_fallback(gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.fail_with = 503
    async with client_of(gateway) as client:
        first = await client.get("/api/orders/1", headers={"Authorization": "Bearer good"})
        calls = len(upstream.calls)
        await client.get("/api/orders/1", headers={"Authorization": "Bearer good"})
        fallback = await client.get("/api/orders/1", headers={"Authorization": "Bearer good"})
    assert first.status_code == 503 and calls == 3  # one call and two retries (GET)
    calls = 6  # the second request failed too: the circuit opened (threshold 2)
    body = fallback.json()
    assert fallback.status_code == 503 and body["upstream"] == "order" and body["fallback"]
    assert len(upstream.calls) == calls  # the open circuit kept the upstream out of it
    assert int(fallback.headers["retry-after"]) >= 1


async def test_post_is_not_retried(gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    upstream.fail_with = 502
    async with client_of(gateway) as client:
        response = await client.post(
            "/api/orders", json={"a": 1}, headers={"Authorization": "Bearer good"}
        )
    assert response.status_code == 502 and len(upstream.calls) == 1


async def test_body_limit_and_streaming(gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    auth = {"Authorization": "Bearer good"}
    async with client_of(gateway) as client:
        too_big = await client.post("/api/orders", content=b"x" * 100_001, headers=auth)

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(10):
                yield b"y" * 8_000

        streamed = await client.post("/api/orders", content=chunks(), headers=auth)
        big = await client.get("/api/products/big")
    assert too_big.status_code == 413
    assert streamed.json()["body_bytes"] == 80_000
    assert len(big.content) == 300_000


async def test_public_gets_are_cached_and_writes_clear_the_cache(gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    async with client_of(gateway) as client:
        first = await client.get("/api/products/9")
        second = await client.get("/api/products/9")
        await client.put("/api/products/9", json={}, headers={"Authorization": "Bearer good"})
        third = await client.get("/api/products/9")
        no_store = await client.get("/api/products/9", headers={"Cache-Control": "no-store"})
    assert first.headers["x-gateway-cache"] == "MISS"
    assert second.headers.get_list("x-cache") == ["HIT-GATEWAY"]
    assert third.headers["x-gateway-cache"] == "MISS"
    assert "x-gateway-cache" not in no_store.headers
    assert [c[0] for c in upstream.calls] == ["GET", "PUT", "GET", "GET"]


async def test_unknown_api_path_is_404(gateway) -> None:  # type: ignore[no-untyped-def]
    async with client_of(gateway) as client:
        response = await client.get("/api/nothing-here")
    assert response.status_code == 404
    assert json.loads(response.content)["status"] == 404


async def test_limiter_decision_type() -> None:
    assert Decision(True).allowed and Limit(1, 1).burst == 1


@pytest.fixture
async def green() -> AsyncIterator[Upstream]:
    async with serving() as state:
        yield state


async def with_colors(gateway: Gateway, blue: Upstream, green: Upstream, green_weight: int) -> None:
    """product-catalog in the registry: blue takes the traffic, green is being released."""

    async def source() -> dict[str, list[Instance]]:
        return {
            "product-catalog": [
                Instance(blue.url, "catalog-blue", 100, color="blue"),
                Instance(green.url, "catalog-green", green_weight, color="green"),
            ]
        }

    gateway.resolver.source = source
    await gateway.resolver.refresh()


def sent_headers(upstream: Upstream) -> dict[str, str]:
    return {k.lower(): v for k, v in upstream.calls[-1][2].items()}


async def test_a_preview_reaches_its_color_at_weight_0_and_the_header_goes_on(
    gateway: Gateway, upstream: Upstream, green: Upstream
) -> None:
    await with_colors(gateway, upstream, green, green_weight=0)
    async with client_of(gateway) as client:
        for i in range(10):
            assert (await client.get(f"/api/products/{i}")).status_code == 200
        preview = await client.get("/api/products/1", headers={"X-Color": "green"})
    assert len(upstream.calls) == 10  # weight 0: no ordinary request reached green
    assert preview.status_code == 200 and len(green.calls) == 1
    assert sent_headers(green)["x-color"] == "green"


async def test_a_preview_of_a_color_without_instances_goes_the_usual_way(
    gateway: Gateway, upstream: Upstream, green: Upstream
) -> None:
    await with_colors(gateway, upstream, green, green_weight=0)
    async with client_of(gateway) as client:
        response = await client.get("/api/products/1", headers={"X-Color": "purple"})
    assert response.status_code == 200
    assert len(upstream.calls) == 1 and green.calls == []


async def test_a_preview_neither_reads_nor_fills_the_response_cache(
    gateway: Gateway, upstream: Upstream, green: Upstream
) -> None:
    await with_colors(gateway, upstream, green, green_weight=0)
    async with client_of(gateway) as client:
        await client.get("/api/products/9")  # blue's answer, cached
        preview = await client.get("/api/products/9", headers={"X-Color": "green"})
        again = await client.get("/api/products/9")
    assert "x-gateway-cache" not in preview.headers and len(green.calls) == 1
    assert again.headers["x-gateway-cache"] == "HIT"  # still blue's, not green's
    assert len(upstream.calls) == 1


async def test_gateway_routes_show_each_instances_color(
    gateway: Gateway, upstream: Upstream, green: Upstream
) -> None:
    await with_colors(gateway, upstream, green, green_weight=0)
    admin = FastAPI()
    admin.include_router(admin_router(gateway))
    transport = httpx.ASGITransport(app=admin)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        routes = (await client.get("/gateway/routes")).json()["routes"]
    [catalog] = [r for r in routes if r["id"] == "product-catalog"]
    shown = {i["instance_id"]: (i["color"], i["weight"]) for i in catalog["instances"]}
    assert shown == {"catalog-blue": ("blue", 100), "catalog-green": ("green", 0)}
