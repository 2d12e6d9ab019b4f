"""The search index on OpenSearch (opensearch-py's async client).

Documents are written only through one painless script, with a version per part of the
document (product, stock): a change is applied only over an older version, which is
external versioning per part (OpenSearch's own `version_type=external` versions the whole
document, and two event streams write to it). Reviews add their rating under the review's
id, so a repeated ReviewAdded rewrites the same entry.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from importlib import resources
from typing import Any

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import NotFoundError, RequestError, TransportError

from product_search.domain import query, results
from product_search.domain.documents import IndexChange
from product_search.domain.errors import IndexRejected, SearchUnavailable
from product_search.domain.search import SearchProducts, SearchResult, SuggestProducts

log = logging.getLogger(__name__)

DEFINITION_FILE = re.compile(r"products-v(\d+)\.json")


def definition_versions() -> list[int]:
    """The versions of the settings-and-mappings files in index/, oldest first."""
    folder = resources.files("product_search").joinpath("index")
    found = (DEFINITION_FILE.fullmatch(entry.name) for entry in folder.iterdir())
    return sorted(int(match.group(1)) for match in found if match)


# A mapping change is a new file products-v<N+1>.json: new indices are built from it, and
# `ecomctl search reindex` moves the alias onto one (an index's mapping cannot change).
INDEX_VERSION = definition_versions()[-1]
# Applies one part of a document unless it already holds that part at a newer version.
APPLY_SCRIPT = """
if (params.part == 'review') {
  if (ctx._source.ratings == null) { ctx._source.ratings = [:]; }
  ctx._source.ratings.putAll(params.fields);
  double sum = 0;
  for (def r : ctx._source.ratings.values()) { sum += r; }
  int n = ctx._source.ratings.size();
  ctx._source.rating_count = n;
  ctx._source.rating = Math.round(sum / n * 100) / 100.0;
  return;
}
String key = params.part + '_version';
def current = ctx._source[key];
if (current != null && current >= params.version) { ctx.op = 'none'; return; }
ctx._source.putAll(params.fields);
ctx._source[key] = params.version;
"""
RETRIABLE_STATUSES = {429, 502, 503, 504}


def index_definition(version: int = INDEX_VERSION) -> dict[str, Any]:
    """Settings and mappings as shipped in index/products-v<version>.json; the mapping's
    _meta records the version, so an index tells which file it was built from."""
    text = resources.files("product_search").joinpath(f"index/products-v{version}.json")
    loaded: dict[str, Any] = json.loads(text.read_text())
    loaded["mappings"]["_meta"] = {"definition": version}
    return loaded


def bulk_actions(alias: str, changes: Sequence[IndexChange]) -> list[dict[str, Any]]:
    actions: list[dict[str, Any]] = []
    for change in changes:
        # Two writers of one document at once (the indexer's consumers of different topics,
        # or the reindex catching up beside the running indexer) conflict on its sequence
        # number; the script is version-guarded, so running it again on the newer document
        # is safe, and OpenSearch does that itself this many times before refusing.
        update = {"_index": alias, "_id": str(change.product_id), "retry_on_conflict": 10}
        actions.append({"update": update})
        params = {"part": change.part, "version": change.version, "fields": change.fields}
        script = {"lang": "painless", "source": APPLY_SCRIPT, "params": params}
        actions.append({"scripted_upsert": True, "script": script, "upsert": {}})
    return actions


class OpenSearchIndex:
    def __init__(self, client: AsyncOpenSearch, alias: str) -> None:
        self.client, self.alias = client, alias

    async def ensure_index(self) -> None:
        """The alias and the first versioned index behind it, when neither exists yet."""
        async with unavailable_as_error():
            if await self.client.indices.exists_alias(name=self.alias):
                await self._warn_if_outdated()
                return
            name = f"{self.alias}-v{INDEX_VERSION}"
            body = {**index_definition(), "aliases": {self.alias: {"is_write_index": True}}}
            try:
                await self.client.indices.create(index=name, body=body)
            except TransportError as error:
                if "resource_already_exists" not in str(error.error):
                    raise
                log.info("index %s was created meanwhile", name)

    async def _warn_if_outdated(self) -> None:
        """A newer definition file ships than the serving index was built from: only a
        reindex applies it (an index's mappings and analyzers cannot change in place)."""
        mappings = await self.client.indices.get_mapping(index=self.alias)
        for name, found in mappings.items():
            built = int(found["mappings"].get("_meta", {}).get("definition", 1))
            if built < INDEX_VERSION:
                log.warning(
                    "index %s was built from products-v%d.json, v%d ships: run `ecomctl search"
                    " reindex` to apply it",
                    name, built, INDEX_VERSION,
                )  # fmt: skip
                await self._add_new_fields(name, found["mappings"].get("properties", {}))

    async def _add_new_fields(self, index: str, present: dict[str, Any]) -> None:
        """The fields the newest file adds, added to an older serving index in place (new
        fields may be; changed ones may not), so that `dynamic: strict` does not refuse the
        indexer's writes of them until the reindex. The reindex still fills them for the
        documents written before, and applies any other change of the file."""
        newest = index_definition()["mappings"]["properties"]
        added = {name: field for name, field in newest.items() if name not in present}
        if not added:
            return
        try:
            await self.client.indices.put_mapping(index=index, body={"properties": added})
        except RequestError as error:
            log.warning("could not add %s to %s in place: %s", sorted(added), index, error)
            return
        log.info("added %s to %s in place until the reindex", sorted(added), index)

    async def write(self, changes: Sequence[IndexChange]) -> list[Exception | None]:
        """One bulk request; per change None or the reason it was refused for good."""
        async with unavailable_as_error():
            response = await self.client.bulk(body=bulk_actions(self.alias, changes))
        outcomes: list[Exception | None] = []
        for item in response["items"]:
            result = item["update"]
            status = int(result.get("status", 200))
            if status in RETRIABLE_STATUSES:
                raise SearchUnavailable(f"bulk item answered {status}")
            error = result.get("error")
            outcomes.append(IndexRejected(json.dumps(error)[:500]) if error else None)
        return outcomes

    async def search(self, request: SearchProducts) -> SearchResult:
        async with unavailable_as_error():
            response = await self.client.search(index=self.alias, body=query.search_body(request))
        return results.search_result(request, response)

    async def suggest(self, request: SuggestProducts) -> list[dict[str, Any]]:
        async with unavailable_as_error():
            response = await self.client.search(index=self.alias, body=query.suggest_body(request))
        return results.suggestions(response)

    async def get(self, product_id: int) -> dict[str, Any] | None:
        async with unavailable_as_error():
            try:
                found = await self.client.get(index=self.alias, id=str(product_id))
            except NotFoundError:
                return None
        source: dict[str, Any] = found["_source"]
        return source

    async def ping(self) -> bool:
        return bool(await self.client.ping())


class unavailable_as_error:
    """OpenSearch down, slow or overloaded -> SearchUnavailable; nothing else is caught,
    so a request this service built wrongly shows as the bug it is (a 500 in its logs)."""

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, kind: type[BaseException] | None, error: Any, tb: Any) -> bool:
        if isinstance(error, OpenSearchConnectionError):
            raise SearchUnavailable(str(error)) from error
        if isinstance(error, TransportError) and error.status_code in RETRIABLE_STATUSES:
            raise SearchUnavailable(f"OpenSearch answered {error.status_code}") from error
        return False
