"""A lean HTTP/1.1 client: keep-alive connections on asyncio protocols, for the gateway's
proxy and the kit's `ServiceClient` (calls between services).

Why not a general client: measured on the gateway's hot path (docs/services/gateway.md), a
request through aiohttp's ClientSession spends ~25 % of the gateway's CPU in the client's
own Python (request objects, header multidicts, timers, tracing hooks) — more than the
socket calls; httpx was 10-13 % of the order service's CPU for its two calls per order.
A proxy, or a JSON call between services, needs none of that. Here a request
is one `transport.write` of a prebuilt head (and a small body), and the response is parsed
by httptools (llhttp, the parser uvicorn uses) straight into a list of header pairs and body
chunks.

What it does: a pool of idle connections per origin (host, port) with a size limit and an
idle timeout shorter than the upstreams' keep-alive; connect and read timeouts; request
bodies as bytes (Content-Length) or streamed (chunked); responses read whole or streamed
with flow control; a connection is reused only after its response was read to the end and
the upstream allowed keep-alive. A connection that the upstream closed while idle is
detected before reuse (its EOF arrives as a callback), so requests do not land on it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import cast

import httptools

Headers = list[tuple[bytes, bytes]]

# Past this many unread body bytes the connection stops reading from the socket.
READ_HIGH_WATER = 1 << 20


class UpstreamError(ConnectionError):
    """The upstream could not be reached, or broke the connection before answering."""


class UpstreamTimeout(TimeoutError):
    """The upstream did not connect or answer in time."""


class UpstreamConnectTimeout(UpstreamTimeout):
    """No connection within the connect timeout (nothing was sent: safe to retry)."""


@dataclass(frozen=True)
class Origin:
    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> Origin:
        """`http://host:port` (the form upstream URLs take in the registry and settings)."""
        rest = url.split("://", 1)[-1].split("/", 1)[0]
        host, _, port = rest.rpartition(":")
        if not host:
            return cls(rest, 80)
        return cls(host.strip("[]"), int(port))

    @property
    def host_header(self) -> bytes:
        return f"{self.host}:{self.port}".encode()


class _Connection(asyncio.Protocol):
    """One upstream connection; httptools calls the on_* methods as bytes arrive."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.usable = True
        self._headers: Headers = []
        self._head: asyncio.Future[None] | None = None
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._more: asyncio.Future[None] | None = None
        self._complete = False
        self._error: BaseException | None = None
        self._paused = False
        self._drain: asyncio.Future[None] | None = None
        self.idle_since = 0.0

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(UpstreamError("the upstream switched protocols"))
        except httptools.HttpParserError as exc:
            self._fail(UpstreamError(f"malformed response from the upstream: {exc}"))

    def eof_received(self) -> bool | None:
        self.usable = False
        self._end_of_stream(None)
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.usable = False
        self._end_of_stream(exc)
        self._wake_drain(exc)

    def _end_of_stream(self, exc: Exception | None) -> None:
        if self._complete:
            return
        if exc is None and self._delimited_by_close():
            # Neither Content-Length nor chunked: the end of the connection ends the body.
            self._complete = True
            self._wake()
            return
        self._fail(UpstreamError(f"the upstream closed the connection ({exc or 'EOF'})"))

    def _delimited_by_close(self) -> bool:
        if self._head is None or not self._head.done() or self._head.exception():
            return False
        names = {name for name, _ in self._headers}
        return b"content-length" not in names and b"transfer-encoding" not in names

    def pause_writing(self) -> None:
        self._drain = self._loop.create_future()

    def resume_writing(self) -> None:
        self._wake_drain(None)

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        if self._parser.get_status_code() < 200:
            # An interim answer (100 Continue): the real head follows.
            self._headers = []
            return
        if self._head is not None and not self._head.done():
            self._head.set_result(None)

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)
        self._buffered += len(body)
        if self._buffered > READ_HIGH_WATER and not self._paused and self.transport:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self._parser.get_status_code() < 200:
            return
        self._complete = True
        if not self._parser.should_keep_alive():
            self.usable = False
        if self._head is not None and not self._head.done():
            self._head.set_result(None)
        self._wake()

    # used by the pool and the response

    def start(self, head: bytes, body: bytes | None) -> None:
        assert self.transport is not None
        self._parser = httptools.HttpResponseParser(self)
        self._headers = []
        self._chunks.clear()
        self._buffered = 0
        self._complete = False
        self._error = None
        self._head = self._loop.create_future()
        self.transport.write(head + body if body else head)

    async def drain(self) -> None:
        if self._error is not None:
            raise self._error
        if self._drain is not None:
            await self._drain

    async def wait_head(self, timeout_s: float) -> tuple[int, Headers]:
        assert self._head is not None
        try:
            async with asyncio.timeout(timeout_s):
                await self._head
        except TimeoutError:
            self.close()
            raise UpstreamTimeout(f"no response within {timeout_s:g} s") from None
        return self._parser.get_status_code(), self._headers

    async def next_chunk(self, timeout_s: float) -> bytes | None:
        """The next piece of the body; None once the body is complete."""
        while not self._chunks:
            if self._complete:
                return None
            if self._error is not None:
                raise self._error
            self._more = self._loop.create_future()
            try:
                async with asyncio.timeout(timeout_s):
                    await self._more
            except TimeoutError:
                self.close()
                raise UpstreamTimeout(f"the response body stalled for {timeout_s:g} s") from None
            finally:
                self._more = None
        chunk = self._chunks.popleft()
        self._buffered -= len(chunk)
        if self._paused and self._buffered <= READ_HIGH_WATER // 2 and self.transport:
            self._paused = False
            self.transport.resume_reading()
        return chunk

    @property
    def answered(self) -> bool:
        """The response head (or a failure) is in."""
        return self._head is not None and self._head.done()

    @property
    def complete(self) -> bool:
        return self._complete and not self._chunks

    def close(self) -> None:
        self.usable = False
        if self._head is not None and not self._head.done():
            # Nobody waits for this head any more (the request was abandoned): a failure
            # set on it later would only be logged as never retrieved.
            self._head.cancel()
        if self.transport is not None:
            self.transport.close()

    def _fail(self, error: BaseException) -> None:
        self.usable = False
        self._error = error
        if self._head is not None and not self._head.done():
            self._head.set_exception(error)
        self._wake()

    def _wake(self) -> None:
        if self._more is not None and not self._more.done():
            self._more.set_result(None)

    def _wake_drain(self, exc: BaseException | None) -> None:
        waiter, self._drain = self._drain, None
        if waiter is not None and not waiter.done():
            if exc is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(UpstreamError(str(exc)))


