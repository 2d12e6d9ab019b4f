"""The WebSocket proxy on a real server (uvicorn) in front of a real (aiohttp) upstream:
authentication at the edge, the token handed on, frames and close codes both ways, the
per-user cap and the idle timeout. Tokens and registry are fakes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator

import pytest
import uvicorn
from aiohttp import WSMsgType, web
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from gateway.entrypoints.app import GatewayApp
from tests.servers import serve
from tests.test_proxy import make_gateway

pytestmark = pytest.mark.anyio
GOOD = ["bearer", "good"]


@contextlib.asynccontextmanager
async def ws_upstream() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    """Echoes text frames; `close:<code>` closes with that code; records the handshakes."""
    seen: list[dict[str, str]] = []

    async def handle(request: web.Request) -> web.WebSocketResponse:
        seen.append({**request.headers, "path_qs": request.path_qs})
        ws = web.WebSocketResponse(protocols=["bearer"])
        await ws.prepare(request)
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            if message.data.startswith("close:"):
                await ws.close(code=int(message.data[6:]), message=b"as asked")
                break
            await ws.send_str("echo " + message.data)
        return ws

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    async with serve(app) as url:
        yield url, seen


@contextlib.asynccontextmanager
async def serving_gateway(upstream_url: str, **overrides: object) -> AsyncIterator[str]:
    gateway = make_gateway(upstream_url, **overrides)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = GatewayApp(gateway, admin=None)  # type: ignore[arg-type]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="error")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield f"ws://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    async with ws_upstream() as served:
        yield served


@pytest.fixture
async def gateway_url(upstream: tuple[str, list[dict[str, str]]]) -> AsyncIterator[str]:
    async with serving_gateway(upstream[0], gateway_ws_auth_timeout_s=0.5) as url:
        yield url


async def closed_code(socket: ClientConnection) -> int | None:
    with contextlib.suppress(ConnectionClosed):
        await asyncio.wait_for(socket.recv(), 5)
    return socket.close_code


async def test_frames_pass_both_ways_and_the_token_is_handed_on(
    gateway_url: str, upstream: tuple[str, list[dict[str, str]]]
) -> None:
    async with connect(f"{gateway_url}/ws/orders/5?last_event=3", subprotocols=GOOD) as ws:  # type: ignore[arg-type]
        assert ws.subprotocol == "bearer"
        await ws.send("hi")
        assert await ws.recv() == "echo hi"
        pong = await ws.ping()
        await asyncio.wait_for(pong, 5)
    sent = upstream[1][0]
    assert sent["path_qs"] == "/ws/orders/5?last_event=3"
    assert sent["Sec-WebSocket-Protocol"] == "bearer, good"
    assert (sent["X-User-Id"], sent["X-User-Roles"]) == ("7", "USER")


async def test_the_token_may_come_as_the_first_message(
    gateway_url: str, upstream: tuple[str, list[dict[str, str]]]
) -> None:
    async with connect(f"{gateway_url}/ws/orders/5") as ws:
        await ws.send(json.dumps({"token": "good"}))
        assert await ws.recv() == 'echo {"token": "good"}'  # handed on as it came
    assert "Sec-WebSocket-Protocol" not in upstream[1][0]


@pytest.mark.parametrize("code", [4403, 4404, 1000, 3000])
async def test_the_upstreams_close_code_reaches_the_client(gateway_url: str, code: int) -> None:
    async with connect(f"{gateway_url}/ws/orders/5", subprotocols=GOOD) as ws:  # type: ignore[arg-type]
        await ws.send(f"close:{code}")
        assert await closed_code(ws) == code


@pytest.mark.parametrize("first", [None, "{}", json.dumps({"token": "forged"})])
async def test_no_valid_token_is_4401_at_the_edge(
    gateway_url: str, upstream: tuple[str, list[dict[str, str]]], first: str | None
) -> None:
    async with connect(f"{gateway_url}/ws/orders/5") as ws:
        if first is not None:
            await ws.send(first)
        assert await closed_code(ws) == 4401
    assert upstream[1] == []  # never reached the service


async def test_an_unrouted_path_is_4404(gateway_url: str) -> None:
    async with connect(f"{gateway_url}/ws/nothing/1", subprotocols=GOOD) as ws:  # type: ignore[arg-type]
        assert await closed_code(ws) == 4404


async def test_a_user_holds_at_most_the_cap(upstream: tuple[str, list[dict[str, str]]]) -> None:
    async with serving_gateway(upstream[0], gateway_ws_max_per_user=2) as url:
        held = [await connect(f"{url}/ws/orders/1", subprotocols=GOOD) for _ in range(2)]  # type: ignore[arg-type]
        for ws in held:
            await ws.send("x")
            await ws.recv()
        async with connect(f"{url}/ws/orders/1", subprotocols=GOOD) as third:  # type: ignore[arg-type]
            assert await closed_code(third) == 4429
        await held[0].close()
        await asyncio.sleep(0.2)
        async with connect(f"{url}/ws/orders/1", subprotocols=GOOD) as again:  # type: ignore[arg-type]
            await again.send("y")
            assert await again.recv() == "echo y"
        await held[1].close()


async def test_an_idle_socket_is_closed_1001(upstream: tuple[str, list[dict[str, str]]]) -> None:
    async with (
        serving_gateway(upstream[0], gateway_ws_idle_timeout_s=0.3) as url,
        connect(f"{url}/ws/orders/1", subprotocols=GOOD) as ws,  # type: ignore[arg-type]
    ):
        assert await closed_code(ws) == 1001
