"""Shared helpers of the order/inventory integration tests (no tests here): migrated
PostgreSQL databases, service tokens, publishing and finding saga events on Kafka, and
loading a template's own contract tests so they run against the real databases."""

from __future__ import annotations

import importlib.util
import json
import random
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
from confluent_kafka import Producer
from ecomkit.contracts import REGISTRY, Contract
from ecomkit.events import Envelope, encode
from ecomkit.testing import arriving
from keys_support import ISSUER
from template_src import template_src
from test_product_catalog_service import find_event
from test_user_auth_service import REPO, migration_folder

from ecomctl.migrate import MigrateSettings, migrate, parse_url

__all__ = ["find_event"]

WAIT_S = 45


def bearer(user_id: int, *roles: str, name: str = "it-user") -> dict[str, str]:
    token = ISSUER.issue_access(user_id, name, list(roles) or ["USER"])
    return {"Authorization": f"Bearer {token}"}


def high_id() -> int:
    """Ids no other run on the shared topics uses (they key the saga's events)."""
    return random.randint(10**12, 10**15)


def new_migrated_postgres(postgres_url: str, kind: str) -> str:
    admin = parse_url(postgres_url)
    name = kind.replace("-", "_") + "_" + uuid.uuid4().hex[:10]
    conninfo = {
        "host": admin.host,
        "port": admin.port,
        "user": admin.user,
        "password": admin.password or None,
    }
    with psycopg.connect(dbname=admin.database, autocommit=True, **conninfo) as conn:
        conn.execute(f"CREATE DATABASE {name}".encode())
    url = f"postgresql://{admin.user}:{admin.password}@{admin.host}:{admin.port}/{name}"
    migrate(settings=MigrateSettings(url=parse_url(url), locations=(migration_folder(kind),)))
    return url


def publish(kafka: str, topic: str, envelope: Envelope, key: str) -> None:
    producer = Producer({"bootstrap.servers": kafka})
    producer.produce(
        topic, encode(envelope), key=key.encode(), headers=[("event-type", envelope.type.encode())]
    )
    assert producer.flush(15) == 0


def publish_event(kafka: str, envelope: Envelope) -> None:
    """Publish `envelope` on its contract's topic, keyed by its subject (the order id); the
    same envelope again is a redelivery."""
    contract = REGISTRY.contract_for(envelope.type)
    publish(kafka, contract.topic, envelope, envelope.subject or "")


def saga_event(kind: str, **data: Any) -> Envelope:
    return Envelope(
        type=kind, source="integration-test", subject=str(data.get("order_id")), data=data
    )


def contract_event(contract: Contract) -> Envelope:
    """The envelope the publishing service's outbox sends for `contract`."""
    return arriving(contract, "integration-test")


def publish_contract(kafka: str, contract: Contract, envelope: Envelope | None = None) -> Envelope:
    """`contract` on its topic under its key (`envelope`: the same one again, redelivered)."""
    envelope = envelope or contract_event(contract)
    publish(kafka, str(contract.topic), envelope, contract.key)
    return envelope


def event_for(
    kafka: str, topic: str, order_id: int, **extra: Any
) -> tuple[dict[str, Any], dict[str, bytes]]:
    def match(envelope: dict[str, Any]) -> bool:
        data = envelope.get("data") or {}
        return data.get("order_id") == order_id and all(data.get(k) == v for k, v in extra.items())

    return find_event(kafka, topic, match)


def wait_for(check: Callable[[], Any], what: str, timeout_s: float = WAIT_S) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"{what}: not within {timeout_s} s")


def template_contracts(kind: str) -> ModuleType:
    """The template's tests/contracts.py, importable beside this suite's own `tests`."""
    root = REPO / "templates" / kind / "template"
    src = str(template_src(kind))
    if src not in sys.path:
        sys.path.insert(0, src)
    name = f"{kind}_template_contracts"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, root / "tests" / "contracts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def as_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def service_env(kind: str, database_url: str, kafka: str, **extra: str) -> dict[str, str]:
    """A consumer group of its own that starts at the end of the shared topics."""
    return {
        "ECOM_DATABASE_URL": database_url,
        "ECOM_KAFKA_BOOTSTRAP": kafka,
        "ECOM_SERVICE_NAME": f"{kind}-it-{uuid.uuid4().hex[:6]}",
        "ECOM_CONSUMER_OFFSET_RESET": "latest",
        **extra,
    }


def src_of(kind: str) -> Path:
    return template_src(kind)


def wait_group_stable(kafka: str, group: str, timeout_s: float = 60) -> None:
    """Until the service's consumer group has its partitions (a consumer starting at
    "latest" only sees what is published after that)."""
    from confluent_kafka import ConsumerGroupState
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": kafka})

    def stable() -> bool:
        try:
            found = admin.describe_consumer_groups([group])[group].result(timeout=5)
        except Exception:
            return False
        return bool(found.state == ConsumerGroupState.STABLE and found.members)

    wait_for(stable, f"consumer group {group} stable", timeout_s)
    time.sleep(1.0)  # positions are set right after the assignment
