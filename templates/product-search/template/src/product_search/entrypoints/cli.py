"""The service's commands, run by ecomctl with the service's own python and ECOM_*
environment:

- `reindex [--json]` (`ecomctl search reindex`), which also needs ECOM_CATALOG_DATABASE_URL
  (service_layer/reindex.py says how no write is lost);
- `top [--hours H] [--limit N] [--json]` (`ecomctl search top`): the most frequent and the
  zero-result queries the service counted in Redis (adapters/query_log.py).

Progress goes to stderr, line by line; the result to stdout (one JSON document with --json).
Exit codes: 0 done; 1 the reindex failed (one line on stderr says where, and whether the
alias moved); 2 bad usage (no catalog database given); 3 OpenSearch, Kafka or the catalog's
database cannot be reached (nothing changed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from aiokafka.errors import KafkaError
from ecomkit.events import Envelope
from ecomkit.service import topics_of
from opensearchpy import AsyncOpenSearch
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError

from product_search.adapters.catalog_source import CatalogDatabase
from product_search.adapters.event_log import EventLog
from product_search.adapters.index_admin import IndexAdmin
from product_search.adapters.opensearch import INDEX_VERSION, OpenSearchIndex
from product_search.bootstrap import query_log
from product_search.domain.analytics import TopQueries
from product_search.domain.documents import IndexChange
from product_search.domain.errors import SearchUnavailable
from product_search.entrypoints.consumers import CONSUMED, command_for
from product_search.service_layer.reindex import (
    ReindexFailed,
    ReindexParts,
    ReindexReport,
    reindex,
)
from product_search.settings import Settings

EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 1, 2, 3


def change_of(envelope: Envelope) -> IndexChange | None:
    command = command_for(envelope)
    return command.change if command is not None else None


async def run_reindex(settings: Settings, progress: Any) -> ReindexReport:
    client = AsyncOpenSearch(hosts=[settings.opensearch_url], timeout=60, max_retries=2)
    catalog = CatalogDatabase(settings.catalog_database_url)
    events = EventLog(settings.kafka_bootstrap, settings.service_name, topics_of(CONSUMED))

    async def write_to(index: str, changes: Sequence[IndexChange]) -> list[Exception | None]:
        return await OpenSearchIndex(client, index).write(changes)

    try:
        await events.start()
        parts = ReindexParts(
            IndexAdmin(client, settings.index_alias), catalog, events, write_to, change_of
        )
        return await reindex(
            parts, alias=settings.index_alias, definition=INDEX_VERSION, progress=progress
        )
    finally:
        await events.close()
        await catalog.close()
        await client.close()


def _unreachable(error: Exception) -> str:
    if isinstance(error, SearchUnavailable):
        return "OpenSearch does not answer"
    if isinstance(error, KafkaError):
        return "Kafka does not answer"
    if isinstance(error, DBAPIError):
        return "the catalog's database cannot be read"
    return "a server did not answer in time"


async def read_top(settings: Settings, hours: int, limit: int) -> TopQueries:
    queries = query_log(settings)
    try:
        return await queries.top(datetime.now(UTC), hours, limit)
    finally:
        await queries.close()


def top(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.redis_url:
        print("error: ECOM_REDIS_URL is not set: queries are counted in memory", file=sys.stderr)
        return EXIT_USAGE
    try:
        found = asyncio.run(read_top(settings, args.hours, args.limit))
    except (RedisError, OSError) as error:
        print(f"error: Redis does not answer ({error})", file=sys.stderr)
        return EXIT_UNREACHABLE
    if args.json:
        print(json.dumps(asdict(found)))
        return 0
    print(f"{found.searches} searches in the last {found.hours} h")
    for title, counts in (("frequent", found.frequent), ("zero results", found.zero_results)):
        print(f"{title}:")
        for entry in counts:
            print(f"  {entry.count:>6}  {entry.query}")
    return 0


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="product-search")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("reindex", help="build a new index and swap the alias to it")
    command.add_argument("--json", action="store_true", help="the result as one JSON document")
    command = commands.add_parser("top", help="most frequent and zero-result queries")
    command.add_argument("--hours", type=_hours, default=24, help="1..24 (default 24)")
    command.add_argument("--limit", type=_limit, default=10, help="1..100 (default 10)")
    command.add_argument("--json", action="store_true", help="the result as one JSON document")
    return parser


def _bounded(low: int, high: int) -> Callable[[str], int]:
    def check(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return value

    return check


_hours, _limit = _bounded(1, 24), _bounded(1, 100)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = Settings()
    if args.command == "top":
        return top(settings, args)
    if not settings.catalog_database_url:
        print("error: ECOM_CATALOG_DATABASE_URL is not set", file=sys.stderr)
        return EXIT_USAGE

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        report = asyncio.run(run_reindex(settings, progress))
    except ReindexFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (SearchUnavailable, KafkaError, DBAPIError, OSError) as error:
        print(f"error: {_unreachable(error)} ({error}); nothing changed", file=sys.stderr)
        return EXIT_UNREACHABLE
    if args.json:
        print(json.dumps(report.to_json()))
    else:
        print(f"{report.alias} -> {report.index} in {report.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
