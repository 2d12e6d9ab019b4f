"""The order service's read models on the real stack (docs/event-sourcing.md, step 3):
orders placed through the gateway are found in the history, the sales per day and the
admin search; a read model rebuilt while orders are being placed switches to a generation
equal to a fresh build of it, and the read routes answered 200 throughout."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest

from ecomctl.scenarios.client import Gateway, StripeEmulator, items_of
from ecomctl.scenarios.endpoints import Endpoints, for_workspace
from ecomctl.scenarios.live import WorkspaceAdmin
from tests.integration.saga_stack import SagaStack, saga_stack  # noqa: F401 - the fixture

USERS, PRODUCTS, ORDERS, DURING_REBUILD = 4, 3, 24, 30
PASSWORD = "Projection-pass-1"
GOOD = "4242424242424242"
ANY = tuple(range(600))  # answers the test counts rather than raises on
TERMINAL = {"PAID", "CANCELLED"}
TABLES = {
    "order_history": ("rm_order_history",),
    "sales_daily": ("rm_sales_daily", "rm_sales_orders"),
    "order_search": ("rm_order_search",),
}


@dataclass
class Shop:
    stack: SagaStack
    ends: Endpoints
    api: Gateway
    admin: str
    database: str
    card: str
    users: list[tuple[int, str]] = field(default_factory=list)
    products: list[int] = field(default_factory=list)
    placed: dict[int, int] = field(default_factory=dict)  # order id -> user id
    lock: threading.Lock = field(default_factory=threading.Lock)

    def place(self, rng: random.Random) -> None:
        user_id, token = rng.choice(self.users)
        lines = rng.sample(self.products, rng.choice((1, 2)))
        items = [{"productId": p, "quantity": rng.randint(1, 2)} for p in lines]
        body = self.api.create_order(token, items=items, payment_method_id=self.card)
        with self.lock:
            self.placed[int(body["id"])] = user_id
        if rng.random() < 0.2:
            self.api.cancel(token, int(body["id"]))

    def orders(self) -> dict[int, dict[str, Any]]:
        """Every placed order as the command side has it (the orders rows)."""
        found: dict[int, dict[str, Any]] = {}
        for user_id, token in self.users:
            body = self.api.body("GET", f"/api/orders/user/{user_id}?size=100", token=token)
            found.update({int(o["id"]): o for o in items_of(body)})
        return {i: found[i] for i in self.placed}


def order_database(stack: SagaStack, offset: int) -> str:
    tgt = stack.target()
    db, spec = tgt.stack.infra["postgres"], tgt.stack.services["order"]
    return f"postgresql://{db.user}:{db.password}@127.0.0.1:{db.port + offset}/{spec.database}"


@pytest.fixture(scope="module")
def shop(saga_stack: SagaStack) -> Any:  # noqa: F811 - the fixture
    tgt = saga_stack.target()
    ends = for_workspace(tgt.stack, tgt.workspace)
    api = Gateway(ends.gateway, client=httpx.Client(base_url=ends.gateway, timeout=30))
    admin = api.login(*WorkspaceAdmin(tgt, ends.port_offset).credentials())
    stripe = StripeEmulator(ends.stripe)
    card = stripe.create_payment_method(GOOD)
    stripe.close()
    shop = Shop(saga_stack, ends, api, admin, order_database(saga_stack, ends.port_offset), card)
    tag = f"proj{random.randrange(16**6):06x}"
    for i in range(PRODUCTS):
        pid = api.create_product(admin, sku=f"{tag}-{i}", name=f"{tag} {i}",
                                 price=f"{2 + i}.25", currency="USD")  # fmt: skip
        api.set_stock(admin, pid, 1000)
        shop.products.append(pid)
    for i in range(USERS):
        name = f"{tag}-u{i}"
        api.register(name, PASSWORD, email=f"{name}@example.com", language="en")
        token = api.login(name, PASSWORD)
        shop.users.append((api.my_id(token), token))
    rng = random.Random(tag)
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda _: shop.place(rng), range(ORDERS)))
    settled(shop)
    yield shop
    api.close()


def projections(shop: Shop) -> list[dict[str, Any]]:
    done = shop.stack.ecomctl("projections", "status", "--json")
    assert done.returncode == 0, done.stderr
    found: list[dict[str, Any]] = json.loads(done.stdout)
    return found


def settled(shop: Shop, timeout_s: float = 240) -> None:
    """Every order terminal, and every serving read model at the head of the log."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all(o["status"] in TERMINAL for o in shop.orders().values()) and all(
            g["lag_events"] == 0
            for p in projections(shop)
            for g in p["generations"]
            if g["state"] != "retired"
        ):
            return
        time.sleep(2)
    pytest.fail(f"orders or read models not settled after {timeout_s} s")


def days() -> str:
    today = datetime.now(UTC).date()
    return f"from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"


