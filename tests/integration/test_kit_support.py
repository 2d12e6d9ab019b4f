"""Shared helpers of the kit's integration tests (no tests here): a fresh database per test
with the outbox/inbox migration applied, and Kafka read-back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest
from aiokafka import AIOKafkaConsumer
from ecomkit.db import create_engine
from ecomkit.kafka import ensure_topics
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

ROOT = Path(__file__).resolve().parents[2]
# The service whose V2 migration (and outbox_sequence after it) holds the outbox/inbox.
OUTBOX_MIGRATION = {"postgresql": "order", "mysql": "inventory"}


def outbox_sql(dialect: str) -> str:
    service = OUTBOX_MIGRATION[dialect]
    for folder in (
        ROOT / "migrations" / service,
        ROOT / "templates" / service / "template" / "db" / "migration",
    ):
        found = sorted(folder.glob("V2__create_outbox*.sql"))
        if found:
            later = sorted(folder.glob("V*__outbox_sequence.sql"))
            return ";\n".join(f.read_text() for f in [found[0], *later])
    raise FileNotFoundError(f"no V2 outbox migration for {service}")


def statements(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def create_database(server_url: str, extra_sql: str = "") -> str:
    """A randomly named database with the outbox/inbox tables; returns its URL."""
    url = make_url(server_url)
    name = f"kit_{uuid.uuid4().hex[:10]}"
    dialect = "postgresql" if url.drivername.startswith("postgres") else "mysql"
    script = statements(outbox_sql(dialect)) + statements(extra_sql)
    if dialect == "postgresql":
        conninfo = dict(host=url.host, port=url.port, user=url.username, password=url.password)
        with psycopg.connect(dbname="postgres", autocommit=True, **conninfo) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(dbname=name, autocommit=True, **conninfo) as conn:
            for statement in script:
                conn.execute(statement)
    else:
        conn = pymysql.connect(
            host=url.host, port=url.port, user=url.username, password=url.password, autocommit=True
        )
        with conn, conn.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}`")
            cursor.execute(f"USE `{name}`")
            for statement in script:
                cursor.execute(statement)
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["postgres", "mysql"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


EFFECTS_SQL = "CREATE TABLE effects (event_id VARCHAR(36) NOT NULL, n INT NOT NULL)"


@pytest.fixture
async def engine(dialect: str, postgres_url: str, mysql_url: str) -> AsyncIterator[AsyncEngine]:
    url = create_database(postgres_url if dialect == "postgres" else mysql_url, EFFECTS_SQL)
    engine = create_engine(url)
    yield engine
    await engine.dispose()


async def new_topic(bootstrap: str, partitions: int = 3) -> str:
    topic = f"kit-{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [topic, f"{topic}.DLQ"], partitions=partitions)
    return topic


async def read_all(bootstrap: str, topic: str, expected: int, timeout_s: float = 30) -> list[Any]:
    """At least `expected` records of a topic (from the start), in partition order."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[Any] = []
    try:
        async with asyncio.timeout(timeout_s):
            while len(records) < expected:
                batch = await consumer.getmany(timeout_ms=500)
                for part in batch.values():
                    records.extend(part)
        extra = await consumer.getmany(timeout_ms=500)  # anything beyond what we waited for
        for part in extra.values():
            records.extend(part)
    finally:
        await consumer.stop()
    return records
