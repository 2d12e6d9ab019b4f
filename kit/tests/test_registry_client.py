"""The registry client against an in-memory registry behind httpx.MockTransport: it
registers its color and version, adopts the weight an operator set, and keeps that weight
when a restarted registry makes it register again."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from ecomkit.registry_client import RegistryClient
from ecomkit.settings import ServiceSettings
from ecomkit.web import create_app

pytestmark = pytest.mark.anyio
PREFIX = "/api/registry/instances"


class InMemoryRegistry:
    """The registry's HTTP API as far as the client uses it (it keeps nothing on restart)."""

    def __init__(self) -> None:
        self.instances: dict[str, dict[str, Any]] = {}
        self.registrations: list[dict[str, Any]] = []

    def restart(self) -> None:
        self.instances.clear()

    def set_weight(self, instance_id: str, weight: int) -> None:
        self.instances[instance_id]["weight"] = weight

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path == PREFIX:
            body = json.loads(request.content)
            self.registrations.append(body)
            self.instances[body["instance_id"]] = {**body, "status": "UP"}
            return httpx.Response(201, json=self.instances[body["instance_id"]])
        if request.method == "PUT" and path.endswith("/heartbeat"):
            instance_id = path.split("/")[-2]
            if instance_id not in self.instances:
                return httpx.Response(404, json={"title": "Not Found"})
            return httpx.Response(200, json=self.instances[instance_id])
        return httpx.Response(405)


def client_of(registry: InMemoryRegistry, **options: Any) -> RegistryClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(registry), base_url="http://registry")
    return RegistryClient("http://registry", "order", "127.0.0.1", 8083, http=http, **options)


async def test_registers_weight_color_and_version() -> None:
    registry = InMemoryRegistry()
    client = client_of(registry, weight=0, metadata={"color": "green", "version": "v2"})
    await client.register()
    [sent] = registry.registrations
    assert sent["weight"] == 0
    assert sent["metadata"] == {"color": "green", "version": "v2"}


async def test_heartbeat_adopts_the_weight_the_operator_set() -> None:
    registry = InMemoryRegistry()
    client = client_of(registry, weight=0)
    await client.register()
    registry.set_weight(client.instance_id, 250)
    await client.heartbeat()
    assert client.weight == 250


async def test_after_a_registry_restart_it_registers_again_with_the_operators_weight() -> None:
    registry = InMemoryRegistry()
    client = client_of(registry, weight=0, metadata={"color": "green", "version": "v2"})
    await client.register()
    registry.set_weight(client.instance_id, 100)  # promoted
    await client.heartbeat()
    registry.restart()
    await client.heartbeat()  # 404: registers again
    again = registry.registrations[-1]
    assert again["weight"] == 100  # not its start-up 0: the promotion survives
    assert again["metadata"] == {"color": "green", "version": "v2"}
    assert registry.instances[client.instance_id]["weight"] == 100


async def test_a_heartbeat_answer_without_a_weight_changes_nothing() -> None:
    def bare(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="ok")

    http = httpx.AsyncClient(transport=httpx.MockTransport(bare), base_url="http://registry")
    client = RegistryClient("http://registry", "order", "h", 1, weight=70, http=http)
    await client.heartbeat()
    assert client.weight == 70


def test_the_app_registers_with_the_release_settings() -> None:
    settings = ServiceSettings(
        service_name="order",
        registry_url="http://127.0.0.1:9",  # nothing listens: registration is retried later
        color="green",
        version="v2",
        registry_weight=0,
    )
    app = create_app(settings, title="order", configure_logs=False)
    with TestClient(app):
        registry: RegistryClient = app.state.registry
        assert registry.weight == 0
        assert registry.metadata == {"color": "green", "version": "v2"}
