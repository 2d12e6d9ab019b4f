"""Orders placed before event sourcing (CRUD rows, partial order_events) after migration
V8: each loads from its stream to exactly its row, and the saga carries on from there."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from ecomkit.db import create_engine, create_session_factory
from saga_support import template_contracts
from test_user_auth_service import migration_folder

from ecomctl.migrate import MigrateSettings, migrate, parse_url

pytestmark = pytest.mark.anyio
template_contracts("order")  # puts the order template's src/ on the path

from order.domain.model import OrderStatus, SagaState  # noqa: E402
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
WHERE order_number = 'ORD-PAID' ORDER BY n
"""


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
            rebuilt.pay("pi_10")
            await uow.orders.append_event(rebuilt, "OrderPaid", {"payment_id": "pi_10"},
                                          schema_version=2)  # fmt: skip
            await uow.orders.save(rebuilt)
            await uow.commit()
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
