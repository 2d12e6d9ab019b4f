"""The upstream pool against real sockets: an aiohttp server, and raw servers that answer in
the shapes a general server rarely produces (EOF-delimited bodies, early closes, stalls)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web

from ecomkit.upstream_pool import (
    Origin,
    UpstreamError,
    UpstreamPool,
    UpstreamTimeout,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def pool() -> AsyncIterator[UpstreamPool]:
    pool = UpstreamPool(connect_timeout_s=1.0, read_timeout_s=1.0)
    yield pool
    await pool.close()


async def serve_app(app: web.Application) -> tuple[web.AppRunner, Origin]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, Origin("127.0.0.1", port)


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[Origin, list[web.Request]]]:
    seen: list[web.Request] = []

    async def echo(request: web.Request) -> web.StreamResponse:
        seen.append(request)
        body = await request.read()
        if request.path == "/chunked":
            response = web.StreamResponse(status=200)
            await response.prepare(request)
            for part in (b"one,", b"two,", b"three"):
                await response.write(part)
            await response.write_eof()
            return response
        if request.path == "/big":
            return web.Response(body=b"x" * 3_000_000)
        if request.path == "/empty":
            return web.Response(status=204)
        return web.Response(
            body=body or request.path_qs.encode(),
            headers={"X-Seen-Method": request.method, "X-Conn": str(id(request.transport))},
        )

    app = web.Application(client_max_size=10_000_000)
    app.router.add_route("*", "/{tail:.*}", echo)
    runner, origin = await serve_app(app)
    yield origin, seen
    await runner.cleanup()


async def test_get_reads_status_headers_and_body(pool, upstream) -> None:  # type: ignore[no-untyped-def]
    origin, _ = upstream
    response = await pool.request("GET", origin, "/a?b=1", [(b"x-test", b"1")])
    assert response.status == 200
    assert await response.read() == b"/a?b=1"
    assert (b"x-seen-method", b"GET") in response.headers


async def test_a_fully_read_response_frees_its_connection_for_the_next_request(
    pool, upstream
) -> None:  # type: ignore[no-untyped-def]
    origin, _ = upstream
    first = await pool.request("GET", origin, "/1", [])
    await first.read()
    second = await pool.request("GET", origin, "/2", [])
    await second.read()
    conn = dict(first.headers)[b"x-conn"]
    assert dict(second.headers)[b"x-conn"] == conn


async def test_an_unread_response_does_not_return_its_connection(pool, upstream) -> None:  # type: ignore[no-untyped-def]
    origin, _ = upstream
    first = await pool.request("GET", origin, "/big", [])
    first.release()  # body never read: the connection must not carry it into the next answer
    second = await pool.request("GET", origin, "/after", [])
    assert await second.read() == b"/after"


async def test_request_bodies_whole_and_streamed(pool, upstream) -> None:  # type: ignore[no-untyped-def]
    origin, seen = upstream
    whole = await pool.request("POST", origin, "/p", [], b'{"a": 1}')
    assert await whole.read() == b'{"a": 1}'

    async def parts() -> AsyncIterator[bytes]:
        for part in (b"abc", b"", b"def" * 10_000):
            yield part

    streamed = await pool.request("PUT", origin, "/s", [], parts())
    assert await streamed.read() == b"abc" + b"def" * 10_000
    assert seen[-1].headers["Transfer-Encoding"] == "chunked"
    empty = await pool.request("POST", origin, "/e", [], None)
    assert await empty.read() == b"/e"
    assert seen[-1].headers["Content-Length"] == "0"


async def test_chunked_and_large_responses_stream_in_pieces(pool, upstream) -> None:  # type: ignore[no-untyped-def]
    origin, _ = upstream
    chunked = await pool.request("GET", origin, "/chunked", [])
    assert chunked.content_length is None
    assert b"".join([c async for c in chunked.chunks()]) == b"one,two,three"
    big = await pool.request("GET", origin, "/big", [])
    pieces = [c async for c in big.chunks()]
    assert sum(map(len, pieces)) == 3_000_000 and len(pieces) > 1


async def test_head_and_204_have_no_body(pool, upstream) -> None:  # type: ignore[no-untyped-def]
    origin, _ = upstream
    head = await pool.request("HEAD", origin, "/h", [])
    assert head.status == 200 and await head.read() == b""
    empty = await pool.request("GET", origin, "/empty", [])
    assert empty.status == 204 and await empty.read() == b""
    after = await pool.request("GET", origin, "/after", [])
    assert await after.read() == b"/after"


async def test_refused_connection_is_an_upstream_error(pool) -> None:  # type: ignore[no-untyped-def]
    listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    listener.close()
    await listener.wait_closed()
    with pytest.raises(UpstreamError, match="cannot connect"):
        await pool.request("GET", Origin("127.0.0.1", port), "/", [])


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def raw_server(handler: Handler) -> tuple[asyncio.Server, Origin]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, Origin("127.0.0.1", server.sockets[0].getsockname()[1])


async def test_body_delimited_by_close_is_read_to_the_end(pool) -> None:  # type: ignore[no-untyped-def]
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the end")
        await writer.drain()
        writer.close()

    server, origin = await raw_server(handler)
    async with server:
        response = await pool.request("GET", origin, "/", [])
        assert await response.read() == b"until the end"


async def test_close_before_answering_and_stalls_are_reported(pool) -> None:  # type: ignore[no-untyped-def]
    async def closes(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    async def stalls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(5)

    async def truncates(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nshort")
        await writer.drain()
        writer.close()

    for handler, error in ((closes, UpstreamError), (stalls, UpstreamTimeout)):
        server, origin = await raw_server(handler)
        async with server:
            with pytest.raises(error):
                await pool.request("GET", origin, "/", [])
    server, origin = await raw_server(truncates)
    async with server:
        response = await pool.request("GET", origin, "/", [])
        with pytest.raises(UpstreamError):
            await response.read()


async def test_a_connection_the_upstream_closed_while_idle_is_not_reused(pool) -> None:  # type: ignore[no-untyped-def]
    answered = 0

    async def once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal answered
        await reader.readuntil(b"\r\n\r\n")
        answered += 1
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()  # keep-alive was not refused, but the server goes away anyway

    server, origin = await raw_server(once)
    async with server:
        for _ in range(3):
            response = await pool.request("GET", origin, "/", [])
            assert await response.read() == b"ok"
            await asyncio.sleep(0.05)  # let the FIN arrive, as it would between requests
    assert answered == 3


def test_origin_parses_upstream_urls() -> None:
    assert Origin.parse("http://127.0.0.1:8082") == Origin("127.0.0.1", 8082)
    assert Origin.parse("http://catalog:9000/base") == Origin("catalog", 9000)
    assert Origin.parse("http://catalog") == Origin("catalog", 80)
    assert Origin.parse("http://[::1]:81").host == "::1"


async def test_a_connection_whose_upload_was_refused_early_is_not_reused(pool) -> None:  # type: ignore[no-untyped-def]
    """Issue 16: the upstream answers (413) before the streamed body is complete, then
    drops the connection; the next request must not be sent on it."""
    connections = 0

    async def refuses_then_closes(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        if connections == 1:
            writer.write(b"HTTP/1.1 413 Content Too Large\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()
            await reader.readuntil(b"0\r\n\r\n")  # discards the rest of the upload
            await asyncio.sleep(0.3)
            writer.close()
            return
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    async def upload() -> AsyncIterator[bytes]:
        yield b"x" * 1000
        await asyncio.sleep(0.1)  # the 413 arrives meanwhile
        yield b"y" * 1000

    server, origin = await raw_server(refuses_then_closes)
    async with server:
        refused = await pool.request("POST", origin, "/upload", [], upload())
        assert refused.status == 413 and await refused.read() == b""
        response = await pool.request("POST", origin, "/next", [], b"{}")
        assert await response.read() == b"ok"
    assert connections == 2
