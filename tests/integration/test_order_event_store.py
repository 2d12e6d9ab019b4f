"""Orders placed before event sourcing (CRUD rows, partial order_events) after migration
V8: each loads from its stream to exactly its row, and the saga carries on from there; and
after V10 the read models hold them all, seeded, with the same result after a rebuild."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from ecomkit.db import create_engine, create_session_factory
from ecomkit.eventstore import PostgresProjectionStore, ProjectionRunner
from saga_support import template_contracts
from test_user_auth_service import migration_folder

from ecomctl.migrate import MigrateSettings, migrate, parse_url

pytestmark = pytest.mark.anyio
template_contracts("order")  # puts the order template's src/ on the path

from order.adapters.projections import PROJECTIONS  # noqa: E402
from order.adapters.read_models import PostgresReadModels  # noqa: E402
from order.adapters.repositories import UPCASTERS  # noqa: E402
from order.adapters.tables import ORDER_STREAMS  # noqa: E402
from order.domain.model import OrderStatus, SagaState  # noqa: E402
from order.service_layer.ports import OrderQuery  # noqa: E402
from order.service_layer.unit_of_work import PostgresUnitOfWork  # noqa: E402

BEFORE_EVENT_SOURCING = """
INSERT INTO orders (order_number, user_id, total_amount, currency, status, saga_state,
                    saga_deadline, payment_method_id, payment_id, shipping_address, trace_id)
VALUES ('ORD-PAID', 1, 3.00, 'USD', 'PAID', 'COMPLETED', now(), 'pm', 'pi_9', '1 Main St',
        '4bf92f3577b34da6a3ce929d0e0e4736'),
       ('ORD-WAITING', 2, 5.00, 'USD', 'PENDING', 'RESERVED', now() + interval '1 hour',
        NULL, NULL, NULL, NULL);
INSERT INTO order_items (order_id, product_id, quantity, price)
SELECT id, 7, 2, 1.50 FROM orders WHERE order_number = 'ORD-PAID';
INSERT INTO order_items (order_id, product_id, quantity, price)
SELECT id, 8, 1, 5.00 FROM orders WHERE order_number = 'ORD-WAITING';
-- The paid order has a history of wire payloads (schema version 1), the waiting one none.
INSERT INTO order_events (order_id, event_type, event_data)
SELECT id, t, '{}'::jsonb FROM orders,
       (VALUES (1, 'OrderCreated'), (2, 'InventoryReserved'), (3, 'OrderPaid')) v(n, t)
WHERE order_number = 'ORD-PAID' ORDER BY n;
-- Paid long ago, no history at all: its row's last update (the payment) dates its sales.
INSERT INTO orders (order_number, user_id, total_amount, currency, status, saga_state,
                    payment_id, created_at, updated_at)
VALUES ('ORD-OLD', 1, 7.50, 'USD', 'PAID', 'COMPLETED', 'pi_1',
        '2026-11-01 09:00+00', '2026-11-02 23:30+00');
