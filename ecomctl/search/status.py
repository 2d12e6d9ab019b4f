"""`ecomctl search status`: the index behind the alias, its documents against the catalog's
products, and how far the indexer is behind in Kafka."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ecomctl.errors import UserError
from ecomctl.operations import Target

SEARCH_TEMPLATE = "product-search"
CATALOG_TEMPLATE = "product-catalog"
ALIAS = "products"
INDEXED_TOPICS = ["product-changed-events", "inventory-updated-events", "review-added-events"]


@dataclass(frozen=True)
class SearchStatus:
    opensearch: str
    alias: str
    indices: list[str]
    documents: int  # searchable: active products
    catalog_products: int | None  # active products in the catalog's database (None: unknown)
    indexer_lag: int | None  # records not yet consumed; None: the group never committed

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def search_status(*, tgt: Target, alias: str = ALIAS) -> SearchStatus:
    from opensearchpy import OpenSearch
    from opensearchpy.exceptions import ConnectionError as OpenSearchDown
    from opensearchpy.exceptions import NotFoundError

    from ecomctl.rollout.lag import consumer_lag
    from ecomctl.scenarios.endpoints import for_workspace

    ends = for_workspace(tgt.stack, tgt.workspace)
    if "search" not in tgt.stack.infra:
        raise UserError("this stack has no OpenSearch (infra: search in ecomctl.yaml)")
    url = f"http://127.0.0.1:{tgt.stack.infra['search'].port + ends.port_offset}"
    client = OpenSearch(hosts=[url], timeout=10, max_retries=0)
    try:
        indices = sorted(client.indices.get_alias(name=alias))
        documents = int(client.count(index=alias, body=_ACTIVE)["count"])
    except OpenSearchDown:
        raise UserError(f"OpenSearch does not answer at {url}", hint="`ecomctl status`") from None
    except NotFoundError:
        raise UserError(
            f"no index behind the alias {alias!r} yet",
            hint=f"is {SEARCH_TEMPLATE} running? it creates the index on start",
        ) from None
    finally:
        client.close()
    group = next((n for n, s in tgt.stack.services.items() if s.template == SEARCH_TEMPLATE), "")
    lag = consumer_lag(ends.kafka, group, INDEXED_TOPICS) if group and ends.kafka else None
    return SearchStatus(url, alias, indices, documents, _catalog_products(tgt), lag)


_ACTIVE = {"query": {"term": {"active": True}}}


def _catalog_products(tgt: Target) -> int | None:
    """Active products in the catalog's MariaDB; None when the stack has no catalog."""
    import pymysql

    from ecomctl.migrate.url import service_url
    from ecomctl.scenarios.endpoints import port_offset

    name = next((n for n, s in tgt.stack.services.items() if s.template == CATALOG_TEMPLATE), None)
    if name is None or not tgt.stack.services[name].database:
        return None
    url = service_url(tgt.stack, name, port_offset=port_offset(tgt.workspace))
    try:
        conn = pymysql.connect(
            host=url.host, port=url.port, user=url.user, password=url.password,
            database=url.database, connect_timeout=5,
        )  # fmt: skip
    except pymysql.Error:
        return None  # not running (e.g. `up --only search`): shown as unknown
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM products WHERE active")
            row = cursor.fetchone()
    except pymysql.Error:
        return None  # the catalog's database is not migrated yet: unknown, not a failure
    finally:
        conn.close()
    return int(row[0]) if row else 0