def sales(shop: Shop) -> dict[int, tuple[int, Decimal, int]]:
    totals: dict[int, tuple[int, Decimal, int]] = {}
    for pid in shop.products:
        body = shop.api.body("GET", f"/api/admin/sales?{days()}&productId={pid}", token=shop.admin)
        rows = body["rows"]
        totals[pid] = (sum(r["quantity"] for r in rows), sum(Decimal(r["revenue"]) for r in rows),
                       sum(r["orders"] for r in rows))  # fmt: skip
    return totals


def expected_sales(orders: dict[int, dict[str, Any]]) -> dict[int, tuple[int, Decimal, int]]:
    quantity: Counter[int] = Counter()
    revenue: dict[int, Decimal] = {}
    count: Counter[int] = Counter()
    for order in orders.values():
        if order["status"] != "PAID":
            continue
        for line in order["items"]:
            pid = int(line["productId"])
            quantity[pid] += int(line["quantity"])
            revenue[pid] = revenue.get(pid, Decimal(0)) + Decimal(line["subtotal"])
            count[pid] += 1
    return {pid: (quantity[pid], revenue.get(pid, Decimal(0)), count[pid]) for pid in quantity}


def test_history_sales_and_search_agree_with_the_orders_placed(shop: Shop) -> None:
    orders = shop.orders()
    for user_id, token in shop.users:
        page = shop.api.body("GET", "/api/orders/history?limit=100", token=token)
        mine = {o["orderId"]: o for o in page["orders"] if o["orderId"] in orders}
        assert set(mine) == {i for i, u in shop.placed.items() if u == user_id}
        for order_id, read in mine.items():
            placed = orders[order_id]
            assert read["status"] == placed["status"], order_id
            assert read["totalAmount"] == placed["totalAmount"]
            assert [(x["productId"], x["quantity"]) for x in read["lines"]] == [
                (x["productId"], x["quantity"]) for x in placed["items"]
            ]
            timeline = read["timeline"]
            assert timeline[0]["event"] == "OrderCreated"
            assert [e["status"] for e in timeline if e["status"]][-1] == placed["status"]
    assert {pid: t for pid, t in sales(shop).items() if t[0]} == expected_sales(orders)
    found: dict[int, str] = {}
    for status in TERMINAL:
        page = shop.api.body("GET", f"/api/admin/orders?status={status}&{days()}&limit=100",
                             token=shop.admin)  # fmt: skip
        found.update({o["orderId"]: o["status"] for o in page["orders"] if o["orderId"] in orders})
    assert found == {i: o["status"] for i, o in orders.items()}
    bad = shop.api.call(
        "GET", "/api/admin/sales?from=2026-02-01&to=2025-01-01", token=shop.admin, ok=ANY
    )
    assert bad.status_code == 400 and "after" in bad.json()["detail"]


def test_a_rebuild_under_load_switches_to_a_fresh_builds_equal(shop: Shop) -> None:
    answers: Counter[int] = Counter()
    stop = threading.Event()
    _, token = shop.users[0]

    def reading() -> None:
        paths = ["/api/orders/history?limit=20", f"/api/admin/sales?{days()}",
                 f"/api/admin/orders?{days()}&limit=20"]  # fmt: skip
        while not stop.is_set():
            for path in paths:
                who = token if "history" in path else shop.admin
                answers[shop.api.call("GET", path, token=who, ok=ANY).status_code] += 1
            time.sleep(0.05)

    readers = [threading.Thread(target=reading) for _ in range(2)]
    for reader in readers:
        reader.start()
    rng = random.Random(7)
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            placing = [pool.submit(shop.place, rng) for _ in range(DURING_REBUILD)]
            rebuilt = {name: rebuild(shop, name) for name in TABLES}
            for done in placing:
                done.result()
        settled(shop)
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert set(answers) == {200} and answers[200] > 0, answers
    fresh = {name: rebuild(shop, name) for name in TABLES}  # nothing written meanwhile
    for name, prefixes in TABLES.items():
        assert fresh[name]["previous"] == rebuilt[name]["generation"]
        for prefix in prefixes:
            switched = f"{prefix}_g{rebuilt[name]['generation']}"
            built = f"{prefix}_g{fresh[name]['generation']}"
            assert differences(shop.database, switched, built) == 0, (switched, built)
    test_history_sales_and_search_agree_with_the_orders_placed(shop)


def rebuild(shop: Shop, name: str) -> dict[str, Any]:
    done = shop.stack.ecomctl("projections", "rebuild", name, "--json", timeout=600)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def differences(database: str, a: str, b: str) -> int:
    """Rows in one table and not the other, both ways (the grace period keeps the
    replaced generation's tables)."""
    with psycopg.connect(database) as conn:
        row = conn.execute(
            f"SELECT count(*) FROM ((TABLE {a} EXCEPT ALL TABLE {b})"
            f" UNION ALL (TABLE {b} EXCEPT ALL TABLE {a})) d"
        ).fetchone()
    assert row is not None
    return int(row[0])
