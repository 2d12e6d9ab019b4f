"""Product by id through product-catalog's two-level cache: hit vs miss, in one run.

Runs the service's own read path (`views.product_by_id` from the template, wired by its
bootstrap to a real MariaDB and Redis) on a freshly migrated database with a few hundred
products. Per round and product, untimed preparation puts the cache in the state to time:

- miss:    nothing cached (invalidated): MySQL query + Redis GET miss + SET of both levels
- hit-L2:  only Redis holds it (L1 cleared): Redis GET + JSON decode
- hit-L1:  in-process L1 holds it

Prints the p50s and, last:

    cache_hit: ratio=<hit-L1 p50 / miss p50> target<=0.2 (l2_ratio=..., ...)

Exit 0 when the target holds. The HTTP layer is left out on purpose: it costs the same on
both paths and would measure the web framework rather than the cache.

Usage: python bench/cache_hit.py --mysql-url mysql://ecomctl:ecomctl@127.0.0.1:3306/mysql \
           --redis-url redis://127.0.0.1:6379/0 [--products 200] [--rounds 5]
URLs default to $ECOMCTL_BENCH_MYSQL_URL and $ECOMCTL_BENCH_REDIS_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from template_src import template_src  # noqa: E402

sys.path.insert(0, str(template_src("product-catalog")))

from product_catalog.bootstrap import bootstrap, open_resources  # noqa: E402
from product_catalog.domain import commands  # noqa: E402
from product_catalog.service_layer import views  # noqa: E402
from product_catalog.service_layer.messagebus import MessageBus  # noqa: E402
from product_catalog.settings import Settings  # noqa: E402
from test_user_auth_service import new_migrated_database  # noqa: E402

TARGET = 0.2


async def timed(bus: MessageBus, product_id: int) -> float:
    started = time.perf_counter()
    await views.product_by_id(bus, product_id)
    return time.perf_counter() - started


async def measure(bus: MessageBus, ids: list[int], rounds: int) -> dict[str, list[float]]:
    cache = bus.deps.cache.cache  # type: ignore[attr-defined]  # the kit's TwoLevelCache
    samples: dict[str, list[float]] = {"miss": [], "hit-L2": [], "hit-L1": []}
    for _ in range(rounds):
        for product_id in ids:
            await bus.deps.cache.invalidate(product_id)
            samples["miss"].append(await timed(bus, product_id))
            cache.clear_local()
            samples["hit-L2"].append(await timed(bus, product_id))
            samples["hit-L1"].append(await timed(bus, product_id))
    return samples


async def run(mysql_url: str, redis_url: str, products: int, rounds: int) -> int:
    database = new_migrated_database(mysql_url, "product-catalog")
    settings = Settings(
        database_url=database,
        redis_url=redis_url,
        service_name="bench-" + uuid.uuid4().hex[:8],
        cache_l1_ttl_s=600,
    )
    resources = open_resources(settings)
    bus = bootstrap(settings, resources)
    try:
        ids = []
        for i in range(products):
            command = commands.CreateProduct(sku=f"B-{i}", name=f"Bench {i}", price=Decimal(i))
            ids.append((await bus.handle(command)).id)
        for product_id in ids[:20]:  # warm the pools and code paths
            await views.product_by_id(bus, product_id)
        samples = await measure(bus, ids, rounds)
    finally:
        await resources.close()
    p50 = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    for name, value in p50.items():
        print(f"{name:7s} p50={value:.3f} ms  ({len(samples[name])} samples)")
    ratio = p50["hit-L1"] / p50["miss"]
    l2_ratio = p50["hit-L2"] / p50["miss"]
    print(
        f"cache_hit: ratio={ratio:.3f} target<={TARGET} (l2_ratio={l2_ratio:.3f}, "
        f"miss p50={p50['miss']:.3f} ms, hit-L2 p50={p50['hit-L2']:.3f} ms, "
        f"hit-L1 p50={p50['hit-L1']:.4f} ms, {products} products x {rounds} rounds)"
    )
    return 0 if ratio <= TARGET else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mysql-url", default=os.environ.get("ECOMCTL_BENCH_MYSQL_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("ECOMCTL_BENCH_REDIS_URL"))
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not args.mysql_url or not args.redis_url:
        parser.error("--mysql-url and --redis-url (or the ECOMCTL_BENCH_* variables) are needed")
    return asyncio.run(run(args.mysql_url, args.redis_url, args.products, args.rounds))


if __name__ == "__main__":
    sys.exit(main())
