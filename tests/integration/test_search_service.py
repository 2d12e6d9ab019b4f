"""product-search against a real OpenSearch and Kafka (its own stack: `ecomctl up --only
kafka,search` at OFFSET + ECOMCTL_TEST_SEARCH_SHIFT).

- The real index passes the contract tests its fake passes (versions, tombstones, reviews,
  facets under the other filters, sort, pages, in-stock, suggest).
- What only OpenSearch does: typos, plurals, highlighting, "did you mean".
- The running service: events produced to Kafka (late and repeated ones included) end up
  searchable through its HTTP API; bad input is a 400 problem; OpenSearch stopped -> 503
  problem, and the events produced meanwhile are indexed once it is back.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from confluent_kafka import Producer
from ecomkit.contracts import InventoryUpdated, ProductChanged
from ecomkit.events import Envelope, encode
from saga_support import template_contracts

from tests.integration.conftest import OFFSET, UP_TIMEOUT_S, Platform, own_platform, run_ecomctl
from tests.integration.test_user_auth_service import RunningService, start_service

SEARCH_OFFSET = OFFSET + int(os.environ.get("ECOMCTL_TEST_SEARCH_SHIFT", "4400"))
contracts = template_contracts("product-search")

from opensearchpy import AsyncOpenSearch  # noqa: E402
from product_search.adapters.opensearch import OpenSearchIndex  # noqa: E402
from product_search.domain.documents import IndexChange  # noqa: E402
from product_search.domain.search import SearchProducts  # noqa: E402

WAIT_S = 60


class SearchStack:
    def __init__(self, platform: Platform) -> None:
        self.workspace = platform.workspace
        self.kafka = f"127.0.0.1:{platform.port('kafka')}"
        self.opensearch = f"http://127.0.0.1:{platform.port('search')}"

    def ecomctl(self, *args: str) -> str:
        done = run_ecomctl("-w", str(self.workspace), *args, timeout=UP_TIMEOUT_S, check=True)
        return done.stdout

    def stop_opensearch(self) -> None:
        """Its process (started by this stack's `up`), killed; `up` restarts it."""
        # `status` exits 1 when a probe is slow on a loaded machine; its JSON is still whole.
        shown = run_ecomctl("-w", str(self.workspace), "status", "--json", timeout=120)
        rows = json.loads(shown.stdout)["components"]
        pid = next(int(c["pid"]) for c in rows if c["name"] == "search")
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.5)
        os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def search_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchStack]:
    workspace = tmp_path_factory.mktemp("search-ws")
    for platform in own_platform(workspace, "kafka,search", SEARCH_OFFSET):
        yield SearchStack(platform)


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


# ---- the real index passes the fake's contract ------------------------------------------


class TestOpenSearchIndex(contracts.SearchIndexContract):  # type: ignore[misc]
    @pytest.fixture
    async def index(self, search_stack: SearchStack) -> AsyncIterator[OpenSearchIndex]:
        client = AsyncOpenSearch(hosts=[search_stack.opensearch], timeout=30)
        index = OpenSearchIndex(client, "contract-" + uuid.uuid4().hex[:8])
        await index.ensure_index()
        yield index
        await client.indices.delete(index=f"{index.alias}-v1")
        await client.close()

    async def _apply(self, index: Any, *changes: IndexChange) -> None:
        for change in changes:  # one bulk request per change, in the order given
            outcomes = await index.write([change])
            assert outcomes == [None]
        await index.client.indices.refresh(index=index.alias)


# ---- what only OpenSearch does ------------------------------------------------------------

CATALOG = [
    ("Blue cotton shirt", "Shirts", "A soft shirt in organic cotton", 25.0),
    ("Red wool sweater", "Knitwear", "Warm sweater for winter days", 60.0),
    ("Running shoes", "Shoes", "Light shoes for long runs, with a shirt pocket", 90.0),
    ("Leather wallet", "Accessories", "Slim wallet", 35.0),
]


