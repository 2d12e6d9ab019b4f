"""Live streams over WebSocket: a stored, ordered stream per key (an order's events), pushed
as it grows, resumable from a position.

The store is the source, never the wake-up: a follower reads everything after its position,
sends it, then sleeps until the hub says its key's stream may have grown (or a safety poll
fires) and reads again. So a reconnect with `last_event=N` replays what was missed and then
goes live, with no gap and no duplicate, and a lost wake-up only delays a frame.

The hub is per process; what wakes it is the store's own signal of a commit, e.g.
PostgreSQL's LISTEN/NOTIFY (`listen_forever`), so every instance of a service (both colors
of a release) pushes what any of them committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from fastapi.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from sqlalchemy.engine import make_url

from ecomkit.events import Event

log = logging.getLogger(__name__)

Message = dict[str, Any]
# What a store read gives: (position, message); None as a message is a position to skip
# (a stored entry the stream does not show), so the position still moves past it.
Entry = tuple[int, Message | None]
ReadAfter = Callable[[int], Awaitable[Sequence[Entry]]]
SAFETY_POLL_S = 30.0
CLOSE_DONE = 1000


class LiveHub:
    """Wakes the followers of a key when its stream may have grown."""

    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = defaultdict(set)
        # Woken by every key (a projection runner follows the whole log, not one stream).
        self.any = asyncio.Event()

    @contextlib.contextmanager
    def watching(self, key: str) -> Iterator[asyncio.Event]:
        woken = asyncio.Event()
        self._waiting[key].add(woken)
        try:
            yield woken
        finally:
            followers = self._waiting[key]
            followers.discard(woken)
            if not followers:
                del self._waiting[key]

    def wake(self, key: str) -> None:
        self.any.set()
        for woken in self._waiting.get(key, ()):
            woken.set()

    def wake_all(self) -> None:
        self.any.set()
        for followers in self._waiting.values():
            for woken in followers:
                woken.set()

    @property
    def followers(self) -> int:
        return sum(len(followers) for followers in self._waiting.values())


async def follow(
    websocket: WebSocket,
    *,
    hub: LiveHub,
    key: str,
    after: int,
    read_after: ReadAfter,
    finished: Callable[[Message], bool] = lambda _: False,
    safety_poll_s: float = SAFETY_POLL_S,
) -> None:
    """Send the stream after position `after`, then each entry as it is stored, until the
    client leaves or a message is `finished` (then close 1000)."""
    async with _connected(websocket, hub, key) as (woken, gone):
        while not gone.done():
            woken.clear()
            for position, message in await read_after(after):
                after = position
                if message is None:
                    continue
                await websocket.send_json(message)
                if finished(message):
                    await websocket.close(CLOSE_DONE, "stream finished")
                    return
            await _first_of(gone, woken, safety_poll_s)


async def follow_value(
    websocket: WebSocket,
    *,
    hub: LiveHub,
    key: str,
    read: Callable[[], Awaitable[Message | None]],
    safety_poll_s: float = SAFETY_POLL_S,
) -> None:
    """Send a value now (a product's stock), then again each time it differs when the hub
    wakes the key or the safety poll comes round, until the client leaves."""
    last: Message | None = None
    async with _connected(websocket, hub, key) as (woken, gone):
        while not gone.done():
            woken.clear()
            value = await read()
            if value is not None and value != last:
                await websocket.send_json(value)
                last = value
            await _first_of(gone, woken, safety_poll_s)


def wake_on_committed(hub: LiveHub, event_type: str) -> Callable[[Sequence[Event]], None]:
    """A listener for `ecomkit.db.outbox_committed`: wakes the key of each committed event
    of `event_type` (this process's commits; other instances' reach followers at the
    safety poll)."""

    def wake(events: Sequence[Event]) -> None:
        for event in events:
            if event.type == event_type:
                hub.wake(event.key)

    return wake


@contextlib.asynccontextmanager
async def _connected(
    websocket: WebSocket, hub: LiveHub, key: str
) -> AsyncIterator[tuple[asyncio.Event, asyncio.Task[None]]]:
    """Watching `key` (before the first read: a wake-up in between is kept) while the
    client is connected; a send to a client that left ends it quietly."""
    with hub.watching(key) as woken:
        gone = asyncio.create_task(_until_disconnect(websocket))
        try:
            yield woken, gone
        except WebSocketDisconnect:
            return
        finally:
            gone.cancel()
            await asyncio.gather(gone, return_exceptions=True)


async def _until_disconnect(websocket: WebSocket) -> None:
    """Reads (and ignores) what the client sends, returning when it leaves."""
    while websocket.application_state is WebSocketState.CONNECTED:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


async def _first_of(gone: asyncio.Task[None], woken: asyncio.Event, timeout_s: float) -> None:
    waking = asyncio.ensure_future(woken.wait())
    try:
        await asyncio.wait({gone, waking}, timeout=timeout_s, return_when="FIRST_COMPLETED")
    finally:
        waking.cancel()


def asyncpg_dsn(url: str) -> str:
    """A plain libpq URL for asyncpg from the service's database URL (any driver)."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def listen_forever(
    database_url: str,
    channel: str,
    hub: LiveHub,
    *,
    retry_s: float = 2.0,
) -> Callable[[], Awaitable[None]]:
    """A background loop waking the hub with each NOTIFY payload on `channel` (the key).

    Notifications are delivered at commit, so a follower never reads a row before it is
    visible. After a (re)connect every follower is woken: what was committed while no one
    listened is read from the store like everything else.
    """
    dsn = asyncpg_dsn(database_url)

    def on_notify(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
        hub.wake(payload)

    async def listening() -> None:
        while True:
            try:
                await _listen_once(dsn, channel, on_notify, hub)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("LISTEN %s: %s; again in %.0f s", channel, error, retry_s)
            await asyncio.sleep(retry_s)

    listening.__name__ = f"listen_{channel}"
    return listening


async def _listen_once(
    dsn: str, channel: str, on_notify: Callable[..., None], hub: LiveHub
) -> None:
    connection = await asyncpg.connect(dsn)
    lost = asyncio.Event()
    connection.add_termination_listener(lambda _connection: lost.set())
    try:
        await connection.add_listener(channel, on_notify)
        hub.wake_all()
        while not lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), SAFETY_POLL_S)
            if not lost.is_set():
                await connection.execute("SELECT 1")  # a dead peer shows as an error here
    finally:
        if not connection.is_closed():
            await connection.close(timeout=2)
