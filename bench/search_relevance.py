"""Relevance of product search vs the old SQL contains search, in one run.

The judged query set of tests/integration/search_relevance.py (50 queries: kinds, plurals,
typos, several words, category words, brands) over its generated catalog of 2,400 products: the
products go into a fresh index written as product-search's indexer writes it, scored by
OpenSearch's `_rank_eval` with product-search's own query (nDCG@10), and into a freshly
migrated catalog database, scored for the catalog's `name LIKE '%q%'` ordered by id. Prints
the five worst queries of each and, last:

    search_relevance: ratio=<search nDCG@10> target>=0.8 (sql_contains=<nDCG@10>, ...)

Exit 0 when the target holds. Leaves nothing behind but the database it migrated.

Usage: python bench/search_relevance.py --opensearch-url http://127.0.0.1:9200 \\
           --mysql-url mysql://ecomctl:ecomctl@127.0.0.1:3306/mysql
URLs default to $ECOMCTL_BENCH_OPENSEARCH_URL and $ECOMCTL_BENCH_MYSQL_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT / "templates" / "product-search" / "template" / "src"))

import search_relevance as judged  # noqa: E402
from opensearchpy import AsyncOpenSearch  # noqa: E402

TARGET = 0.8


async def search_scores(url: str, products: list[judged.Product]) -> dict[str, float]:
    client = AsyncOpenSearch(hosts=[url], timeout=60)
    alias = "bench-relevance-" + uuid.uuid4().hex[:8]
    try:
        index = await judged.index_catalog(client, alias, products)
        try:
            return await judged.search_ndcg(client, alias, products)
        finally:
            await client.indices.delete(index=index)
    finally:
        await client.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opensearch-url", default=os.environ.get("ECOMCTL_BENCH_OPENSEARCH_URL"))
    parser.add_argument("--mysql-url", default=os.environ.get("ECOMCTL_BENCH_MYSQL_URL"))
    args = parser.parse_args()
    if not args.opensearch_url or not args.mysql_url:
        parser.error("--opensearch-url and --mysql-url (or their ECOMCTL_BENCH_* variables)")
    from test_user_auth_service import new_migrated_database

    products = judged.catalog()
    search = asyncio.run(search_scores(args.opensearch_url, products))
    database = new_migrated_database(args.mysql_url, "product-catalog")
    sql = judged.sql_contains_ndcg(database, products)
    for name, scores in (("search", search), ("sql_contains", sql)):
        worst = sorted(scores.items(), key=lambda item: item[1])[:5]
        print(f"{name}: worst " + ", ".join(f"{q!r}={s:.2f}" for q, s in worst))
    ratio = judged.mean(search)
    print(
        f"search_relevance: ratio={ratio:.3f} target>={TARGET} (sql_contains="
        f"{judged.mean(sql):.3f}, queries={len(search)}, products={len(products)})"
    )
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
