"""eventstore_choice: statements and transactions per saga step, the kit's event store
(`ecomkit.eventstore`) against the `eventsourcing` library's PostgreSQL module, in one run.

One saga step is what the order service does per consumed event: load the order, decide,
save one new event. Both stores run ORDERS orders through place, reserve and pay on the
same PostgreSQL. Counted on the client, which is exact: the kit store's statements
through SQLAlchemy's cursor events (it runs inside the caller's transaction, so it adds
no transaction of its own), the library's through psycopg's `execute` and `commit`
(it works on its own connections and transactions).

Target: the kit store sends no more statements per step than the order service does
today for the same work (a FOR UPDATE read and an order_events insert: 2), and opens no
transaction of its own. Needs `eventsourcing[postgres]` (not a dependency of ecomctl:
`pip install 'eventsourcing[postgres]'` in a throwaway venv with ecomctl's test extra).

    python bench/eventstore_choice.py --postgres-url postgresql://u:p@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import psycopg
from sqlalchemy import BigInteger, MetaData, event
from sqlalchemy.ext.asyncio import AsyncSession

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from ecomkit.db import create_engine  # noqa: E402
from ecomkit.eventstore import NewEvent, PostgresEventStore, stream_table  # noqa: E402
from test_kit_eventstore import EVENT_STORE_SQL  # noqa: E402
from test_kit_support import create_database  # noqa: E402

ORDERS = 20
STEPS = ("place", "reserve", "pay")
TODAY = 2  # the order service's FOR UPDATE read + order_events insert per step


async def kit_store(url: str) -> dict[str, float]:
    engine = create_engine(create_database(url, EVENT_STORE_SQL))
    table = stream_table(MetaData(), stream_type=BigInteger())
    async with AsyncSession(engine) as session, session.begin():
        for order in range(ORDERS):  # placed: an append alone, not counted
            await PostgresEventStore(session, table).append(order, 0, [NewEvent("Placed", {})])
    seen: Counter[str] = Counter()
    event.listen(engine.sync_engine, "before_cursor_execute",
                 lambda *a: seen.update([a[2].split()[0].upper()]))  # fmt: skip
    for step in STEPS[1:]:
        for order in range(ORDERS):
            async with AsyncSession(engine) as session, session.begin():
                store = PostgresEventStore(session, table)
                loaded = await store.load(order)
                await store.append(order, loaded.version, [NewEvent(step, {})])
    await engine.dispose()
    return {"statements": sum(seen.values()) / (2 * ORDERS), "transactions": 0.0}


def library_store(url: str) -> dict[str, float]:
    module = importlib.import_module("eventsourcing.application")
    domain = importlib.import_module("eventsourcing.domain")
    params = psycopg.conninfo.conninfo_to_dict(url)
    name = f"es_eval_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(
        PERSISTENCE_MODULE="eventsourcing.postgres", POSTGRES_DBNAME=name,
        POSTGRES_HOST=str(params["host"]), POSTGRES_PORT=str(params.get("port", 5432)),
        POSTGRES_USER=str(params["user"]), POSTGRES_PASSWORD=str(params.get("password", "")),
    )  # fmt: skip

    class Order(domain.Aggregate):  # type: ignore[misc, name-defined]
        @domain.event("Placed")
        def __init__(self) -> None:
            self.status = "PENDING"

        @domain.event("Stepped")
        def step(self, name: str) -> None:
            self.status = name

    class Orders(module.Application):  # type: ignore[misc, name-defined]
        # Snapshots on, as for the kit store (whose load reads them in the same statement).
        snapshotting_intervals: ClassVar[dict[Any, int]] = {Order: 50}

    app: Any = Orders()
    seen: Counter[str] = Counter()
    execute, commit = psycopg.Cursor.execute, psycopg.Connection.commit

    def counted_execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        seen["statements"] += 1
        return execute(self, query, *args, **kwargs)

    def counted_commit(self: Any) -> None:
        seen["transactions"] += 1
        commit(self)

    ids = []
    for _ in range(ORDERS):
        order = Order()
        app.save(order)
        ids.append(order.id)
    psycopg.Cursor.execute = counted_execute  # type: ignore[method-assign, assignment]
    psycopg.Connection.commit = counted_commit  # type: ignore[method-assign]
    try:
        for step in STEPS[1:]:
            for order_id in ids:
                order = app.repository.get(order_id)
                order.step(step)
                app.save(order)
    finally:
        psycopg.Cursor.execute, psycopg.Connection.commit = execute, commit  # type: ignore[method-assign]
    return {k: v / (2 * ORDERS) for k, v in seen.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres-url", default=os.environ.get("ECOMCTL_BENCH_POSTGRES_URL",
                        "postgresql://ecomctl:ecomctl@127.0.0.1:5432/postgres"))  # fmt: skip
    url = parser.parse_args().postgres_url
    kit = asyncio.run(kit_store(url))
    try:
        library = library_store(url)
    except ModuleNotFoundError:
        print("eventsourcing is not installed: pip install 'eventsourcing[postgres]'")
        return 2
    print(f"kit store: {kit['statements']:.2f} statements, 0 transactions of its own per step")
    print(f"eventsourcing: {library.get('statements', 0):.2f} statements, "
          f"{library.get('transactions', 0):.2f} transactions of its own per step")  # fmt: skip
    ratio = kit["statements"] / TODAY
    print(
        f"eventstore_choice: ratio={ratio:.2f} target<=1.0 (kit {kit['statements']:.2f} vs "
        f"today {TODAY} statements per step; eventsourcing {library.get('statements', 0):.2f} "
        f"statements + {library.get('transactions', 0):.2f} transactions)"
    )
    return 0 if ratio <= 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
