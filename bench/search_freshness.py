"""How soon a product update is searchable: the catalog's PUT returns -> the new name is
found through the gateway's /api/search/products (outbox -> Kafka -> product-search ->
OpenSearch refresh).

One product is created, then renamed `--updates` times, one at a time, each to a word
never used before; after each PUT returns, the search for that word is polled every 20 ms
until it finds the product. Prints p50/p95/max and, last:

    search_freshness: ratio=<p95 seconds> target<=2 s (p50=..., max=..., updates=N)

Exit 0 when the target holds. Needs the running stack (local or docker runtime).

Usage: python bench/search_freshness.py --workspace WS [--updates 40]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _search import gateway_with_admin, percentile

from ecomctl.scenarios.client import Gateway

TARGET_S = 2.0
GIVE_UP_S = 30.0
POLL_S = 0.02


def searchable_after(api: Gateway, word: str, began: float) -> float:
    while time.monotonic() - began < GIVE_UP_S:
        found = api.body("GET", f"/api/search/products?q={word}&size=1")
        if found["total"] >= 1:
            return time.monotonic() - began
        time.sleep(POLL_S)
    return GIVE_UP_S


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--updates", type=int, default=40)
    args = parser.parse_args()
    api, admin = gateway_with_admin(args.workspace)
    run = uuid.uuid4().hex[:6]
    try:
        pid = api.create_product(
            admin, sku=f"FRESH-{run}", name=f"fresh{run} lamp", price="9.99", currency="USD"
        )
        searchable_after(api, f"fresh{run}", time.monotonic())
        delays = []
        for n in range(args.updates):
            word = f"fresh{run}n{n}"
            api.call("PUT", f"/api/products/{pid}", token=admin, json={"name": f"{word} lamp"})
            delays.append(searchable_after(api, word, time.monotonic()))
        api.call("DELETE", f"/api/products/{pid}", token=admin)
    finally:
        api.close()
    p50, p95 = percentile(delays, 50), percentile(delays, 95)
    print(f"update -> searchable: p50={p50:.3f}s p95={p95:.3f}s max={max(delays):.3f}s")
    print(
        f"search_freshness: ratio={p95:.3f} target<={TARGET_S} s "
        f"(p50={p50:.3f}s, max={max(delays):.3f}s, updates={len(delays)})"
    )
    return 0 if p95 <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
