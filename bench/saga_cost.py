"""saga_cost: work per order and per service, counted by the servers, against the saga's
design minimum (docs/saga.md, "Design minimum per order").

CPU time per order swings by a third between runs on a shared VM; counts do not. This
places N orders through the gateway (one at a time by default: batching under
concurrency would change relay and commit counts from run to run), waits until every
consumer group has handled everything, and reads, before and after, the counters of
bench/_counters.py: SQL transactions and statements per service database (PostgreSQL's
pg_stat_database and pg_stat_statements, MariaDB's performance_schema digests by schema),
Kafka records produced per topic and committed per consumer group, HTTP requests each
service served (the kit's http_requests_total), FerretDB commands and Zipkin spans.

The idle stack's own traffic (relay polls, deadline sweeps, registry heartbeats, scrapes)
is measured over an idle window of the same length right after, and subtracted. The
relays' empty polls are taken out of both windows exactly (their lock statement without
a mark), since a busy window has fewer of them than an idle one.

Target (shared/PERFORMANCE.md): every count <= 1.25 x its minimum; the last line names
the worst.

    python bench/saga_cost.py --workspace WS [--orders 100] [--concurrency 1] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

import _counters as c
from _counters import Minimum
from _saga import Outcomes, place, seed, settle

TARGET = 1.25
SPAN_EXPORT_S = 6.0  # the services' BatchSpanProcessor exports every 5 s

# One order, one item, paid with a card that pays: the happy path of docs/saga.md. Every
# figure the run measures and this table leaves out is printed too, with no minimum.
MINIMUMS: tuple[Minimum, ...] = (
    # -- HTTP requests served (the kit's http_requests_total, observers' routes left out)
    Minimum("gateway", "http requests served", 1, "POST /api/orders"),
    Minimum("order", "http requests served", 1, "POST /orders, from the gateway"),
    Minimum(
        "user-auth",
        "http requests served",
        2,
        "order checks the user; notification asks the contact once per order",
    ),
    Minimum("product-catalog", "http requests served", 1, "order asks the price"),
    Minimum("inventory", "http requests served", 0, "events only"),
    Minimum("payment", "http requests served", 0, "events only"),
    Minimum("notification", "http requests served", 0, "events only"),
    # registry: none per order, and not compared: its look-ups follow the clock (one per
    # upstream per 5 s while calls flow), so their count per order follows the order rate;
    # printed below the table, discussed in docs/saga.md.
    # -- Kafka records produced (end offsets)
    Minimum("kafka", "produced order-created-events", 1, "OrderCreated"),
    Minimum("kafka", "produced inventory-reserved-events", 1, "InventoryReserved"),
    Minimum("kafka", "produced payment-completed-events", 1, "PaymentCompleted"),
    Minimum("kafka", "produced order-paid-events", 1, "OrderPaid"),
    Minimum(
        "kafka",
        "produced inventory-updated-events",
        1,
        "available stock changes once (the reservation); the sale moves reserved to sold",
    ),
    # -- Kafka records handled (committed offsets) per consumer group
    Minimum("kafka", "fetched order-created-events by inventory", 1, "reserves"),
    Minimum("kafka", "fetched order-created-events by notification", 1, "order mail"),
    Minimum("kafka", "fetched inventory-reserved-events by payment", 1, "charges"),
    Minimum("kafka", "fetched inventory-reserved-events by order", 1, "saga state"),
    Minimum("kafka", "fetched payment-completed-events by order", 1, "PAID"),
    Minimum("kafka", "fetched payment-completed-events by notification", 1, "receipt"),
    Minimum("kafka", "fetched order-paid-events by inventory", 1, "reserved -> sold"),
    Minimum("kafka", "fetched order-paid-events by notification", 1, "paid mail"),
    Minimum(
        "kafka",
        "fetched inventory-updated-events by product-catalog-inventory-updated",
        1,
        "cache eviction, per InventoryUpdated",
    ),
    # -- SQL: order (PostgreSQL `orders`)
    Minimum(
        "order",
        "sql transactions",
        5,
        "POST; InventoryReserved; PaymentCompleted; 2 relay rounds (OrderCreated, OrderPaid)",
    ),
    Minimum(
        "order",
        "sql statements",
        16,
        "POST 3 (order+lines, order_events, outbox); InventoryReserved 4 (inbox, order FOR "
        "UPDATE, update, order_events); PaymentCompleted 5 (the same + outbox); relay 2 x 2",
    ),
    Minimum("order", "sql control statements", 10, "BEGIN + COMMIT per transaction"),
    # -- SQL: payment (PostgreSQL `payments`)
    Minimum("payment", "sql transactions", 2, "InventoryReserved; 1 relay round"),
    Minimum(
        "payment",
        "sql statements",
        8,
        "inbox, order lock, existing payment/cancel check, payment, transaction, outbox; relay 2",
    ),
    Minimum("payment", "sql control statements", 4, "BEGIN + COMMIT per transaction"),
    # -- SQL: inventory (MariaDB `inventory`)
    Minimum(
        "inventory",
        "sql transactions",
        3,
        "OrderCreated; OrderPaid; 1 relay round (InventoryReserved + InventoryUpdated)",
    ),
    Minimum(
        "inventory",
        "sql statements",
        13,
        "OrderCreated 6 (inbox, stock FOR UPDATE, stock, reservation, tombstone FOR UPDATE "
        "against a cancellation handled at the same time, outbox rows in one INSERT); "
        "OrderPaid 5 (inbox, reservations FOR UPDATE, stock FOR UPDATE, stock, reservation); "
        "relay 2",
    ),
    Minimum("inventory", "sql control statements", 3, "COMMIT per transaction (no BEGIN)"),
    # -- SQL: the read-only lookups (MariaDB `users`, `products`). A read needs one
    # statement and no transaction of its own (autocommit): round trips = statements.
    Minimum("user-auth", "sql statements", 2, "the user (order), the contact (notification)"),
    Minimum("user-auth", "sql round trips", 2, "the 2 reads, in autocommit"),
    Minimum(
        "product-catalog",
        "sql statements",
        1,
        "the price: the product's cache entry was evicted by the last InventoryUpdated",
    ),
    Minimum("product-catalog", "sql round trips", 1, "the read, in autocommit"),
    # -- FerretDB (notification's log, which is also its inbox)
    Minimum(
        "notification",
        "mongo commands",
        6,
        "per event, one e-mail: a claim before the send and its log entry after (2 writes);"
        " a channel the user cannot receive (no phone: SMS) needs none",
    ),
    # -- spans exported to Zipkin: one trace per order (docs/observability.md), a server
    # span per request, a client span per outgoing call, a producer span per event sent
    # and a consumer span per event handled; and a client span per SQL statement, Redis and
    # Mongo command run inside those (no `connect` span per transaction: the kit unwraps
    # the SQL instrumentation's pool-checkout span). The relays' statements run outside any request:
    # their spans are never sampled (ecomkit.tracing.RequestRoots), so not counted here.
    Minimum(
        "gateway",
        "spans",
        4,
        "server span of the POST; client span of its upstream call; the rate limit's EVALSHA"
        " and the token denylist's MGET (Redis)",
    ),
    Minimum(
        "order",
        "spans",
        19,
        "POST; 2 lookups called; 2 events sent (OrderCreated, OrderPaid); 2 events handled;"
        " 12 statements (16 less the relay's 4)",
    ),
    Minimum("user-auth", "spans", 4, "2 lookups served; 2 reads"),
    Minimum(
        "product-catalog",
        "spans",
        6,
        "price lookup; InventoryUpdated handled; 1 read; Redis GET, SET (the price),"
        " DEL (the eviction)",
    ),
    Minimum(
        "inventory",
        "spans",
        15,
        "2 events handled; 2 sent (InventoryReserved, Updated); 11 statements (13 less the"
        " relay's 2)",
    ),
    Minimum(
        "payment",
        "spans",
        9,
        "1 event handled; the Stripe call; PaymentCompleted sent; 6 statements (8 less the"
        " relay's 2)",
    ),
    Minimum(
        "notification", "spans", 12, "3 events handled; 3 e-mails sent (SMTP); 6 Mongo commands"
    ),
)


def snapshot(sources: dict[str, Callable[[], c.Counts]]) -> c.Counts:
    found: c.Counts = {}
    for read in sources.values():
        found.update(read())
    return found


def sources_for(workspace: Path) -> tuple[dict[str, Callable[[], c.Counts]], dict[str, str], str]:
    """Readers of every counter of the running stack; SQL databases -> (service, dialect)."""
    from ecomctl.operations import target
    from ecomctl.runtime.services import metrics_token
    from ecomctl.scenarios.endpoints import for_workspace

    tgt = target(workspace=workspace, stack_file=None, create=False)
    ends = for_workspace(tgt.stack, tgt.workspace)
    scrape_token = metrics_token(tgt.workspace)
    offset = ends.port_offset
    infra = tgt.stack.infra
    services = {n: s for n, s in tgt.stack.services.items() if s.enabled}
    pg_dbs = {s.database: n for n, s in services.items() if s.database and "postgres" in s.uses}
    my_dbs = {s.database: n for n, s in services.items() if s.database and "mysql" in s.uses}
    pg, my = infra["postgres"], infra["mysql"]
    # the superuser (it has the stack's password): other roles see no statement text
    pg_dsn = f"postgresql://postgres:{pg.password}@127.0.0.1:{pg.port + offset}/postgres"
    sources: dict[str, Callable[[], c.Counts]] = {
        "postgres": lambda: c.postgres_counts(pg_dsn, pg_dbs),
        "mysql": lambda: c.mariadb_counts(
            "127.0.0.1", my.port + offset, my.user, my.password, my_dbs
        ),
        "kafka": lambda: c.kafka_counts(ends.kafka),
        "http": lambda: c.http_counts({n: ends.service(n) for n in services}, scrape_token),
    }
    if "mongo" in infra:
        mongo_url = f"mongodb://127.0.0.1:{infra['mongo'].port + offset}/"
        sources["mongo"] = lambda: c.mongo_counts(mongo_url)
    dialects = {n: "postgresql" for n in pg_dbs.values()} | {n: "mysql" for n in my_dbs.values()}
    zipkin = f"http://127.0.0.1:{infra['zipkin'].port + offset}" if "zipkin" in infra else ""
    return sources, dialects, zipkin


def figures(raw: c.Counts, dialects: dict[str, str]) -> c.Counts:
    """Raw counter deltas -> the figures compared (SQL folded per service)."""
    found = {k: v for k, v in raw.items() if "|sql." not in k}
    for service, dialect in dialects.items():
        found.update(c.sql_figures(raw, service, dialect))
    return found


def consumer_groups(bootstrap: str) -> dict[str, tuple[str, ...]]:
    counts = c.kafka_counts(bootstrap)
    groups: dict[str, set[str]] = {}
    for key in counts:
        if key.startswith("kafka|fetched "):
            topic, _, group = key.removeprefix("kafka|fetched ").partition(" by ")
            groups.setdefault(group, set()).add(topic)
    return {g: tuple(sorted(t)) for g, t in groups.items()}


async def measure(options: argparse.Namespace) -> dict[str, object]:
    sources, dialects, zipkin = sources_for(options.workspace)
    found = seed(options.workspace, via="gateway", users=10, products=10, stock=1_000_000)
    bootstrap = found.ends.kafka
    outcomes = Outcomes(bootstrap)
    await outcomes.start()
    try:
        await place(found, outcomes, options.warmup, 0, options.concurrency)
        groups = consumer_groups(bootstrap)
        await settle(bootstrap, groups)
        await asyncio.sleep(SPAN_EXPORT_S)  # the warm-up's spans out of the way
        before, started = snapshot(sources), time.time()
        tally = await place(found, outcomes, options.orders, options.warmup, options.concurrency)
        await settle(bootstrap, groups)
        await asyncio.sleep(SPAN_EXPORT_S)
        busy_end = time.time()
        after = snapshot(sources)
        window = busy_end - started
        await asyncio.sleep(window)  # the idle window, as long as the busy one
        idle_end = time.time()
        idle_after = snapshot(sources)
    finally:
        await outcomes.stop()
    busy, idle = c.delta(after, before), c.delta(idle_after, after)
    if zipkin:
        await asyncio.sleep(SPAN_EXPORT_S)  # the idle window's last spans
        busy.update(c.span_counts(zipkin, started, busy_end))
        idle.update(c.span_counts(zipkin, busy_end, idle_end))
    busy_f, idle_f = figures(busy, dialects), figures(idle, dialects)
    measured = c.per_order(busy_f, idle_f, options.orders)
    compared = c.compare(measured, MINIMUMS)
    return {
        "orders": options.orders,
        "paid": len(tally.latencies_ms),
        "errors": tally.errors,
        "window_s": round(window, 1),
        "compared": compared,
        "measured": measured,
        "idle_per_s": {k: v / window for k, v in idle_f.items() if abs(v) > 0},
        "raw_busy": busy,  # counter deltas before folding, for a closer look (--json)
        "raw_idle": idle,
    }


def report(result: dict[str, object], options: argparse.Namespace) -> int:
    compared: list[c.Compared] = result["compared"]  # type: ignore[assignment]
    measured: c.Counts = result["measured"]  # type: ignore[assignment]
    idle: c.Counts = result["idle_per_s"]  # type: ignore[assignment]
    load = c.loadavg()
    if options.json:
        print(
            json.dumps(
                {
                    **{k: v for k, v in result.items() if k not in ("compared",)},
                    "items": [
                        {
                            "service": x.minimum.service,
                            "figure": x.minimum.figure,
                            "per_order": round(x.measured, 3),
                            "minimum": x.minimum.per_order,
                            "ratio": x.ratio if x.ratio != float("inf") else None,
                        }
                        for x in compared
                    ],
                    "load": load,
                },
                indent=2,
            )
        )
    print(
        f"{result['paid']}/{result['orders']} orders PAID (errors: {result['errors'] or 'none'});"
        f" busy window {result['window_s']} s, then an idle window as long (subtracted)"
    )
    print(f"{'service':<16} {'figure':<66} {'/order':>7} {'min':>5} {'ratio':>6}")
    for x in sorted(compared, key=lambda x: (x.minimum.service, x.minimum.figure)):
        flag = "  <-- over" if x.ratio > TARGET else ""
        ratio = "inf" if x.ratio == float("inf") else f"{x.ratio:.2f}"
        print(
            f"{x.minimum.service:<16} {x.minimum.figure:<66} {x.measured:7.2f} "
            f"{x.minimum.per_order:5g} {ratio:>6}{flag}"
        )
    known = {x.minimum.key for x in compared}
    extra = sorted(k for k, v in measured.items() if k not in known and abs(v) >= 0.005)
    if extra:
        print("measured, no minimum (informational):")
        for key in extra:
            service, _, figure = key.partition("|")
            print(f"  {service:<16} {figure:<64} {measured[key]:7.2f}")
    if idle:
        print("idle background per second (subtracted):")
        for key in sorted(idle):
            if abs(idle[key]) >= 0.01:
                service, _, figure = key.partition("|")
                print(f"  {service:<16} {figure:<64} {idle[key]:7.2f}")
    ok = c.holds(compared, TARGET) and not result["errors"]
    print(c.verdict("saga_cost", compared, TARGET, int(result["orders"]), load))  # type: ignore[call-overload]
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", "-w", type=Path, required=True)
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    return report(asyncio.run(measure(options)), options)


if __name__ == "__main__":
    raise SystemExit(main())
