"""The choice of an upstream instance: by weight, and for a preview (`x-color`) among the
instances of that color only, even while the color takes no traffic."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from aiohttp import web
from ecomkit.upstream_pool import UpstreamPool

from gateway.adapters.upstreams import UpstreamResolver, registry_source
from gateway.domain.balancing import Instance, choose_preview
from tests.servers import serve

pytestmark = pytest.mark.anyio

BLUE = Instance("http://blue-1", "blue-1", 100, color="blue")
GREEN_1 = Instance("http://green-1", "green-1", 0, color="green")
GREEN_2 = Instance("http://green-2", "green-2", 0, color="green")


async def resolver_with(*instances: Instance) -> UpstreamResolver:
    async def source() -> dict[str, list[Instance]]:
        return {"catalog": list(instances)}

    resolver = UpstreamResolver({}, source)
    await resolver.refresh()
    return resolver


def picks(resolver: UpstreamResolver, color: str | None, n: int = 200) -> Counter[str]:
    found = Counter[str]()
    for _ in range(n):
        instance = resolver.pick("catalog", color=color)
        found[instance.instance_id if instance else "none"] += 1
    return found


async def test_without_a_preview_weight_0_takes_no_traffic() -> None:
    resolver = await resolver_with(BLUE, GREEN_1, GREEN_2)
    assert picks(resolver, None) == {"blue-1": 200}


async def test_a_preview_at_weight_0_spreads_over_its_colors_instances() -> None:
    resolver = await resolver_with(BLUE, GREEN_1, GREEN_2)
    found = picks(resolver, "green")
    assert set(found) == {"green-1", "green-2"} and min(found.values()) > 50


async def test_a_preview_follows_its_colors_weights_once_it_has_any() -> None:
    heavy = Instance("http://green-3", "green-3", 100, color="green")
    resolver = await resolver_with(BLUE, GREEN_1, heavy)
    assert picks(resolver, "green") == {"green-3": 200}


async def test_a_preview_of_an_unknown_color_is_an_ordinary_request() -> None:
    resolver = await resolver_with(BLUE, GREEN_1)
    assert picks(resolver, "purple") == {"blue-1": 200}


async def test_a_retried_preview_prefers_another_instance_of_the_same_color() -> None:
    resolver = await resolver_with(BLUE, GREEN_1, GREEN_2)
    for _ in range(50):
        instance = resolver.pick("catalog", avoid=GREEN_1.url, color="green")
        assert instance == GREEN_2
    assert resolver.pick("catalog", avoid=GREEN_1.url, color="green") is not BLUE
    only = await resolver_with(BLUE, GREEN_1)
    assert only.pick("catalog", avoid=GREEN_1.url, color="green") == GREEN_1


def test_choose_preview_is_uniform_at_weight_0() -> None:
    rng = random.Random(3)
    found = Counter(choose_preview([GREEN_1, GREEN_2], rng).instance_id for _ in range(1000))
    assert 400 < found["green-1"] < 600


async def test_registry_source_reads_each_instances_color() -> None:
    document = {
        "services": {
            "catalog": [
                {"url": "http://b/", "instance_id": "b", "weight": 100, "metadata": {}},
                {
                    "url": "http://g",
                    "instance_id": "g",
                    "weight": 0,
                    "metadata": {"color": "green", "version": "v2"},
                },
                {"url": "http://down", "instance_id": "d", "status": "DOWN"},
            ]
        }
    }

    async def services(request: web.Request) -> web.Response:
        return web.Response(text=json.dumps(document), content_type="application/json")

    app = web.Application()
    app.router.add_get("/api/registry/services", services)
    pool = UpstreamPool(connect_timeout_s=1, read_timeout_s=2)
    async with serve(app) as url:
        try:
            found = await registry_source(pool, url)()
        finally:
            await pool.close()
    assert found == {
        "catalog": [
            Instance("http://b", "b", 100, color=""),
            Instance("http://g", "g", 0, color="green"),
        ]
    }
