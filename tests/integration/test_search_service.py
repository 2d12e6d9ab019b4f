"""product-search against a real OpenSearch and Kafka (its own stack: `ecomctl up --only
kafka,search` at OFFSET + ECOMCTL_TEST_SEARCH_SHIFT).

- The real index passes the contract tests its fake passes (versions, tombstones, reviews,
  facets under the other filters, sort, pages, in-stock, suggest).
- What only OpenSearch does: typos, plurals, highlighting, "did you mean".
- The running service: events produced to Kafka (late and repeated ones included) end up
  searchable through its HTTP API; bad input is a 400 problem; OpenSearch stopped -> 503
  problem, and the events produced meanwhile are indexed once it is back.
- The reindex (the service's own command, as `ecomctl search reindex` runs it) against a
  catalog database written throughout, as the catalog writes it: nothing lost, searches
  answering all along.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pymysql
import pytest
import search_relevance
from confluent_kafka import Producer
from ecomkit.contracts import InventoryUpdated, ProductChanged
from ecomkit.events import Envelope, encode
from saga_support import template_contracts

from tests.integration.conftest import OFFSET, UP_TIMEOUT_S, Platform, own_platform, run_ecomctl
from tests.integration.test_user_auth_service import (
    RunningService,
    new_migrated_database,
    start_service,
)

SEARCH_OFFSET = OFFSET + int(os.environ.get("ECOMCTL_TEST_SEARCH_SHIFT", "4400"))
SEARCH_SRC = Path(__file__).parents[2] / "templates" / "product-search" / "template" / "src"
contracts = template_contracts("product-search")

from opensearchpy import AsyncOpenSearch, OpenSearch  # noqa: E402
from product_search.adapters.opensearch import (  # noqa: E402
    INDEX_VERSION,
    OpenSearchIndex,
    index_definition,
)
from product_search.adapters.query_log import RedisQueryLog  # noqa: E402
from product_search.domain.documents import IndexChange  # noqa: E402
from product_search.domain.search import SearchProducts  # noqa: E402

WAIT_S = 60


class SearchStack:
    def __init__(self, platform: Platform) -> None:
        self.workspace = platform.workspace
        self.kafka = f"127.0.0.1:{platform.port('kafka')}"
        self.opensearch = f"http://127.0.0.1:{platform.port('search')}"
        self.mysql_url = f"mysql://ecomctl:ecomctl@127.0.0.1:{platform.port('mysql')}/mysql"
        self.redis_url = f"redis://127.0.0.1:{platform.port('redis')}/0"

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
    for platform in own_platform(workspace, "kafka,search,mysql,redis", SEARCH_OFFSET):
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
        await client.indices.delete(index=f"{index.alias}-v{INDEX_VERSION}")
        await client.close()

    async def _apply(self, index: Any, *changes: IndexChange) -> None:
        for change in changes:  # one bulk request per change, in the order given
            outcomes = await index.write([change])
            assert outcomes == [None]
        await index.client.indices.refresh(index=index.alias)

    async def _apply_alone(self, index: Any, change: IndexChange) -> None:
        assert await index.write([change]) == [None]

    async def settle(self, index: Any) -> None:
        await index.client.indices.refresh(index=index.alias)


class TestRedisQueryLog(contracts.QueryLogContract):  # type: ignore[misc]
    @pytest.fixture
    async def queries(self, search_stack: SearchStack) -> AsyncIterator[RedisQueryLog]:
        log = RedisQueryLog.from_url(search_stack.redis_url, "contract-" + uuid.uuid4().hex[:8])
        yield log
        await log.close()


# ---- what only OpenSearch does ------------------------------------------------------------

CATALOG = [
    ("Blue cotton shirt", "Shirts", "A soft shirt in organic cotton", 25.0, "Kestrel"),
    ("Red wool sweater", "Knitwear", "Warm sweater for winter days", 60.0, "Oakridge"),
    ("Running shoes", "Shoes", "Light shoes for long runs, with a shirt pocket", 90.0, None),
    ("Leather wallet", "Accessories", "Slim wallet", 35.0, "Kestrel"),
]


@pytest.fixture(scope="module")
async def text_index(search_stack: SearchStack) -> AsyncIterator[OpenSearchIndex]:
    client = AsyncOpenSearch(hosts=[search_stack.opensearch], timeout=30)
    index = OpenSearchIndex(client, "text-" + uuid.uuid4().hex[:8])
    await index.ensure_index()
    changes = [
        contracts.product(
            1, n, name=name, category=category, description=text, price=price, brand=brand
        )
        for n, (name, category, text, price, brand) in enumerate(CATALOG, start=1)
    ]
    assert await index.write(changes) == [None] * len(changes)
    await client.indices.refresh(index=index.alias)
    yield index
    await client.indices.delete(index=f"{index.alias}-v{INDEX_VERSION}")
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
async def test_brand_words_with_typos_and_with_the_name(text_index: OpenSearchIndex) -> None:
    # No name carries its brand: the brand's own words find it, typos forgiven.
    assert sorted(await names(text_index, q="kestrel")) == ["Blue cotton shirt", "Leather wallet"]
    assert sorted(await names(text_index, q="kestrl")) == ["Blue cotton shirt", "Leather wallet"]
    # Brand and name words together (two words must both match, in one field: brand_name).
    assert await names(text_index, q="kestrel wallet") == ["Leather wallet"]
    assert await names(text_index, q="oakrige sweater") == ["Red wool sweater"]
    assert await names(text_index, q="kestrel", brand="KESTREL", category="shirts") == [
        "Blue cotton shirt"
    ]


@pytest.mark.anyio
async def test_an_index_of_the_previous_definition_takes_brands_before_the_reindex(
    search_stack: SearchStack,
) -> None:
    """Upgrading: the serving index was built from products-v1.json (no brand, `dynamic:
    strict`). At start the service adds the new fields in place, so the indexer's writes
    carrying a brand are not refused while the reindex has not run."""
    client = AsyncOpenSearch(hosts=[search_stack.opensearch], timeout=30)
    alias = "upgrade-" + uuid.uuid4().hex[:8]
    body = {**index_definition(1), "aliases": {alias: {"is_write_index": True}}}
    await client.indices.create(index=f"{alias}-v1", body=body)
    try:
        index = OpenSearchIndex(client, alias)
        await index.ensure_index()
        change = contracts.product(1, name="Upgrade lamp", category="Lighting", brand="Lumora")
        assert await index.write([change]) == [None]
        await client.indices.refresh(index=alias)
        found = await index.search(SearchProducts(brand="lumora"))
        assert [i["name"] for i in found.items] == ["Upgrade lamp"]
        assert found.facets.brand == [{"value": "lumora", "count": 1}]
        mapping = await client.indices.get_mapping(index=f"{alias}-v1")
        assert mapping[f"{alias}-v1"]["mappings"]["_meta"]["definition"] == 1  # still v1
    finally:
        await client.indices.delete(index=f"{alias}-v1")
        await client.close()


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


@pytest.mark.anyio
async def test_relevance_ndcg_at_10_over_a_judged_query_set(search_stack: SearchStack) -> None:
    """>= 0.8 for product-search, and above the old SQL contains search on the same
    products (search_relevance.py: how the catalog and the judgments are made)."""
    products = search_relevance.catalog()
    client = AsyncOpenSearch(hosts=[search_stack.opensearch], timeout=60)
    alias = "relevance-" + uuid.uuid4().hex[:8]
    try:
        index = await search_relevance.index_catalog(client, alias, products)
        found = await search_relevance.search_ndcg(client, alias, products)
        await client.indices.delete(index=index)
    finally:
        await client.close()
    catalog_db = new_migrated_database(search_stack.mysql_url, "product-catalog")
    baseline = search_relevance.sql_contains_ndcg(catalog_db, products)
    search_score, sql_score = search_relevance.mean(found), search_relevance.mean(baseline)
    worst = sorted(found.items(), key=lambda item: item[1])[:5]
    print(f"nDCG@10 search={search_score:.3f} sql_contains={sql_score:.3f} worst={worst}")
    assert len(found) >= 40 and len(products) >= 2000
    assert search_score >= 0.8, (search_score, worst)
    assert search_score > sql_score


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
        "ECOM_REDIS_URL": search_stack.redis_url,
        # This stack's topics hold only this module's events: a new group reads them all,
        # so an event published before the group has joined (slow on a loaded machine) counts.
        "ECOM_CONSUMER_OFFSET_RESET": "earliest",
    }
    # The previous release's index (products-v1.json, without brand) serves when the service
    # starts, as after an upgrade: brands are written into it at once (the new fields added
    # in place) and the reindex test moves the alias onto the newest definition.
    with OpenSearch(hosts=[search_stack.opensearch], timeout=30) as client:
        alias = env["ECOM_INDEX_ALIAS"]
        body = {**index_definition(1), "aliases": {alias: {"is_write_index": True}}}
        client.indices.create(index=f"{alias}-v1", body=body)
    running = start_service("product-search", env, tmp_path_factory.mktemp("search-svc"))
    _ENVS[running.url] = env
    yield running
    running.stop()


_ENVS: dict[str, dict[str, str]] = {}


def service_alias(service: RunningService) -> str:
    return _ENVS[service.url]["ECOM_INDEX_ALIAS"]


def publish(stack: SearchStack, *events: tuple[Any, datetime | None]) -> None:
    producer = Producer({"bootstrap.servers": stack.kafka})
    for event, at in events:
        envelope = Envelope(
            type=event.event_type, source="test", data=event.payload(),
            time=at or datetime.now(UTC),
        )  # fmt: skip
        producer.produce(str(event.topic), key=event.key.encode(), value=encode(envelope))
    assert producer.flush(15) == 0


def changed(
    pid: int, version: int, name: str, change: str = "updated", **fields: Any
) -> ProductChanged:
    return ProductChanged(**{
        "product_id": pid, "change": change, "id": pid, "sku": f"s-{pid}", "name": name,
        "description": "integration", "category": "Gadgets", "price": Decimal("12.50"),
        "currency": "USD", "image_url": None, "active": change != "deleted",
        "created_at": datetime.now(UTC), "updated_at": datetime.now(UTC), "version": version,
        **fields,
    })  # fmt: skip


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


def facet(body: dict[str, Any], name: str) -> dict[str, int]:
    return {entry["value"]: entry["count"] for entry in body["facets"][name]}


def test_brand_indexed_filtered_and_faceted_under_the_other_filters(
    search_stack: SearchStack, service: RunningService
) -> None:
    word = "brandtest" + uuid.uuid4().hex[:6]
    lamp, desk, other = (random.randint(10**9, 2 * 10**9) for _ in range(3))
    made = [
        (lamp, "lamp", "Lighting", "Lumen Works"),
        (desk, "desk", "Furniture", "Lumen Works"),
        (other, "lamp xl", "Lighting", "Brightway"),
    ]
    publish(search_stack, *(
        (changed(pid, 1, f"{word} {kind}", "created", category=category, brand=brand), None)
        for pid, kind, category, brand in made
    ))  # fmt: skip
    body = wait_for(service, lambda b: b["total"] == 2, q=word, brand="lumen WORKS")
    assert {i["brand"] for i in body["items"]} == {"Lumen Works"}
    both = search(service, q=word, brand="Lumen Works", category="lighting").json()
    assert [i["id"] for i in both["items"]] == [lamp]
    # Each facet counts under the other filter only: brands of the lighting, categories
    # of the brand.
    assert facet(both, "brand") == {"lumen works": 1, "brightway": 1}
    assert facet(both, "category") == {"lighting": 1, "furniture": 1}
    # An update changes the brand (the newer version wins); the old brand no longer finds it.
    publish(search_stack, (changed(other, 2, f"{word} lamp xl", category="Lighting",
                                   brand="Lumen Works"), None))  # fmt: skip
    wait_for(service, lambda b: b["total"] == 3, q=word, brand="Lumen Works")
    assert search(service, q=word, brand="Brightway").json()["total"] == 0
    # An event of a catalog that does not know brands yet leaves the brand as indexed.
    older = changed(desk, 2, f"{word} desk renamed", category="Furniture")
    payload = older.payload()
    payload.pop("brand", None)
    producer = Producer({"bootstrap.servers": search_stack.kafka})
    envelope = Envelope(type=older.event_type, source="test", data=payload, time=datetime.now(UTC))
    producer.produce(str(older.topic), key=older.key.encode(), value=encode(envelope))
    assert producer.flush(15) == 0
    renamed = wait_for(service, lambda b: b["total"] == 1, q=f"{word} renamed", brand="lumen works")
    assert renamed["items"][0]["brand"] == "Lumen Works"


def test_bad_input_is_a_400_problem(service: RunningService) -> None:
    for params in (
        {"brand": "b" * 101},
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


def test_top_counts_frequent_and_zero_result_queries(service: RunningService) -> None:
    nothing = "nohit" + uuid.uuid4().hex[:8]
    for q in (nothing, nothing.upper(), f"  {nothing} "):
        assert search(service, q=q).json()["total"] == 0
    search(service, q=nothing, page=2)  # a page turned is not a new search
    done = service_command(service, "top", "--limit", "100")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    zero = {entry["query"]: entry["count"] for entry in found["zero_results"]}
    assert zero[nothing] == 3 and found["searches"] >= 3
    bad = service_command(service, "top", "--hours", "48")
    assert bad.returncode == 2 and "between 1 and 24" in bad.stderr


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


# ---- reindex under writes ------------------------------------------------------------------


class CatalogWriter:
    """Writes products as the catalog does: the row committed, then its ProductChanged
    (the outbox's order), each change raising the row's version."""

    def __init__(self, stack: SearchStack, database_url: str, word: str) -> None:
        from ecomctl.migrate.url import parse_url

        url = parse_url(database_url)
        self.conn = pymysql.connect(
            host=url.host, port=url.port, user=url.user, password=url.password,
            database=url.database, autocommit=True,
        )  # fmt: skip
        self.stack, self.word = stack, word
        self.names: dict[int, str] = {}  # what each product is called now
        self.written_at: list[float] = []

    def create(self) -> None:
        name = f"{self.word} item{len(self.names)}"
        with self.conn.cursor() as cursor:
            cursor.execute(
                "INSERT INTO products (sku, name, description, category, brand, price)"
                " VALUES (%s, %s, 'integration', 'Gadgets', %s, 12.50)",
                (uuid.uuid4().hex[:20], name, self.brand(len(self.names))),
            )
            pid = int(cursor.lastrowid)
        self._published(pid, 1, name, "created")

    def rename(self, pid: int) -> None:
        name = f"{self.word} renamed{uuid.uuid4().hex[:6]}"
        with self.conn.cursor() as cursor:
            cursor.execute(
                "UPDATE products SET name = %s, version = version + 1 WHERE id = %s", (name, pid)
            )
            cursor.execute("SELECT version FROM products WHERE id = %s", (pid,))
            (version,) = cursor.fetchone()
        self._published(pid, int(version), name, "updated")

    @staticmethod
    def brand(number: int) -> str | None:
        """Every other product has one: the reindex carries brands (and their absence)."""
        return None if number % 2 else "Reindex & Co"

    def _published(self, pid: int, version: int, name: str, change: str) -> None:
        with self.conn.cursor() as cursor:
            cursor.execute("SELECT brand FROM products WHERE id = %s", (pid,))
            (brand,) = cursor.fetchone()
        publish(self.stack, (changed(pid, version, name, change, brand=brand), None))
        self.names[pid] = name
        self.written_at.append(time.monotonic())


class Repeatedly(threading.Thread):
    """Runs `step` until stopped; counts the runs, keeps the first error."""

    def __init__(self, step: Any) -> None:
        super().__init__(daemon=True)
        self.step, self.stopped, self.runs = step, threading.Event(), 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stopped.is_set():
                self.step()
                self.runs += 1
                time.sleep(0.02)
        except BaseException as error:  # reported by the test
            self.error = error

    def stop(self) -> None:
        self.stopped.set()
        self.join(30)


def service_command(
    service: RunningService, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """What `ecomctl search reindex|top` runs: the service's command, in its environment."""
    full_env = {**os.environ, **_ENVS[service.url], "PYTHONPATH": str(SEARCH_SRC), **env}
    argv = [sys.executable, "-m", "product_search.entrypoints.cli", *args, "--json"]
    return subprocess.run(argv, env=full_env, capture_output=True, text=True, timeout=600)


def test_reindex_under_writes_loses_nothing_and_searches_keep_answering(
    search_stack: SearchStack, service: RunningService
) -> None:
    catalog_url = new_migrated_database(search_stack.mysql_url, "product-catalog")
    word = "reindex" + uuid.uuid4().hex[:6]
    writer = CatalogWriter(search_stack, catalog_url, word)
    for _ in range(300):
        writer.create()
    wait_for(service, lambda b: b["total"] == 300, q=word, size=1)

    def write() -> None:
        writer.create()
        if len(writer.names) % 3 == 0:
            writer.rename(random.choice(list(writer.names)))

    answers: list[int] = []
    writing = Repeatedly(write)
    searching = Repeatedly(lambda: answers.append(search(service, q=word, size=5).status_code))
    writing.start()
    searching.start()
    time.sleep(1)
    began = time.monotonic()
    done = service_command(service, "reindex", ECOM_CATALOG_DATABASE_URL=catalog_url)
    ended = time.monotonic()
    time.sleep(1)
    writing.stop()
    searching.stop()
    assert done.returncode == 0, done.stderr
    assert writing.error is None and searching.error is None, (writing.error, searching.error)
    report = json.loads(done.stdout)
    alias = service_alias(service)
    assert report["previous"] == [f"{alias}-v1"]  # the previous release's definition
    assert report["index"].startswith(f"{alias}-v{INDEX_VERSION}-")
    during = [t for t in writer.written_at if began <= t <= ended]
    print("reindex:", report, f"{len(during)} writes during it")
    assert len(during) >= 10, f"only {len(during)} writes during the reindex"
    assert answers and set(answers) == {200}, sorted(set(answers))

    client = OpenSearch(hosts=[search_stack.opensearch], timeout=30)
    try:
        assert sorted(client.indices.get_alias(name=alias)) == [report["index"]]
        expected = dict(writer.names)
        deadline = time.monotonic() + WAIT_S
        while True:
            found = client.mget(index=alias, body={"ids": [str(pid) for pid in expected]})
            names = {
                int(d["_id"]): d["_source"].get("name") for d in found["docs"] if d.get("found")
            }
            if names == expected or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        missing = sorted(set(expected) - set(names))
        stale = sorted(p for p in expected if p in names and names[p] != expected[p])
        if missing or stale:  # where did they go: into the old index?
            old = client.mget(index=report["previous"][0], body={"ids": missing[:5] + stale[:5]})
            print("reindex:", done.stderr, report, "old index holds:", old["docs"])
        assert not missing and not stale, f"missing {missing[:10]}, stale {stale[:10]}"
    finally:
        client.close()
    wait_for(service, lambda b: b["total"] == len(expected), q=word, size=1)
    branded = wait_for(service, lambda b: b["total"] > 0, q=word, brand="reindex & co", size=1)
    assert branded["total"] == sum(1 for n in range(len(expected)) if writer.brand(n))
