"""The indices behind the alias, as a reindex sees them: which ones serve, a new one built
from a definition file, the stock parts an index holds, and the atomic alias swap."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import NotFoundError
from opensearchpy.helpers import async_scan

from product_search.adapters.opensearch import index_definition, unavailable_as_error
from product_search.domain.documents import IndexChange

STOCK_FIELDS = ["in_stock", "available_stock", "stock_version"]


class IndexAdmin:
    def __init__(self, client: AsyncOpenSearch, alias: str) -> None:
        self.client, self.alias = client, alias

    async def serving(self) -> list[str]:
        """The indices the alias points at now (none: it does not exist yet)."""
        async with unavailable_as_error():
            try:
                found = await self.client.indices.get_alias(name=self.alias)
            except NotFoundError:
                return []
        return sorted(found)

    async def definition_of(self, index: str) -> int | None:
        """The definition file's version an index was built from (None: not recorded)."""
        async with unavailable_as_error():
            mapping = await self.client.indices.get_mapping(index=index)
        meta = mapping[index]["mappings"].get("_meta", {})
        version = meta.get("definition")
        return int(version) if version is not None else None

    async def create(self, index: str, version: int) -> None:
        async with unavailable_as_error():
            await self.client.indices.create(index=index, body=index_definition(version))

    async def delete(self, index: str) -> None:
        async with unavailable_as_error():
            await self.client.indices.delete(index=index, ignore_unavailable=True)

    async def stock_parts(self, index: str) -> AsyncIterator[IndexChange]:
        """The stock part of every document that has one, at its version (the inventory's
        figures live in no database the catalog can read)."""
        body = {"query": {"exists": {"field": "stock_version"}}, "_source": STOCK_FIELDS}
        async with unavailable_as_error():
            async for hit in async_scan(self.client, index=index, query=body, size=500):
                yield _stock_change(hit)

    async def swap(self, old: list[str], new: str) -> None:
        """One _aliases request: searches see the old indices or the new one, never none."""
        actions: list[dict[str, Any]] = [
            {"remove": {"index": index, "alias": self.alias}} for index in old
        ]
        actions.append({"add": {"index": new, "alias": self.alias, "is_write_index": True}})
        async with unavailable_as_error():
            await self.client.indices.update_aliases(body={"actions": actions})


def _stock_change(hit: dict[str, Any]) -> IndexChange:
    source = hit["_source"]
    fields = {"in_stock": source.get("in_stock"), "available_stock": source.get("available_stock")}
    return IndexChange(int(hit["_id"]), "stock", int(source["stock_version"]), fields)