INSERT INTO order_items (order_id, product_id, quantity, price)
SELECT id, p, q, c FROM orders, (VALUES (7, 1, 1.50), (9, 3, 2.00)) v(p, q, c)
WHERE order_number = 'ORD-OLD'
"""
OLD_DAY = date(2026, 11, 2)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def database(postgres_url: str) -> str:
    admin = parse_url(postgres_url)
    name = f"order_es_{uuid.uuid4().hex[:10]}"
    conninfo = dict(host=admin.host, port=admin.port, user=admin.user, password=admin.password)
    with psycopg.connect(dbname=admin.database, autocommit=True, **conninfo) as conn:
        conn.execute(f"CREATE DATABASE {name}".encode())
    url = f"postgresql://{admin.user}:{admin.password}@{admin.host}:{admin.port}/{name}"
    folder = (migration_folder("order"),)
    migrate(settings=MigrateSettings(url=parse_url(url), locations=folder, target="7"))
    with psycopg.connect(dbname=name, autocommit=True, **conninfo) as conn:
        for statement in BEFORE_EVENT_SOURCING.split(";"):
            conn.execute(statement.encode())
    migrate(settings=MigrateSettings(url=parse_url(url), locations=folder))
    return url


def state(order: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(order).items() if k not in ("updated_at", "version")}


async def test_existing_orders_load_to_their_rows_and_carry_on(database: str) -> None:
    engine = create_engine(database)
    sessions = create_session_factory(engine)
    try:
        async with PostgresUnitOfWork(sessions) as uow:
            for order_id in (1, 2):
                row = await uow.orders.get(order_id)
                rebuilt = await uow.orders.get(order_id, for_update=True)
                assert row is not None and rebuilt is not None
                assert state(rebuilt) == state(row), order_id
            assert (rebuilt.version, rebuilt.saga_state) == (0, SagaState.RESERVED)
            # The waiting order goes on with its saga: paid, event version 1 of its stream.
            await pay(uow, rebuilt)
        async with PostgresUnitOfWork(sessions) as uow:
            paid = await uow.orders.get(2, for_update=True)
            stream = await uow.orders.streams.load(1)  # type: ignore[attr-defined]
        assert paid is not None and paid.status is OrderStatus.PAID
        assert paid.payment_id == "pi_10" and paid.version == 1
        # The paid order's v1 rows come out upcast (what v2 adds, as None) over its snapshot.
        assert stream.snapshot is not None and stream.snapshot.version == 3
        assert stream.events == []
    finally:
        await engine.dispose()


async def pay(uow: PostgresUnitOfWork, order: Any) -> None:
    """The waiting order goes on with its saga: paid, as the payment handler records it."""
    order.pay("pi_10")
    await uow.orders.append_event(order, "OrderPaid", {"payment_id": "pi_10"}, schema_version=2)
    await uow.orders.save(order)
    await uow.commit()


async def test_a_v1_event_without_a_snapshot_is_upcast(database: str) -> None:
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("DELETE FROM order_snapshots WHERE order_id = 1")
    engine = create_engine(database)
    try:
        async with PostgresUnitOfWork(create_session_factory(engine)) as uow:
            stream = await uow.orders.streams.load(1)  # type: ignore[attr-defined]
        created, reserved, paid = stream.events
        assert (created.schema_version, paid.schema_version, reserved.schema_version) == (2, 2, 1)
        assert created.data["saga_deadline"] is None and paid.data["payment_id"] is None
    finally:
        await engine.dispose()


async def caught_up(runner: ProjectionRunner) -> None:
    """Steps until every generation has read the whole log (a transaction running
    elsewhere on the server can hold the visible head back for a moment)."""
    for _ in range(300):
        if not await runner.step():
            lags = [g.lag.events for p in await runner.status() for g in p.generations]
            if not any(lags):
                return
            await asyncio.sleep(0.1)
    raise AssertionError("the projections did not catch up")


def tables(database: str, generation: int) -> dict[str, int]:
    """Each read-model table of `generation` with its rows in it, compared (EXCEPT ALL
    both ways) with the same table of generation 1."""
    found = {}
    with psycopg.connect(database) as conn:
        for prefix in ("rm_order_history", "rm_order_search", "rm_sales_daily", "rm_sales_orders"):
            a, b = f"{prefix}_g1", f"{prefix}_g{generation}"
            row = conn.execute(
                f"SELECT (SELECT count(*) FROM {b}), count(*) FROM ((TABLE {a} EXCEPT ALL"
                f" TABLE {b}) UNION ALL (TABLE {b} EXCEPT ALL TABLE {a})) d".encode()
            ).fetchone()
            assert row is not None and row[1] == 0, (prefix, row)
            found[prefix] = int(row[0])
    return found


async def test_the_read_models_hold_the_orders_from_before_and_a_rebuild_agrees(
    database: str,
) -> None:
    engine = create_engine(database)
    store = PostgresProjectionStore(engine, ORDER_STREAMS, upcasters=UPCASTERS)
    runner = ProjectionRunner(store, PROJECTIONS, batch=2)
    reads, today = PostgresReadModels(engine), datetime.now(UTC).date()
    sales_range = (OLD_DAY, today + timedelta(days=1), None)
    try:
        await runner.start()
        await caught_up(runner)
        history = await reads.history(1, offset=0, limit=10)
        assert [(o["order_number"], o["status"]) for o in history] == [
            ("ORD-PAID", "PAID"), ("ORD-OLD", "PAID")
        ]  # fmt: skip
        assert [line["productId"] for line in history[1]["lines"]] == [7, 9]
        # ORD-PAID's v1 rows ('{}' payloads) are in its timeline, never parsed.
        assert [e["event"] for e in history[0]["timeline"]] == [
            "OrderCreated", "InventoryReserved", "OrderPaid", "Migrated"
        ]  # fmt: skip
        [waiting] = await reads.history(2, offset=0, limit=10)
        assert (waiting["status"], waiting["total_amount"]) == ("PENDING", Decimal("5.00"))
        assert await sales(reads, *sales_range) == {
            (OLD_DAY, 7): (1, Decimal("1.50"), 1),
            (OLD_DAY, 9): (3, Decimal("6.00"), 1),
            (today, 7): (2, Decimal("3.00"), 1),
        }
        [pending] = await reads.search(OrderQuery(status="PENDING"))
        assert pending["order_number"] == "ORD-WAITING"
        placed_day = date(2026, 11, 1)
        found = await reads.search(OrderQuery(created_from=placed_day, created_to=placed_day))
        assert [o["order_number"] for o in found] == ["ORD-OLD"]

        async with PostgresUnitOfWork(create_session_factory(engine)) as uow:
            order = await uow.orders.get(2, for_update=True)
            await pay(uow, order)
        await caught_up(runner)
        [paid] = await reads.history(2, offset=0, limit=10)
        assert paid["status"] == "PAID"
        assert [(e["event"], e["version"]) for e in paid["timeline"]] == [
            ("Migrated", 0), ("OrderPaid", 1)
        ]  # fmt: skip
        assert (await sales(reads, *sales_range))[(today, 8)] == (1, Decimal("5.00"), 1)
        assert await reads.search(OrderQuery(status="PENDING")) == []

        for projection in PROJECTIONS:
            assert await runner.rebuild(projection.name) == 2
        await caught_up(runner)
        assert {p.current for p in await runner.status()} == {2}
        assert tables(database, 2) == {
            "rm_order_history": 3, "rm_order_search": 3, "rm_sales_daily": 4,
            "rm_sales_orders": 3,
        }  # fmt: skip
    finally:
        await engine.dispose()


async def sales(
    reads: PostgresReadModels, start: date, end: date, product: int | None
) -> dict[tuple[date, int], tuple[int, Decimal, int]]:
    rows = await reads.sales(start, end, product)
    return {(r["day"], r["product_id"]): (r["quantity"], r["revenue"], r["orders"]) for r in rows}