@pytest.fixture(scope="module")
async def text_index(search_stack: SearchStack) -> AsyncIterator[OpenSearchIndex]:
    client = AsyncOpenSearch(hosts=[search_stack.opensearch], timeout=30)
    index = OpenSearchIndex(client, "text-" + uuid.uuid4().hex[:8])
    await index.ensure_index()
    changes = [
        contracts.product(1, n, name=name, category=category, description=text, price=price)
        for n, (name, category, text, price) in enumerate(CATALOG, start=1)
    ]
    assert await index.write(changes) == [None] * len(changes)
    await client.indices.refresh(index=index.alias)
    yield index
    await client.indices.delete(index=f"{index.alias}-v1")
    await client.close()


async def names(index: OpenSearchIndex, **params: Any) -> list[str]:
    return [i["name"] for i in (await index.search(SearchProducts(**params))).items]


@pytest.mark.anyio
async def test_typos_plurals_and_name_boost(text_index: OpenSearchIndex) -> None:
    assert (await names(text_index, q="shrit"))[0] == "Blue cotton shirt"  # a typo
    assert (await names(text_index, q="sweaters"))[0] == "Red wool sweater"  # a plural
    # "shirt" is in the shoes' description too; the name counts more.
    assert await names(text_index, q="shirt") == ["Blue cotton shirt", "Running shoes"]
    assert (await names(text_index, q="knitwear")) == ["Red wool sweater"]  # a category word


@pytest.mark.anyio
async def test_highlight_and_did_you_mean(text_index: OpenSearchIndex) -> None:
    found = await text_index.search(SearchProducts(q="wallet"))
    assert found.items[0]["highlight"]["name"] == ["Leather <em>wallet</em>"]
    # Typos alone still match (fuzziness); four words of which two are noise do not.
    nothing = await text_index.search(SearchProducts(q="leathr wallxt zzqqxx yyppqq"))
    assert nothing.total == 0
    assert nothing.did_you_mean is not None and "leather" in nothing.did_you_mean


@pytest.mark.anyio
async def test_query_syntax_is_text(text_index: OpenSearchIndex) -> None:
    for q in ['name:"x" AND (', "price:[0 TO *]", "\\", "/regex.*/", "*", "{{}}"]:
        await text_index.search(SearchProducts(q=q))  # no error from OpenSearch


# ---- the service, fed through Kafka --------------------------------------------------------


@pytest.fixture(scope="module")
def service(
    search_stack: SearchStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningService]:
    env = {
        "ECOM_OPENSEARCH_URL": search_stack.opensearch,
        "ECOM_KAFKA_BOOTSTRAP": search_stack.kafka,
        "ECOM_SERVICE_NAME": "product-search-" + uuid.uuid4().hex[:6],
        "ECOM_INDEX_ALIAS": "svc-" + uuid.uuid4().hex[:8],
        # This stack's topics hold only this module's events: a new group reads them all,
        # so an event published before the group has joined (slow on a loaded machine) counts.
        "ECOM_CONSUMER_OFFSET_RESET": "earliest",
    }
    running = start_service("product-search", env, tmp_path_factory.mktemp("search-svc"))
    _ALIASES[running.url] = env["ECOM_INDEX_ALIAS"]
    yield running
    running.stop()


_ALIASES: dict[str, str] = {}


def service_alias(service: RunningService) -> str:
    return _ALIASES[service.url]


def publish(stack: SearchStack, *events: tuple[Any, datetime | None]) -> None:
    producer = Producer({"bootstrap.servers": stack.kafka})
    for event, at in events:
        envelope = Envelope(
            type=event.event_type, source="test", data=event.payload(),
            time=at or datetime.now(UTC),
        )  # fmt: skip
        producer.produce(str(event.topic), key=event.key.encode(), value=encode(envelope))
    assert producer.flush(15) == 0


def changed(pid: int, version: int, name: str, change: str = "updated") -> ProductChanged:
    return ProductChanged(
        product_id=pid, change=change, id=pid, sku=f"s-{pid}", name=name,  # type: ignore[arg-type]
        description="integration", category="Gadgets", price=Decimal("12.50"), currency="USD",
        image_url=None, active=change != "deleted", created_at=datetime.now(UTC),
        updated_at=datetime.now(UTC), version=version,
    )  # fmt: skip


