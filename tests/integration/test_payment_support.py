"""Helpers for the payment and notification integration tests (no tests here).

Each test module generates its service from the template into a temporary workspace,
gives it a fresh database (migrated with `ecomctl migrate`) and runs it with uvicorn on a
free port, under a unique service name, so its consumer group is its own.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from confluent_kafka import Consumer, Producer
from ecomkit.events import Envelope, encode

from ecomctl.scaffold import generate_service
from ecomctl.stack.model import ServiceSpec
from ecomctl.workspace import Workspace
from tests.integration.conftest import run_ecomctl
from tests.integration.keys_support import ISSUER, verifying_env


def bearer(user_id: int, *roles: str) -> dict[str, str]:
    token = ISSUER.issue_access(user_id, f"u{user_id}", list(roles) or ["USER"])
    return {"Authorization": f"Bearer {token}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def generate(kind: str, root: Path) -> Path:
    workspace = Workspace(root=root)
    return generate_service(
        workspace=workspace, name=kind, spec=ServiceSpec(port=1, template=kind)
    ).path


def new_postgres_database(admin_url: str, migrations: Path) -> str:
    """A fresh, migrated database; returns its plain postgresql:// URL."""
    name = "it_" + uuid.uuid4().hex[:12]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    done = run_ecomctl("migrate", "--url", url, "--locations", str(migrations), timeout=120)
    assert done.returncode == 0, done.stderr
    return url


def new_mysql_database(admin_url: str, migrations: Path) -> str:
    import pymysql

    name = "it_" + uuid.uuid4().hex[:12]
    rest = admin_url.split("://", 1)[1]
    creds, hostpart = rest.split("@", 1)
    user, password = creds.split(":", 1)
    host, port = hostpart.split("/", 1)[0].split(":")
    conn = pymysql.connect(host=host, port=int(port), user=user, password=password)
    with conn.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}`")
    conn.close()
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    done = run_ecomctl("migrate", "--url", url, "--locations", str(migrations), timeout=120)
    assert done.returncode == 0, done.stderr
    return url


@dataclass
class RunningService:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def start_service(folder: Path, module: str, env: dict[str, str]) -> RunningService:
    port = free_port()
    log = folder / f"service-{port}.log"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ECOM_")}
    full_env.update(
        {
            "PYTHONPATH": str(folder / "src"),
            "ECOM_HOST": "127.0.0.1",
            "ECOM_PORT": str(port),
            **verifying_env(),
            "ECOM_ENVIRONMENT": "test",
            "ECOM_ZIPKIN_URL": "",
            "ECOM_REGISTRY_URL": "",
            **env,
        }
    )
    argv = [sys.executable, "-m", "uvicorn", module, "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=folder, env=full_env, stdout=out, stderr=out)
    service = RunningService(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{module} exited:\n{service.tail()}")
        try:
            if httpx.get(service.url + "/health/ready", timeout=2).status_code == 200:
                return service
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    service.stop()
    raise AssertionError(f"{module} not ready:\n{service.tail()}")


@dataclass
class Kafka:
    bootstrap: str

    def publish(self, topic: str, envelope: Envelope, key: str) -> None:
        producer = Producer({"bootstrap.servers": self.bootstrap})
        headers = [("event-type", envelope.type.encode())]
        producer.produce(topic, key=key, value=encode(envelope), headers=headers)
        assert producer.flush(30) == 0

    def collect(
        self,
        topics: list[str],
        *,
        until: Callable[[list[dict[str, Any]]], bool],
        key: str | None = None,
        timeout_s: float = 60,
        settle_s: float = 0,
    ) -> list[dict[str, Any]]:
        """Records (as dicts) of `topics` with `key` until `until(found)` holds, then
        `settle_s` more seconds (to see that nothing else comes)."""
        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": "it-" + uuid.uuid4().hex,
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
        consumer.subscribe(topics)
        found: list[dict[str, Any]] = []
        deadline, settled = time.monotonic() + timeout_s, None
        try:
            while time.monotonic() < deadline:
                if settled is not None and time.monotonic() >= settled:
                    break
                message = consumer.poll(0.5)
                if message is None or message.error():
                    continue
                if key is not None and message.key() != key.encode():
                    continue
                found.append(
                    {
                        "topic": message.topic(),
                        "headers": dict((k, v.decode()) for k, v in message.headers() or []),
                        **json.loads(message.value()),
                    }
                )
                if settled is None and until(found):
                    settled = time.monotonic() + settle_s
        finally:
            consumer.close()
        return found


def services_env(platform: Any) -> dict[str, str]:
    return {"ECOM_KAFKA_BOOTSTRAP": f"127.0.0.1:{platform.port('kafka')}"}