class UpstreamResponse:
    """Status and headers are there; the body is read with `read()` or `chunks()`."""

    __slots__ = ("_connection", "_origin", "_pool", "_timeout_s", "headers", "status")

    def __init__(
        self,
        pool: UpstreamPool,
        origin: Origin,
        connection: _Connection,
        status: int,
        headers: Headers,
        timeout_s: float,
    ) -> None:
        self._pool = pool
        self._origin = origin
        self._connection: _Connection | None = connection
        self._timeout_s = timeout_s
        self.status = status
        self.headers = headers

    @property
    def content_length(self) -> int | None:
        for name, value in self.headers:
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return None
        return None

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.chunks()])

    async def chunks(self) -> AsyncIterator[bytes]:
        connection = self._connection
        if connection is None:
            return
        try:
            while (chunk := await connection.next_chunk(self._timeout_s)) is not None:
                yield chunk
        except BaseException:
            self.release()
            raise
        self.release()

    def release(self) -> None:
        """Give the connection back (when its response was read to the end) or close it."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if connection.complete and connection.usable:
            self._pool.put_back(self._origin, connection)
        else:
            connection.close()


class UpstreamPool:
    def __init__(
        self,
        *,
        connect_timeout_s: float,
        read_timeout_s: float,
        max_idle_per_origin: int = 256,
        idle_timeout_s: float = 4.0,
    ) -> None:
        self._connect_timeout_s = connect_timeout_s
        self._read_timeout_s = read_timeout_s
        self._max_idle = max_idle_per_origin
        # Below uvicorn's 5 s keep-alive: the gateway drops an idle connection first.
        self._idle_timeout_s = idle_timeout_s
        self._idle: dict[Origin, list[_Connection]] = {}
        self._closed = False

    async def request(
        self,
        method: str,
        origin: Origin,
        target: str,
        headers: Headers,
        body: bytes | AsyncIterator[bytes] | None = None,
    ) -> UpstreamResponse:
        """Send a request; returns once the status line and headers are in."""
        if self._closed:
            raise UpstreamError("the upstream pool is closed")
        connection = self._take_idle(origin) or await self._connect(origin)
        head = [f"{method} {target} HTTP/1.1\r\n".encode(), b"host: ", origin.host_header, b"\r\n"]
        for name, value in headers:
            head += (name, b": ", value, b"\r\n")
        whole = body if isinstance(body, bytes) else None
        if body is not None and whole is None:
            head.append(b"transfer-encoding: chunked\r\n\r\n")
        elif whole or method in ("POST", "PUT", "PATCH"):
            head += (b"content-length: ", str(len(whole or b"")).encode(), b"\r\n\r\n")
        else:
            head.append(b"\r\n")
        try:
            connection.start(b"".join(head), whole)
            if body is not None and not isinstance(body, bytes):
                await _send_chunked(connection, body)
                if connection.answered:
                    # The upstream answered before it had the whole body (it refused the
                    # upload): it may still be discarding the rest, or about to close.
                    # Such a connection is not reused (issue 16).
                    connection.usable = False
            status, response_headers = await connection.wait_head(self._read_timeout_s)
        except BaseException:
            connection.close()
            raise
        response = UpstreamResponse(
            self, origin, connection, status, response_headers, self._read_timeout_s
        )
        if method == "HEAD" or status in (204, 304):
            # No body follows (whatever Content-Length says), so the parser cannot tell
            # where this response ends: do not reuse the connection.
            connection.close()
            response._connection = None
        return response

    def put_back(self, origin: Origin, connection: _Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if self._closed or len(idle) >= self._max_idle:
            connection.close()
            return
        connection.idle_since = asyncio.get_running_loop().time()
        idle.append(connection)

    async def close(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()

    def _take_idle(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        if not idle:
            return None
        oldest_allowed = asyncio.get_running_loop().time() - self._idle_timeout_s
        while idle:
            connection = idle.pop()  # the most recently used one is the warmest
            if connection.usable and connection.idle_since >= oldest_allowed:
                return connection
            connection.close()
        return None

    async def _connect(self, origin: Origin) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._connect_timeout_s):
                _, connection = await loop.create_connection(
                    lambda: _Connection(loop), origin.host, origin.port
                )
        except TimeoutError:
            raise UpstreamConnectTimeout(
                f"no connection to {origin.host}:{origin.port} within {self._connect_timeout_s:g} s"
            ) from None
        except OSError as exc:
            raise UpstreamError(f"cannot connect to {origin.host}:{origin.port}: {exc}") from exc
        return connection


async def _send_chunked(connection: _Connection, body: AsyncIterator[bytes]) -> None:
    transport = connection.transport
    assert transport is not None
    async for chunk in body:
        if chunk:
            transport.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
            await connection.drain()
    transport.write(b"0\r\n\r\n")