def search(service: RunningService, **params: Any) -> httpx.Response:
    with service.client() as client:
        return client.get("/api/search/products", params=params)


def wait_for(service: RunningService, check: Any, **params: Any) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_S
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        answer = search(service, **params)
        if answer.status_code == 200:
            body = answer.json()
            if check(body):
                return body
        time.sleep(0.3)
    raise AssertionError(f"not searchable in {WAIT_S}s: {params} -> {body}")


def test_create_update_delete_with_late_and_repeated_events(
    search_stack: SearchStack, service: RunningService
) -> None:
    pid, word = random.randint(10**9, 2 * 10**9), "gizmo" + uuid.uuid4().hex[:6]
    v1, v2 = changed(pid, 1, f"{word} one", "created"), changed(pid, 2, f"{word} two")
    publish(search_stack, (v1, None), (v2, None), (v1, None), (v2, None))
    body = wait_for(service, lambda b: b["total"] == 1, q=word)
    time.sleep(2)  # the late and repeated ones had their chance to overwrite
    assert wait_for(service, lambda b: b["total"] == 1, q=word)["items"][0]["name"].endswith("two")
    stock = InventoryUpdated(product_id=pid, available_stock=0, reserved_stock=0, sold_stock=1)
    publish(search_stack, (stock, None))
    wait_for(service, lambda b: b["total"] == 0, q=word, in_stock="true")
    publish(search_stack, (changed(pid, 3, f"{word} two", "deleted"), None), (v2, None))
    wait_for(service, lambda b: b["total"] == 0, q=word)
    assert body["items"][0]["id"] == pid


def test_bad_input_is_a_400_problem(service: RunningService) -> None:
    for params in (
        {"price_min": "9", "price_max": "1"},
        {"size": "101"},
        {"sort": "popular"},
        {"q": "x" * 10_000},
    ):
        answer = search(service, **params)
        assert answer.status_code == 400, (params, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    injected = search(service, q='name:"x" AND price:[0 TO *] OR /.*/')
    assert injected.status_code == 200, injected.text


def test_suggest_through_the_service(search_stack: SearchStack, service: RunningService) -> None:
    pid, word = random.randint(10**9, 2 * 10**9), "zorblax" + uuid.uuid4().hex[:4]
    publish(search_stack, (changed(pid, 1, f"{word} headphones", "created"), None))
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        with service.client() as client:
            found = client.get("/api/search/suggest", params={"q": f"{word} head"}).json()
        if found["suggestions"]:
            break
        time.sleep(0.3)
    assert found["suggestions"] == [{"id": pid, "name": f"{word} headphones"}]


def test_search_status_shows_the_index_and_its_documents(
    search_stack: SearchStack, service: RunningService
) -> None:
    alias = service_alias(service)
    wait_for(service, lambda b: b["total"] >= 1)  # an earlier test indexed something
    shown = run_ecomctl(
        "-w", str(search_stack.workspace), "search", "status", "--alias", alias, "--json"
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    status = json.loads(shown.stdout)
    assert status["indices"] == [f"{alias}-v1"] and status["documents"] >= 1
    assert status["catalog_products"] is None  # no catalog in this stack
    missing = run_ecomctl("-w", str(search_stack.workspace), "search", "status", "--alias", "x")
    assert missing.returncode == 1 and "no index behind the alias 'x'" in missing.stderr


def test_opensearch_down_is_503_and_nothing_is_lost(
    search_stack: SearchStack, service: RunningService
) -> None:
    search_stack.stop_opensearch()
    try:
        answer = search(service, q="anything")
        assert answer.status_code == 503, answer.text
        assert answer.json()["status"] == 503 and "opensearch" not in answer.text.lower()
        pid, word = random.randint(10**9, 2 * 10**9), "offline" + uuid.uuid4().hex[:6]
        publish(search_stack, (changed(pid, 1, f"{word} item", "created"), None))
        time.sleep(3)  # the indexer meets the outage and waits
    finally:
        search_stack.ecomctl("up", "--runtime", "local", "--yes", "--only", "search",
                             "--port-offset", str(SEARCH_OFFSET))  # fmt: skip
    wait_for(service, lambda b: b["total"] == 1, q=word)
