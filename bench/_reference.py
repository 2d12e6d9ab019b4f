"""The bare reference chain the saga benchmarks measure beside the saga, in the same run.

One HTTP call to a bare aiohttp server, then four produce -> consume hops on the stack's
broker with the kit's own producer/consumer settings: three relays forward hop i to hop
i+1 and the bench observes hop 4, as the saga's OrderCreated -> inventory ->
InventoryReserved -> payment -> PaymentCompleted -> order -> OrderPaid -> observer.

Without `work` (saga_latency) the hops only forward. With `work` (saga_latency_1,
`SagaWork`) the HTTP handler and each relay also do what the saga's service does at that
point, written bare (asyncpg, asyncmy, aiohttp; no ORM, no framework): the same number of
database transactions on the same servers and the same Stripe emulator call.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from _saga import Tally
from aiohttp import web
from aiokafka import AIOKafkaConsumer
from ecomkit.kafka import create_consumer, create_producer, ensure_topics

HOPS = 4
Work = Callable[[bytes], Awaitable[None]]


async def _relay(
    source: str, dest: str, bootstrap: str, ready: asyncio.Event, work: Work | None
) -> None:
    consumer = create_consumer(
        bootstrap, f"bench-{uuid.uuid4()}", [source], auto_offset_reset="latest"
    )
    producer = create_producer(bootstrap)
    await consumer.start()
    await producer.start()
    try:
        while not consumer.assignment():
            await asyncio.sleep(0.05)
        ready.set()
        async for message in consumer:
            if work is not None:  # one at a time: the chain's one-in-flight use
                await work(message.key or b"")
            await producer.send(dest, message.value, key=message.key)  # pipelined: no wait
    finally:
        await consumer.stop()
        await producer.stop()


async def run_reference(
    bootstrap: str,
    orders: int,
    concurrency: int,
    warmup: int,
    *,
    post_work: Work | None = None,
    hop_work: Sequence[Work | None] = (),
) -> Tally:
    """Latency of `orders` chains (after `warmup`), `concurrency` at a time. `post_work` runs
    in the HTTP handler before it answers and before hop 1 is produced; `hop_work[i]` in
    relay i (0: between hop 1 and 2) before it forwards."""
    run = uuid.uuid4().hex[:6]
    topics = [f"bench-ref-{run}-{i}" for i in range(1, HOPS + 1)]
    await ensure_topics(bootstrap, topics, partitions=6)
    readies = [asyncio.Event() for _ in range(HOPS)]
    works = [*hop_work, *([None] * HOPS)][: HOPS - 1]
    tasks = [
        asyncio.create_task(_relay(topics[i], topics[i + 1], bootstrap, readies[i], works[i]))
        for i in range(HOPS - 1)
    ]
    waiters: dict[bytes, asyncio.Future[float]] = {}
    observer = create_consumer(
        bootstrap, f"bench-{uuid.uuid4()}", [topics[-1]], auto_offset_reset="latest"
    )
    tasks.append(asyncio.create_task(_observe(observer, waiters, readies[-1])))
    for ready in readies:
        await asyncio.wait_for(ready.wait(), 60)
    await _until_the_chain_carries(bootstrap, topics[0], waiters)

    async def post(request: web.Request) -> web.Response:
        key = (await request.read()) or b""
        if post_work is not None:
            await post_work(key)
        return web.json_response({"id": 1}, status=201)

    app = web.Application()
    app.router.add_post("/", post)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    producer = create_producer(bootstrap)
    await producer.start()
    tally = Tally()
    queue = iter(range(orders + warmup))
    async with aiohttp.ClientSession() as session:

        async def worker() -> None:
            for index in queue:
                key = uuid.uuid4().hex.encode()
                future = asyncio.get_running_loop().create_future()
                waiters[key] = future
                started = time.perf_counter()
                async with session.post(f"http://127.0.0.1:{port}/", data=key) as response:
                    await response.read()
                await producer.send_and_wait(topics[0], b"{}", key=key)
                seen = await asyncio.wait_for(future, 30)
                if index >= warmup:
                    tally.latencies_ms.append((seen - started) * 1000)

        try:
            await asyncio.gather(*(worker() for _ in range(concurrency)))
        finally:
            await producer.stop()
            await runner.cleanup()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    await _delete_topics(bootstrap, topics)
    return tally


async def _until_the_chain_carries(
    bootstrap: str, first: str, waiters: dict[bytes, asyncio.Future[float]]
) -> None:
    """Consumers that start at "latest" may miss what is sent before their position is set:
    probe until a message makes it through every hop."""
    producer = create_producer(bootstrap)
    await producer.start()
    try:
        for _ in range(120):
            key = uuid.uuid4().hex.encode()
            waiters[key] = asyncio.get_running_loop().create_future()
            await producer.send_and_wait(first, b"{}", key=key)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiters[key], 1.0)
                return
        raise SystemExit("the reference chain never carried a message")
    finally:
        await producer.stop()


async def _observe(
    consumer: AIOKafkaConsumer, waiters: dict[bytes, asyncio.Future[float]], ready: asyncio.Event
) -> None:
    await consumer.start()
    try:
        while not consumer.assignment():
            await asyncio.sleep(0.05)
        ready.set()
        async for message in consumer:
            future = waiters.pop(message.key or b"", None)
            if future is not None and not future.done():
                future.set_result(time.perf_counter())
    finally:
        await consumer.stop()


async def _delete_topics(bootstrap: str, topics: list[str]) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    with contextlib.suppress(Exception):
        await admin.delete_topics(topics)
    await admin.close()


# --- the saga's work, written bare ----------------------------------------------------------

SCRATCH_DB = "bench_reference"
_PG_TABLES = (
    "create table if not exists ref_order (id bigserial primary key, k text not null,"
    " status text not null, total numeric(12,2) not null)",
    "create table if not exists ref_inbox (event_id text primary key)",
    "create table if not exists ref_outbox (id bigserial primary key, k text not null,"
    " payload jsonb not null, published_at timestamptz)",
    "create table if not exists ref_payment (id bigserial primary key, k text not null,"
    " provider_ref text)",
)
_MY_TABLES = (
    "create table if not exists ref_stock (id int primary key, available int not null)",
    "create table if not exists ref_inbox (event_id varchar(64) primary key)",
    "create table if not exists ref_outbox (id bigint auto_increment primary key,"
    " k varchar(64) not null, payload json not null, published_at datetime(6) null)",
)


@dataclass
class SagaWork:
    """The saga's critical path, POST -> PAID, as bare transactions (8) and one Stripe call:

    - HTTP handler = order's POST: order + outbox (1 tx), its relay marks the row (1 tx);
      PostgreSQL.
    - relay 1 = inventory on OrderCreated: inbox + stock + outbox (1 tx), relay (1 tx);
      MariaDB.
    - relay 2 = payment on InventoryReserved: inbox + the emulator's PaymentIntent
      (confirm) + payment + outbox (1 tx), relay (1 tx); PostgreSQL.
    - relay 3 = order on PaymentCompleted: inbox + order PAID + outbox (1 tx), relay
      (1 tx); PostgreSQL.
    """

    pg_dsn: str  # the stack's PostgreSQL, any database (the scratch one is created)
    my: tuple[str, int, str, str]  # host, port, user, password of the stack's MariaDB
    stripe: str  # the emulator's base URL
    stripe_key: str
    payment_method: str
    pg: Any = None  # asyncpg.Pool
    mysql: Any = None  # asyncmy.Pool
    http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        import asyncmy
        import asyncpg

        admin = await asyncpg.connect(self.pg_dsn)
        try:
            if not await admin.fetchval("select 1 from pg_database where datname=$1", SCRATCH_DB):
                await admin.execute(f"create database {SCRATCH_DB}")
        finally:
            await admin.close()
        base, _, _ = self.pg_dsn.rpartition("/")
        self.pg = await asyncpg.create_pool(f"{base}/{SCRATCH_DB}", min_size=2, max_size=4)
        async with self.pg.acquire() as conn:
            for ddl in _PG_TABLES:
                await conn.execute(ddl)
        host, port, user, password = self.my
        self.mysql = await asyncmy.create_pool(
            host=host, port=port, user=user, password=password, minsize=1, maxsize=2
        )
        async with self.mysql.acquire() as conn, conn.cursor() as cur:
            await cur.execute(f"create database if not exists {SCRATCH_DB}")
            await cur.execute(f"use {SCRATCH_DB}")
            for ddl in _MY_TABLES:
                await cur.execute(ddl)
            await cur.execute("insert ignore into ref_stock values (1, 1000000000)")
            await conn.commit()
        self.http = aiohttp.ClientSession(auth=aiohttp.BasicAuth(self.stripe_key, ""))

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.close()
        if self.pg is not None:
            await self.pg.close()
        if self.mysql is not None:
            self.mysql.close()
            await self.mysql.wait_closed()
        import asyncpg

        admin = await asyncpg.connect(self.pg_dsn)
        try:
            await admin.execute(f"drop database if exists {SCRATCH_DB}")
        finally:
            await admin.close()
        host, port, user, password = self.my
        import asyncmy

        conn = await asyncmy.connect(host=host, port=port, user=user, password=password)
        try:
            async with conn.cursor() as cur:
                await cur.execute(f"drop database if exists {SCRATCH_DB}")
        finally:
            conn.close()

    async def _pg_relay(self, conn: Any) -> None:
        """As the kit's relay: no wait for the WAL flush of this commit (a crash only
        republishes)."""
        async with conn.transaction():
            await conn.execute("set local synchronous_commit = off")
            await conn.execute(
                "update ref_outbox set published_at = now() where id in (select id from"
                " ref_outbox where published_at is null order by id for update skip locked)"
            )

    async def place(self, key: bytes) -> None:
        """order's POST: the order and its event in one transaction, then the relay's."""
        async with self.pg.acquire() as conn:
            async with conn.transaction():
                await conn.execute(
                    "insert into ref_order (k, status, total) values ($1, 'PENDING', 9.99)",
                    key.decode(),
                )
                await conn.execute(
                    "insert into ref_outbox (k, payload) values ($1, '{}')", key.decode()
                )
            await self._pg_relay(conn)

    async def reserve(self, key: bytes) -> None:
        """inventory on OrderCreated: inbox + stock + outbox, then the relay's transaction."""
        async with self.mysql.acquire() as conn, conn.cursor() as cur:
            await cur.execute(f"use {SCRATCH_DB}")
            await cur.execute("insert into ref_inbox values (%s)", (key.decode(),))
            await cur.execute("update ref_stock set available = available - 1 where id = 1")
            await cur.execute(
                "insert into ref_outbox (k, payload) values (%s, '{}')", (key.decode(),)
            )
            await conn.commit()
            await cur.execute(
                "update ref_outbox set published_at = now(6) where published_at is null"
            )
            await conn.commit()

    async def charge(self, key: bytes) -> None:
        """payment on InventoryReserved: inbox + the emulator's PaymentIntent + payment +
        outbox in one transaction (the call inside it, as payment does), then the relay's."""
        assert self.http is not None
        async with self.pg.acquire() as conn:
            async with conn.transaction():
                await conn.execute("insert into ref_inbox values ($1)", "charge-" + key.decode())
                form = {
                    "amount": "999",
                    "currency": "usd",
                    "payment_method": self.payment_method,
                    "confirm": "true",
                    "metadata[order_id]": key.decode(),
                }
                headers = {"Idempotency-Key": f"ref-{key.decode()}"}
                async with self.http.post(
                    f"{self.stripe}/v1/payment_intents", data=form, headers=headers
                ) as response:
                    intent = await response.json()
                    if response.status != 200:
                        raise SystemExit(f"the Stripe emulator refused the reference: {intent}")
                await conn.execute(
                    "insert into ref_payment (k, provider_ref) values ($1, $2)",
                    key.decode(),
                    intent.get("id"),
                )
                await conn.execute(
                    "insert into ref_outbox (k, payload) values ($1, '{}')", key.decode()
                )
            await self._pg_relay(conn)

    async def record_payment(self, key: bytes) -> None:
        """order on PaymentCompleted: inbox + order PAID + outbox, then the relay's."""
        async with self.pg.acquire() as conn:
            async with conn.transaction():
                await conn.execute("insert into ref_inbox values ($1)", "paid-" + key.decode())
                await conn.execute(
                    "update ref_order set status = 'PAID' where k = $1", key.decode()
                )
                await conn.execute(
                    "insert into ref_outbox (k, payload) values ($1, '{}')", key.decode()
                )
            await self._pg_relay(conn)

    @property
    def hops(self) -> list[Work | None]:
        return [self.reserve, self.charge, self.record_payment]
