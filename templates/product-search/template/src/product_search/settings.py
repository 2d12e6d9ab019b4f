"""product-search settings: the kit's ECOM_* consumer settings plus where OpenSearch is."""

from __future__ import annotations

from ecomkit.settings import ConsumerSettings


class Settings(ConsumerSettings):
    service_name: str = "product-search"
    port: int = 8087
    opensearch_url: str = "http://127.0.0.1:9200"
    # The name searches and writes go through; it points at products-v<N> (index/ folder).
    index_alias: str = "products"
    opensearch_timeout_s: float = 5.0
    # Index writes are gathered into one bulk request for at most this long / this many.
    bulk_linger_s: float = 0.05
    bulk_max_actions: int = 500
    # Read only by the reindex command (entrypoints/cli.py): the catalog's database, which a
    # new index is built from. ecomctl passes it; the running service never reads it.
    catalog_database_url: str = ""
