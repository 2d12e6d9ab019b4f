"""The real infrastructure brought up by `ecomctl up`, checked with each component's own client."""

from __future__ import annotations

import json
import smtplib
import time
import uuid
from email.message import EmailMessage

import httpx
import psycopg
import pymongo
import pymysql
import redis
from confluent_kafka import Consumer, Producer
from opensearchpy import OpenSearch

from ecomctl.stack.loader import load_stack
from tests.integration.conftest import Platform

ALL = {
    "kafka",
    "postgres",
    "mysql",
    "mongo",
    "redis",
    "search",
    "zipkin",
    "prometheus",
    "smtp",
    "stripe",
}


def disabled_services() -> set[str]:
    return {name for name, spec in load_stack().services.items() if not spec.enabled}


def test_status_json_shows_all_ten_components_ready(platform: Platform) -> None:
    result = platform.ecomctl("status", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    rows = {c["name"]: c for c in payload["components"]}
    assert {name for name, row in rows.items() if row["kind"] == "infra"} == ALL
    services = {name for name, row in rows.items() if row["kind"] == "service"}
    assert services == set(load_stack().services) - disabled_services()
    for name, row in rows.items():
        assert row["state"] == "ready", (name, row)
        assert row["runtime"] == "local"
        assert isinstance(row["pid"], int) and row["port"] > platform.offset
    assert payload["total_rss_mb"] > 0


def test_kafka_produce_and_consume_with_a_consumer_group(kafka_bootstrap: str) -> None:
    key = uuid.uuid4().hex
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    producer.produce("order-created-events", key=key, value=json.dumps({"order": key}))
    assert producer.flush(30) == 0
    consumer = Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "group.id": f"test-{key}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe(["order-created-events"])
    try:
        found = None
        deadline = time.monotonic() + 60
        while found is None and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is not None and not message.error() and message.key() == key.encode():
                found = json.loads(message.value())
        assert found == {"order": key}
        consumer.commit(asynchronous=False)
    finally:
        consumer.close()


def test_every_plan_topic_and_its_dlq_exist(platform: Platform, kafka_bootstrap: str) -> None:
    from confluent_kafka.admin import AdminClient

    topics = AdminClient({"bootstrap.servers": kafka_bootstrap}).list_topics(timeout=20).topics
    assert topics["order-created-events"].partitions.keys() == set(range(6))
    assert "order-created-events.DLQ" in topics
    assert "review-added-events" in topics


def test_postgres_sql_with_the_stack_account(platform: Platform) -> None:
    port = platform.port("postgres")
    with psycopg.connect(f"postgresql://ecomctl:ecomctl@127.0.0.1:{port}/orders") as conn:
        conn.execute("create temporary table t (id int primary key, note text)")
        conn.execute("insert into t values (%s, %s)", (1, "paid"))
        assert conn.execute("select note from t where id = %s", (1,)).fetchone() == ("paid",)


def test_mysql_sql_with_the_stack_account(platform: Platform) -> None:
    conn = pymysql.connect(
        host="127.0.0.1",
        port=platform.port("mysql"),
        user="ecomctl",
        password="ecomctl",
        database="inventory",
    )
    try:
        with conn.cursor() as cur:
            table = f"t_{uuid.uuid4().hex[:8]}"
            cur.execute(f"create table {table} (id int primary key, stock int)")
            cur.execute(f"insert into {table} values (%s, %s)", (1, 7))
            cur.execute(f"select stock from {table} where id = %s", (1,))
            assert cur.fetchone() == (7,)
            cur.execute(f"drop table {table}")
    finally:
        conn.close()


def test_ferretdb_insert_and_find_with_pymongo(mongo_url: str) -> None:
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(
        mongo_url, serverSelectionTimeoutMS=10000
    )
    try:
        reviews = client["reviews"][f"r_{uuid.uuid4().hex[:8]}"]
        reviews.insert_one({"product_id": 1, "rating": 4})
        found = reviews.find_one({"product_id": 1})
        assert found is not None and found["rating"] == 4
    finally:
        client.close()


def test_redis_set_and_get(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    key = f"test:{uuid.uuid4().hex}"
    client.set(key, "cached", ex=60)
    assert client.get(key) == b"cached"


def test_opensearch_index_and_search(platform: Platform) -> None:
    client = OpenSearch(hosts=[{"host": "127.0.0.1", "port": platform.port("search")}], timeout=30)
    index = f"products-{uuid.uuid4().hex[:8]}"
    client.index(index=index, body={"name": "blue running shoe"}, id="1", refresh=True)
    hits = client.search(index=index, body={"query": {"match": {"name": "shoe"}}})["hits"]["hits"]
    assert [hit["_id"] for hit in hits] == ["1"]


def test_zipkin_span_posted_and_read_back(platform: Platform) -> None:
    base = f"http://127.0.0.1:{platform.port('zipkin')}"
    trace_id = uuid.uuid4().hex[:16]
    span = {
        "traceId": trace_id,
        "id": trace_id,
        "name": "post /api/orders",
        "timestamp": int(time.time() * 1e6),
        "duration": 1500,
        "localEndpoint": {"serviceName": "order"},
    }
    assert httpx.post(f"{base}/api/v2/spans", json=[span], timeout=10).status_code == 202
    deadline = time.monotonic() + 20
    while True:
        response = httpx.get(f"{base}/api/v2/trace/{trace_id}", timeout=10)
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert response.status_code == 200
    assert response.json()[0]["name"] == "post /api/orders"


def test_prometheus_scrapes_itself(platform: Platform) -> None:
    base = f"http://127.0.0.1:{platform.port('prometheus')}"
    deadline = time.monotonic() + 60
    while True:
        result = httpx.get(f"{base}/api/v1/query", params={"query": "up"}, timeout=10).json()
        series = result["data"]["result"]
        if series or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert result["status"] == "success"
    assert any(s["value"][1] == "1" for s in series)


def test_mail_sent_over_smtp_is_read_back_from_the_sink(platform: Platform) -> None:
    subject = f"order {uuid.uuid4().hex[:8]} confirmed"
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        "shop@example.test",
        "buyer@example.test",
        subject,
    )
    message.set_content("Thank you for your order.")
    with smtplib.SMTP("127.0.0.1", platform.port("smtp"), timeout=10) as smtp:
        smtp.send_message(message)
    api = f"http://127.0.0.1:{platform.port('smtp', 'http')}/api/v1/messages"
    deadline = time.monotonic() + 10
    while True:
        subjects = [m["Subject"] for m in httpx.get(api, timeout=10).json()["messages"]]
        if subject in subjects or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert subject in subjects


def test_stripe_emulator_charges_and_declines(platform: Platform) -> None:
    from ecomctl.infra.components import stripe as stripe_mod

    client = httpx.Client(
        base_url=stripe_mod.api_url("127.0.0.1", platform.port("stripe")),
        auth=(stripe_mod.TEST_SECRET_KEY, ""),
        timeout=10,
    )

    def pay(card_number: str) -> httpx.Response:
        card = {
            "card[number]": card_number,
            "card[exp_month]": "12",
            "card[exp_year]": "2034",
            "card[cvc]": "123",
        }
        method = client.post("/v1/payment_methods", data={"type": "card", **card}).json()["id"]
        return client.post(
            "/v1/payment_intents",
            data={
                "amount": "1999",
                "currency": "usd",
                "payment_method": method,
                "confirm": "true",
            },
        )

    with client:
        assert pay(stripe_mod.CARD_OK).json()["status"] == "succeeded"
        declined = pay(stripe_mod.CARD_DECLINED_AT_CHARGE)
        assert declined.status_code == 402
        assert declined.json()["error"]["code"] == "card_declined"
