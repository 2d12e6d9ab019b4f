"""The recommendation service on real PostgreSQL and Kafka (its own stack: `ecomctl up
--only kafka,postgres` at OFFSET + ECOMCTL_TEST_RECS_SHIFT).

- The PostgreSQL store passes the contract tests its fake passes.
- Orders paid (OrderCreated + OrderPaid through Kafka, each delivered twice) are recorded
  once; reviews and stock arrive the same way.
- After training (`ecomctl recommendations train`, the CLI against the running service),
  recommendations leave out what the user bought and what is out of stock; a new user and
  a new product get popular products; bad input is a 400 problem body.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import yaml
from ecomkit.contracts import (
    Contract,
    InventoryUpdated,
    OrderCreated,
    OrderLineItem,
    OrderPaid,
    ReviewAdded,
)
from ecomkit.events import Envelope
from ecomkit.keys import jwks_document, parse_key_file
from saga_support import template_contracts

from ecomctl.keys import signing_keys_path
from ecomctl.stack.loader import default_stack_path
from ecomctl.workspace import Workspace
from tests.integration.conftest import OFFSET, Platform, own_platform, run_ecomctl
from tests.integration.keys_support import KEYS
from tests.integration.test_payment_support import (
    Kafka,
    RunningService,
    bearer,
    generate,
    new_postgres_database,
    start_service,
)

RECS_OFFSET = OFFSET + int(os.environ.get("ECOMCTL_TEST_RECS_SHIFT", "4700"))
contracts = template_contracts("recommendation")

from ecomkit.db import create_engine, create_session_factory  # noqa: E402
from recommendation.service_layer.unit_of_work import PostgresUnitOfWork  # noqa: E402

WAIT_S = 60
ADMIN = bearer(1, "ADMIN")


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    yield from own_platform(tmp_path_factory.mktemp("recs-ws"), "kafka,postgres", RECS_OFFSET)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate("recommendation", tmp_path_factory.mktemp("recs-svc"))


@pytest.fixture(scope="module")
def database(platform: Platform, folder: Path) -> str:
    admin = f"postgresql://ecomctl:ecomctl@127.0.0.1:{platform.port('postgres')}/postgres"
    return new_postgres_database(admin, folder / "db" / "migration")


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


# ---- the PostgreSQL store passes the fake's contract ---------------------------------------


class TestPostgresInteractionRepository(contracts.InteractionRepositoryContract):  # type: ignore[misc]
    @pytest.fixture
    async def repo(self, database: str) -> AsyncIterator[Any]:
        engine = create_engine(database)
        async with PostgresUnitOfWork(create_session_factory(engine)) as uow:
            yield uow.interactions
            await uow.commit()
        await engine.dispose()


# ---- the running service, fed through Kafka ------------------------------------------------


def both_keys_jwks(workspace: Path) -> str:
    """The test key (user tokens below) and the workspace's key (ecomctl's ADMIN token)."""
    keys = parse_key_file(signing_keys_path(Workspace(root=workspace)).read_text())
    return json.dumps(jwks_document([*keys, KEYS.key]))


@pytest.fixture(scope="module")
def service(platform: Platform, folder: Path, database: str) -> Iterator[RunningService]:
    env = {
        "ECOM_SERVICE_NAME": "recommendation",
        "ECOM_DATABASE_URL": database,
        "ECOM_KAFKA_BOOTSTRAP": f"127.0.0.1:{platform.port('kafka')}",
        "ECOM_JWKS": both_keys_jwks(platform.workspace),
        "ECOM_TRAIN_INTERVAL_S": "0",  # trained on demand only: the tests say when
        "ECOM_CONSUMER_OFFSET_RESET": "earliest",
    }
    running = start_service(folder, "recommendation.entrypoints.app:app", env)
    yield running
    running.stop()


def publish(platform: Platform, *events: Contract, times: int = 1) -> list[Envelope]:
    envelopes = [
        Envelope(type=e.event_type, source="test", data=e.payload(), subject=e.key) for e in events
    ]
    kafka = Kafka(f"127.0.0.1:{platform.port('kafka')}")
    for _ in range(times):
        for envelope, event in zip(envelopes, events, strict=True):
            kafka.publish(str(event.topic), envelope, event.key)
    return envelopes


def an_id() -> int:
    return random.randint(10**9, 10**12)


def bought(order_id: int, user_id: int, *products: int) -> list[Contract]:
    lines = [OrderLineItem(product_id=p, quantity=1, price=Decimal("9.90")) for p in products]
    created = OrderCreated(
        order_id=order_id, user_id=user_id, order_number=f"ORD-{order_id}", items=lines,
        total_amount=Decimal("9.90") * len(lines), currency="EUR", payment_method_id=None,
        email=None, created_at=datetime.now(UTC),
    )  # fmt: skip
    paid = OrderPaid(
        order_id=order_id, user_id=user_id, total_amount=created.total_amount, currency="EUR"
    )
    return [created, paid]


def rows(database: str, query: str, *args: object) -> list[tuple[Any, ...]]:
    with psycopg.connect(database) as conn:
        return conn.execute(query, args).fetchall()  # type: ignore[arg-type]


PURCHASES = (
    "SELECT product_id FROM order_lines l JOIN paid_orders USING (order_id) WHERE l.user_id = %s"
)


def wait_for_rows(database: str, query: str, *args: object, count: int) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if len(rows(database, query, *args)) >= count:
            return
        time.sleep(0.3)
    raise AssertionError(f"{query} {args}: fewer than {count} rows in {WAIT_S}s")


def test_orders_paid_are_recorded_once_under_redelivery(
    platform: Platform, service: RunningService, database: str
) -> None:
    user, order, late_order = an_id(), an_id(), an_id()
    a, b = an_id(), an_id()
    created, paid = bought(order, user, a, b)
    late_created, late_paid = bought(late_order, user, b)
    # Each event twice (the same event id), and one order's payment before its lines.
    envelopes = publish(platform, created, paid, late_paid, late_created, times=2)
    wait_for_rows(database, PURCHASES, user, count=3)
    time.sleep(2)  # the second deliveries had their chance
    assert sorted(r[0] for r in rows(database, PURCHASES, user)) == sorted([a, b, b])
    ids = [str(e.id) for e in envelopes]
    handled = rows(database, "SELECT event_id::text FROM inbox WHERE event_id::text = ANY(%s)", ids)
    assert sorted(r[0] for r in handled) == sorted(ids)  # each event handled exactly once


def recommend(service: RunningService, user: int, k: int = 10, **headers: str) -> httpx.Response:
    headers = headers or bearer(user)
    return httpx.get(f"{service.url}/api/recommendations/{user}", params={"k": k}, headers=headers)


def train_with_ecomctl(platform: Platform, service: RunningService) -> dict[str, Any]:
    """Point the workspace's stack at the running service, then `ecomctl recommendations
    train --json` (an ADMIN token signed with the workspace's key)."""
    stack_file = platform.workspace / "ecomctl.yaml"
    if not stack_file.is_file():
        shutil.copy(default_stack_path(), stack_file)
    stack = yaml.safe_load(stack_file.read_text())
    port = int(service.url.rsplit(":", 1)[1])
    stack["services"]["recommendation"].update(enabled=True, port=port - platform.offset)
    stack_file.write_text(yaml.safe_dump(stack, sort_keys=False))
    done = run_ecomctl("-w", str(platform.workspace), "recommendations", "train", "--json")
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def test_recommendations_leave_out_purchases_and_sold_out_products(
    platform: Platform, service: RunningService, database: str
) -> None:
    tent, bag, stove, lamp, book = (an_id() for _ in range(5))
    shopper, others = an_id(), [an_id() for _ in range(4)]
    events: list[Contract] = [*bought(an_id(), shopper, tent)]
    for other in others:
        events += bought(an_id(), other, tent, bag, stove, lamp)
    events += bought(an_id(), an_id(), book)
    at = datetime.now(UTC)
    stock_out = InventoryUpdated(product_id=lamp, available_stock=0, reserved_stock=0, sold_stock=4)
    stale = InventoryUpdated(product_id=lamp, available_stock=5, reserved_stock=0, sold_stock=0)
    review = ReviewAdded(
        product_id=bag, review_id=uuid.uuid4().hex, user_id=others[0], rating=5,
        comment=None, created_at=at,
    )  # fmt: skip
    publish(platform, *events, stock_out, review)
    old = Envelope(
        type=stale.event_type, source="test", data=stale.payload(), subject=stale.key,
        time=at - timedelta(hours=1),
    )  # fmt: skip
    # An older stock report arriving late changes nothing.
    Kafka(f"127.0.0.1:{platform.port('kafka')}").publish(str(stale.topic), old, stale.key)
    wait_for_rows(database, PURCHASES, shopper, count=1)
    for other in others:
        wait_for_rows(database, PURCHASES, other, count=4)
    wait_for_rows(database, "SELECT 1 FROM product_stock WHERE product_id = %s", lamp, count=1)
    wait_for_rows(database, "SELECT 1 FROM reviews WHERE product_id = %s", bag, count=1)
    time.sleep(1)
    report = train_with_ecomctl(platform, service)
    assert report["interactions"] >= 1 + 4 * 4 + 1 and report["products"] >= 5

    answer = recommend(service, shopper, k=3)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["coldStart"] is False
    assert set(body["productIds"][:2]) == {bag, stove}  # bought with the tent
    assert tent not in body["productIds"] and lamp not in body["productIds"]
    similar = httpx.get(f"{service.url}/api/products/{tent}/similar", params={"k": 5}).json()
    assert lamp not in similar["productIds"] and tent not in similar["productIds"]
    assert {bag, stove} <= set(similar["productIds"])

    # What the shopper buys now is left out at once, before the next training.
    publish(platform, *bought(an_id(), shopper, bag))
    deadline = time.monotonic() + WAIT_S
    while bag in recommend(service, shopper, k=3).json()["productIds"]:
        assert time.monotonic() < deadline, "the new purchase is still recommended"
        time.sleep(0.3)


def test_cold_start_gets_popular_products(
    platform: Platform, service: RunningService, database: str
) -> None:
    products = [an_id() for _ in range(6)]
    buyer = an_id()
    publish(platform, *bought(an_id(), buyer, *products))
    wait_for_rows(database, PURCHASES, buyer, count=6)
    trained = httpx.post(f"{service.url}/api/admin/recommendations/train", headers=ADMIN)
    assert trained.status_code == 200, trained.text
    newcomer = an_id()
    body = recommend(service, newcomer, k=5).json()
    assert body["coldStart"] is True and len(body["productIds"]) == 5
    unknown = httpx.get(f"{service.url}/api/products/{an_id()}/similar", params={"k": 3}).json()
    assert unknown["coldStart"] is True and len(unknown["productIds"]) == 3
    sold_out = {
        r[0] for r in rows(database, "SELECT product_id FROM product_stock WHERE available <= 0")
    }
    assert not sold_out & set(body["productIds"]) and not sold_out & set(unknown["productIds"])


def test_access_and_bad_input(service: RunningService) -> None:
    user = an_id()
    assert recommend(service, user, Authorization="").status_code == 401
    assert recommend(service, user, **bearer(user + 1)).status_code == 403
    assert recommend(service, user, **ADMIN).status_code == 200
    for path in (
        f"/api/recommendations/{user}?k=101",
        "/api/recommendations/u-12",
        "/api/products/abc/similar",
    ):
        answer = httpx.get(service.url + path, headers=ADMIN)
        assert answer.status_code == 400, (path, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["status"] == 400
    trained = httpx.post(f"{service.url}/api/admin/recommendations/train", headers=bearer(user))
    assert trained.status_code == 403
