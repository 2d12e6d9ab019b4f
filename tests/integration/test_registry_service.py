"""The registry template's service as a real process: the HTTP API, eviction, and the kit's
client registering again after a registry restart."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
REGISTRY_SRC = ROOT / "templates" / "registry" / "template" / "src"
REGISTRY_SECRET = "integration-registration-secret"
# What every registry write carries (ecomkit.registry_client.SECRET_HEADER).
WRITER = {"x-registry-secret": REGISTRY_SECRET}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_registry(port: int, evict_after_s: float = 30) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REGISTRY_SRC),
        "ECOM_PORT": str(port),
        "ECOM_REGISTRY_EVICT_AFTER_S": str(evict_after_s),
        "ECOM_REGISTRY_SWEEP_INTERVAL_S": "0.2",
        "ECOM_REGISTRY_SECRET": REGISTRY_SECRET,
        "ECOM_LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "registry.entrypoints.app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_ready(f"http://127.0.0.1:{port}/health/ready")
    return proc


def wait_ready(url: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} not ready within {timeout_s} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def registry_port() -> Iterator[int]:
    port = free_port()
    proc = start_registry(port, evict_after_s=1.5)
    yield port
    stop(proc)


def test_register_heartbeat_list_deregister(registry_port: int) -> None:
    base = f"http://127.0.0.1:{registry_port}/api/registry"
    instance = {"service": "order", "instance_id": "order-1", "url": "http://127.0.0.1:8083"}
    assert httpx.post(f"{base}/instances", json=instance, headers=WRITER).status_code == 201
    assert (
        httpx.post(f"{base}/instances", json={**instance, "weight": 50}, headers=WRITER).status_code
        == 201
    )
    listed = httpx.get(f"{base}/services").json()["services"]["order"]
    assert [(i["instance_id"], i["weight"]) for i in listed] == [("order-1", 50)]
    assert httpx.put(f"{base}/instances/order/order-1/heartbeat", headers=WRITER).status_code == 200
    page = httpx.get(f"http://127.0.0.1:{registry_port}/")
    assert "order-1" in page.text and page.headers["content-type"].startswith("text/html")
    assert httpx.delete(f"{base}/instances/order/order-1", headers=WRITER).status_code == 204
    assert httpx.get(f"{base}/services").json()["services"] == {}


def test_silent_instances_are_evicted(registry_port: int) -> None:
    base = f"http://127.0.0.1:{registry_port}/api/registry"
    for name in ("quiet", "beating"):
        httpx.post(
            f"{base}/instances",
            json={"service": "svc", "instance_id": name, "url": "http://127.0.0.1:1"},
            headers=WRITER,
        )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        httpx.put(f"{base}/instances/svc/beating/heartbeat", headers=WRITER)
        ids = [i["instance_id"] for i in httpx.get(f"{base}/services").json()["services"]["svc"]]
        if ids == ["beating"]:
            break
        time.sleep(0.3)
    assert ids == ["beating"]
    assert httpx.put(f"{base}/instances/svc/quiet/heartbeat", headers=WRITER).status_code == 404


def test_kit_client_registers_again_after_a_registry_restart() -> None:
    from ecomkit.registry_client import RegistryClient

    port = free_port()
    proc = start_registry(port)
    url = f"http://127.0.0.1:{port}"

    async def scenario() -> list[str]:
        client = RegistryClient(url, "user-auth", "127.0.0.1", 8081, secret=REGISTRY_SECRET)
        await client.register()
        nonlocal proc
        stop(proc)
        proc = start_registry(port)  # empty again: it keeps no state
        assert await client.instances("user-auth") == []
        await client.heartbeat()  # 404 -> registers again
        found = [i.instance_id for i in await client.instances("user-auth")]
        await client.deregister()
        await client.aclose()
        return found

    try:
        assert asyncio.run(scenario()) == ["user-auth-127.0.0.1-8081"]
    finally:
        stop(proc)
