"""Kafka, OpenSearch and Zipkin started straight from their ProcessSpec, on free ports.

The platform fixture covers the everyday round trips; these tests cover what only a
component's own lifecycle shows: a restart on the same data dir (no re-format, no
duplicate topics, data kept), a clean stop on SIGTERM, loopback-only sockets, and a
readiness check that does not mistake a foreign server for ours.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
import pytest
from confluent_kafka import Consumer, Producer
from opensearchpy import OpenSearch

from ecomctl import config
from ecomctl.infra.component import ComponentContext, InfraComponent, NotReady
from ecomctl.infra.components import kafka as kafka_mod
from ecomctl.infra.registry import get_component
from ecomctl.stack.model import Stack
from tests.unit.conftest import free_port

pytestmark = pytest.mark.integration

TOPICS = [
    {"name": "order-created-events", "partitions": 6},
    {"name": "audit-events", "partitions": 1, "dlq": False},
]


def make_ctx(name: str, root: Path) -> ComponentContext:
    component = get_component(name)
    stack = Stack.model_validate(
        {
            "name": f"t{uuid.uuid4().hex[:8]}",
            "infra": {name: {"port": free_port(), "extra_ports": _extra_ports(component)}},
            "topics": TOPICS,
        }
    )
    spec = stack.infra[name]
    installation = component.locate(config.cache_dir()) or component.install(
        config.cache_dir(), progress=lambda line: None
    )
    return ComponentContext(
        name=name,
        spec=spec,
        stack=stack,
        port=spec.port,
        ports=dict(spec.extra_ports),
        host="127.0.0.1",
        data_dir=root / "data",
        run_dir=root / "run",
        log_file=root / f"{name}.log",
        installation=installation,
    )


def _extra_ports(component: InfraComponent) -> dict[str, int]:
    return {key: free_port() for key in component.extra_ports}


@contextmanager
def running(component: InfraComponent, ctx: ComponentContext) -> Iterator[subprocess.Popen[bytes]]:
    """Prepare, start and wait for readiness as the local runtime does; SIGTERM at the end."""
    component.prepare(ctx)
    spec = component.process(ctx)
    with ctx.log_file.open("ab") as log:
        proc = subprocess.Popen(
            spec.argv,
            env={**os.environ, **spec.env},
            cwd=spec.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_ready(component, ctx, proc)
        component.after_ready(ctx)
        yield proc
    finally:
        stop(proc, spec.stop_signal, spec.stop_timeout_s)


def wait_ready(
    component: InfraComponent, ctx: ComponentContext, proc: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + component.ready_timeout_s
    while True:
        assert proc.poll() is None, f"exited {proc.returncode}: {ctx.log_file.read_text()[-3000:]}"
        try:
            component.check_ready(ctx)
            return
        except Exception as exc:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"not ready: {exc}\n{ctx.log_file.read_text()[-3000:]}"
                ) from exc
            time.sleep(0.5)


def stop(proc: subprocess.Popen[bytes], stop_signal: int, timeout_s: float) -> None:
    if proc.poll() is None:
        proc.send_signal(stop_signal)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(f"pid {proc.pid} ignored signal {stop_signal}") from None


def assert_listens_on_loopback_only(proc: subprocess.Popen[bytes]) -> None:
    listening = [
        c.laddr.ip
        for c in psutil.Process(proc.pid).net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    ]
    assert listening
    assert all(ip in ("127.0.0.1", "::ffff:127.0.0.1") for ip in listening), listening


def test_kafka_restart_keeps_storage_topics_and_messages(tmp_path: Path) -> None:
    component = get_component("kafka")
    ctx = make_ctx("kafka", tmp_path)
    bootstrap = f"127.0.0.1:{ctx.port}"
    key = uuid.uuid4().hex
    with running(component, ctx) as proc:
        assert_listens_on_loopback_only(proc)
        topics = kafka_mod.admin_client(ctx).list_topics(timeout=10).topics
        assert len(topics["order-created-events"].partitions) == 6
        assert len(topics["order-created-events.DLQ"].partitions) == 6
        assert "audit-events" in topics and "audit-events.DLQ" not in topics
        producer = Producer({"bootstrap.servers": bootstrap})
        producer.produce("order-created-events", key=key, value=b"kept")
        assert producer.flush(30) == 0
    assert proc.returncode in (0, -signal.SIGTERM, 128 + signal.SIGTERM)

    meta = (kafka_mod.log_dir(ctx) / "meta.properties").read_text()
    with running(component, ctx):
        assert (kafka_mod.log_dir(ctx) / "meta.properties").read_text() == meta
        wanted = kafka_mod.wanted_topics(ctx)
        assert kafka_mod.ensure_topics(kafka_mod.admin_client(ctx), wanted) == []
        consumer = Consumer(
            {"bootstrap.servers": bootstrap, "group.id": key, "auto.offset.reset": "earliest"}
        )
        consumer.subscribe(["order-created-events"])
        try:
            found = None
            deadline = time.monotonic() + 60
            while found is None and time.monotonic() < deadline:
                message = consumer.poll(1.0)
                if message is not None and not message.error() and message.key() == key.encode():
                    found = message.value()
            assert found == b"kept"
        finally:
            consumer.close()


def test_search_keeps_documents_across_restart_and_checks_its_cluster(tmp_path: Path) -> None:
    component = get_component("search")
    ctx = make_ctx("search", tmp_path)
    client = OpenSearch(hosts=[{"host": "127.0.0.1", "port": ctx.port}], timeout=30)
    with running(component, ctx) as proc:
        assert_listens_on_loopback_only(proc)
        assert client.info()["cluster_name"] == f"ecomctl-{ctx.stack.name}"
        foreign = dataclasses.replace(ctx, stack=ctx.stack.model_copy(update={"name": "other"}))
        with pytest.raises(NotReady, match="is not cluster"):
            component.check_ready(foreign)  # someone else's OpenSearch on our port
        client.index(index="products", id="1", body={"name": "red running shoe"}, refresh=True)
    with running(component, ctx):
        hits = client.search(index="products", body={"query": {"match": {"name": "shoe"}}})
        assert [h["_id"] for h in hits["hits"]["hits"]] == ["1"]


def test_zipkin_stores_a_span_and_stops_on_sigterm(tmp_path: Path) -> None:
    component = get_component("zipkin")
    ctx = make_ctx("zipkin", tmp_path)
    base = f"http://127.0.0.1:{ctx.port}"
    trace_id = uuid.uuid4().hex
    span = {
        "traceId": trace_id,
        "id": trace_id[:16],
        "name": "post /orders",
        "timestamp": int(time.time() * 1_000_000),
        "duration": 1500,
        "localEndpoint": {"serviceName": "order"},
    }
    with running(component, ctx) as proc:
        assert_listens_on_loopback_only(proc)
        assert httpx.post(f"{base}/api/v2/spans", json=[span], timeout=10).status_code == 202
        deadline = time.monotonic() + 30
        trace = httpx.get(f"{base}/api/v2/trace/{trace_id}", timeout=10)
        while trace.status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
            trace = httpx.get(f"{base}/api/v2/trace/{trace_id}", timeout=10)
        assert [s["name"] for s in trace.json()] == ["post /orders"]
    assert proc.returncode is not None
