"""Counters the servers keep, read as flat `{"<service>|<figure>": count}` snapshots, so
that two snapshots subtract and an idle window of the same length subtracts from a busy one.

Where each count comes from (no sampling, no timing: the same work gives the same count):

- PostgreSQL: `pg_stat_database` (xact_commit + xact_rollback) per service database, and
  `pg_stat_statements` calls per database and statement (the PostgreSQL component preloads
  the module; the view lives in the `postgres` database).
- MariaDB: performance_schema's `events_statements_summary_by_digest`, whose SCHEMA_NAME
  splits the one shared server (and its one user) by service database; `SHOW GLOBAL
  STATUS` Com_* and Handler_commit for the whole server as a cross-check.
- Kafka: the end offset of every partition (records produced per topic) and every consumer
  group's committed offsets (records fetched and handled per group and topic).
- HTTP: each service's `http_requests_total` (the kit's MetricsMiddleware, by route);
  /metrics and /health/* are the observers' own requests and are left out.
- Spans: Zipkin's API, spans per service (localEndpoint) whose start falls in a window.
- FerretDB: `serverStatus` metrics.commands (notification's log is the saga's only Mongo
  work; reviews are not touched by an order).

The pure functions (classification, parsing, arithmetic, the verdict) are unit tested in
tests/unit/test_bench_counters.py.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Counts = dict[str, float]

# --- classifying statements ---------------------------------------------------------------

_CONTROL = re.compile(
    r"^\s*(BEGIN|START\s+TRANSACTION|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SET|SHOW|RESET|"
    r"DISCARD|DEALLOCATE|SELECT\s+@@)",
    re.IGNORECASE,
)
_COMMIT = re.compile(r"^\s*COMMIT\b", re.IGNORECASE)
_ROLLBACK = re.compile(r"^\s*ROLLBACK\b(?!\s+TO)", re.IGNORECASE)
# The outbox relay's round (ecomkit.outbox.OutboxRelay.publish_pending): it locks a batch
# with FOR UPDATE SKIP LOCKED and, only when it published something, marks it.
_RELAY_LOCK = re.compile(r"\bFROM\s+`?outbox`?\b.*\bSKIP\s+LOCKED\b", re.IGNORECASE | re.DOTALL)
_RELAY_MARK = re.compile(r"^\s*UPDATE\s+`?outbox`?\s+SET\s+`?published_at`?", re.IGNORECASE)
_BEGIN = re.compile(r"^\s*(BEGIN|START\s+TRANSACTION)\b", re.IGNORECASE)
_SET = re.compile(r"^\s*SET\b", re.IGNORECASE)


def statement_kind(text: str) -> str:
    """'relay_lock', 'relay_mark', 'commit', 'rollback', 'begin', 'set', 'control' or
    'data'."""
    for kind, pattern in (
        ("relay_lock", _RELAY_LOCK),
        ("relay_mark", _RELAY_MARK),
        ("commit", _COMMIT),
        ("rollback", _ROLLBACK),
        ("begin", _BEGIN),
        ("set", _SET),
        ("control", _CONTROL),
    ):
        if pattern.search(text):
            return kind
    return "data"


def statement_counts(service: str, rows: Iterable[tuple[str, float]]) -> Counts:
    """(statement text, calls) rows of one database -> its counters by kind."""
    found: Counts = {}
    for text, calls in rows:
        key = f"{service}|sql.{statement_kind(text)}"
        found[key] = found.get(key, 0.0) + float(calls)
    return found


# Control statements of one relay round that found nothing, besides its lock, as
# pg_stat_statements and the digest table see them. PostgreSQL (asyncpg via SQLAlchemy):
# BEGIN and COMMIT; its SET LOCAL synchronous_commit goes over the extended protocol and
# is not counted by pg_stat_statements (2 calls against ~1,500 rounds in a test), although
# it is a round trip. MariaDB (asyncmy): COMMIT (no BEGIN is sent; autocommit is off).
EMPTY_ROUND_CONTROL = {"postgresql": 2, "mysql": 1}


def sql_figures(counts: Mapping[str, float], service: str, dialect: str) -> Counts:
    """A service's SQL figures from its raw counters (a delta), with two kinds of timer-driven
    background taken out exactly, since a busy window has fewer of them than an idle one:

    - the relay's empty rounds (its 0.2 s poll when nothing is waiting; every woken round
      restarts the timer): a lock statement with no mark after it;
    - on PostgreSQL, the pool's pre-ping of a connection idle for over a second (the kit's
      pool hands out connections in turn, so how many are idle that long depends on the
      traffic): SQLAlchemy's asyncpg adapter sends BEGIN, an empty query (not counted)
      and ROLLBACK. No other PostgreSQL work on the saga's path ends with a ROLLBACK
      (asyncpg returns a connection without one when no transaction is open), so its
      ROLLBACKs are these pings. MariaDB's pings are protocol pings, not statements.

    Figures: transactions (COMMIT and ROLLBACK statements, less the above), statements
    (data: SELECT/INSERT/UPDATE/DELETE/WITH, the relay's own included), control statements
    (BEGIN, SET, COMMIT, ROLLBACK, ...: round trips that carry no data), round trips (the
    two together), and what was taken out. pg_stat_database's own transaction count is
    shown beside them: it is flushed by each backend at most once a second, so a snapshot
    misses a varying share of the last second's.
    """

    def get(name: str) -> float:
        return float(counts.get(f"{service}|{name}", 0.0))

    empty = max(0.0, get("sql.relay_lock") - get("sql.relay_mark"))
    pings = get("sql.rollback") if dialect == "postgresql" else 0.0
    data = get("sql.data") + get("sql.relay_lock") + get("sql.relay_mark") - empty
    ends = get("sql.commit") + get("sql.rollback")
    control = get("sql.begin") + get("sql.set") + get("sql.control") + ends
    control -= empty * EMPTY_ROUND_CONTROL[dialect] + pings * 2
    found = {
        f"{service}|sql transactions": ends - empty - pings,
        f"{service}|sql statements": data,
        f"{service}|sql control statements": control,
        f"{service}|sql round trips": data + control,
        f"{service}|relay rounds that published": get("sql.relay_mark"),
        f"{service}|relay empty polls (taken out)": empty,
    }
    if dialect == "postgresql":
        found[f"{service}|pool pings (taken out)"] = pings
        found[f"{service}|transactions by pg_stat_database"] = get("sql.xacts")
    return found


# --- arithmetic on snapshots ----------------------------------------------------------------


def delta(after: Mapping[str, float], before: Mapping[str, float]) -> Counts:
    return {k: float(after.get(k, 0.0)) - float(before.get(k, 0.0)) for k in {*after, *before}}


def per_order(busy: Mapping[str, float], idle: Mapping[str, float], orders: int) -> Counts:
    """(busy window - idle window of the same length) / orders, key by key."""
    return {k: (busy.get(k, 0.0) - idle.get(k, 0.0)) / orders for k in {*busy, *idle}}


# --- Prometheus text ------------------------------------------------------------------------

# label values may hold braces themselves (route="/api/users/{user_id}")
_SAMPLE = re.compile(
    r'^(?P<name>[a-zA-Z_:][\w:]*)(?:\{(?P<labels>(?:[^"}]|"(?:[^"\\]|\\.)*")*)\})?'
    r"\s+(?P<value>\S+)"
)
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
OBSERVER_ROUTES = frozenset({"/metrics", "/health/live", "/health/ready"})


def prometheus_samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """Every sample of metric `name` in a Prometheus text exposition: (labels, value)."""
    found = []
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if not match or match["name"] != name:
            continue
        labels = dict(_LABEL.findall(match["labels"] or ""))
        found.append((labels, float(match["value"])))
    return found


def http_requests(text: str) -> float:
    """Requests a service served, from the kit's http_requests_total, except the observers'
    own (/metrics scrapes, health checks), plus the gateway's proxied requests
    (gateway_requests_total, its own counter of what it forwards)."""
    own = sum(
        value
        for labels, value in prometheus_samples(text, "http_requests_total")
        if labels.get("route") not in OBSERVER_ROUTES
    )
    return own + sum(value for _labels, value in prometheus_samples(text, "gateway_requests_total"))


def worker_id(text: str) -> str:
    """Which process answered a scrape: a service with several workers (the gateway) keeps
    counters per process, and each scrape reaches one of them."""
    for _labels, value in prometheus_samples(text, "process_start_time_seconds"):
        return repr(value)
    return "?"


# --- design minimum and verdict -------------------------------------------------------------


@dataclass(frozen=True)
class Minimum:
    service: str
    figure: str
    per_order: float
    why: str

    @property
    def key(self) -> str:
        return f"{self.service}|{self.figure}"


@dataclass(frozen=True)
class Compared:
    minimum: Minimum
    measured: float

    @property
    def ratio(self) -> float:
        """measured / minimum; a figure whose minimum is 0 is 0 while under 0.05 per order
        (background the idle window did not quite cancel) and infinite above."""
        if self.minimum.per_order == 0:
            return 0.0 if self.measured < 0.05 else float("inf")
        return max(0.0, self.measured) / self.minimum.per_order


def compare(measured: Mapping[str, float], minimums: Iterable[Minimum]) -> list[Compared]:
    return [Compared(m, float(measured.get(m.key, 0.0))) for m in minimums]


def worst(compared: list[Compared]) -> Compared:
    return max(compared, key=lambda c: c.ratio)


def verdict(name: str, compared: list[Compared], target: float, orders: int, load: str) -> str:
    top = worst(compared)
    ratio = "inf" if top.ratio == float("inf") else f"{top.ratio:.2f}"
    item = (
        f"{top.minimum.service} {top.minimum.figure} {top.measured:.2f}/order vs minimum "
        f"{top.minimum.per_order:g}"
    )
    return f"{name}: ratio={ratio} target<={target} ({item}, {orders} orders, load {load})"


def holds(compared: list[Compared], target: float) -> bool:
    return all(c.ratio <= target for c in compared)


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


# --- collectors (talk to the servers) -------------------------------------------------------


def postgres_counts(dsn: str, databases: Mapping[str, str]) -> Counts:
    """databases: database name -> service. Needs pg_stat_statements in `postgres`."""
    import psycopg

    found: Counts = {}
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
        for datname, commits, rollbacks in conn.execute(
            "select datname, xact_commit, xact_rollback from pg_stat_database"
        ).fetchall():
            if datname in databases:
                found[f"{databases[datname]}|sql.xacts"] = float(commits + rollbacks)
        rows = conn.execute(
            "select d.datname, s.query, s.calls from pg_stat_statements s "
            "join pg_database d on d.oid = s.dbid"
        ).fetchall()
    for datname, query, calls in rows:
        if datname in databases:
            for key, value in statement_counts(databases[datname], [(query, calls)]).items():
                found[key] = found.get(key, 0.0) + value
    return found


MARIADB_GLOBAL = (
    "Com_select",
    "Com_insert",
    "Com_update",
    "Com_delete",
    "Com_begin",
    "Com_commit",
    "Com_rollback",
    "Handler_commit",
    "Handler_rollback",
    "Performance_schema_digest_lost",
)


def mariadb_counts(
    host: str, port: int, user: str, password: str, databases: Mapping[str, str]
) -> Counts:
    import pymysql

    found: Counts = {}
    conn = pymysql.connect(host=host, port=port, user=user, password=password, connect_timeout=5)
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "select schema_name, digest_text, count_star "
                "from performance_schema.events_statements_summary_by_digest"
            )
            for schema, text, calls in cursor.fetchall():
                if schema in databases and text:
                    for key, value in statement_counts(databases[schema], [(text, calls)]).items():
                        found[key] = found.get(key, 0.0) + value
            cursor.execute("show global status")
            for name, value in cursor.fetchall():
                if name in MARIADB_GLOBAL:
                    found[f"mariadb (whole server)|{name}"] = float(value)
    finally:
        conn.close()
    return found


def kafka_counts(bootstrap: str) -> Counts:
    """Records produced per topic (sum of end offsets) and committed per consumer group and
    topic (the bench's own groups and the internal topics left out)."""
    from confluent_kafka import ConsumerGroupTopicPartitions
    from confluent_kafka.admin import AdminClient

    from ecomctl.scenarios.kafka import EventLog

    log = EventLog(bootstrap)
    topics = [t for t in log.topics() if not t.startswith("bench-")]
    found: Counts = {}
    for topic, partitions in log.end_offsets(topics).items():
        found[f"kafka|produced {topic}"] = float(sum(partitions.values()))
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 4})
    listed = admin.list_consumer_groups(request_timeout=10).result()
    groups = [g.group_id for g in listed.valid if not g.group_id.startswith(("bench-", "ecomctl-"))]
    for group in sorted(groups):
        request = [ConsumerGroupTopicPartitions(group)]
        committed = admin.list_consumer_group_offsets(request)[group].result()
        for tp in committed.topic_partitions:
            if tp.offset >= 0 and tp.topic in topics:
                key = f"kafka|fetched {tp.topic} by {group}"
                found[key] = found.get(key, 0.0) + float(tp.offset)
    return found


SCRAPES = 16  # per service: enough to reach every worker of a multi-process one


def http_counts(services: Mapping[str, str], metrics_token: str = "") -> Counts:
    """services: name -> base URL. Each service is scraped SCRAPES times on new
    connections and the counts of every distinct worker process are added up.
    `metrics_token` opens the gateway's /metrics (ADMIN-only otherwise)."""
    found: Counts = {}
    auth = {"Authorization": f"Bearer {metrics_token}"} if metrics_token else {}
    for name, base in services.items():
        workers: dict[str, float] = {}
        for _ in range(SCRAPES):
            scrape = urllib.request.Request(f"{base}/metrics", headers=auth)
            with urllib.request.urlopen(scrape, timeout=5) as response:
                text = response.read().decode()
            workers[worker_id(text)] = http_requests(text)
        found[f"{name}|http requests served"] = sum(workers.values())
        found[f"{name}|http worker processes seen"] = float(len(workers))
    return found


def mongo_counts(url: str) -> Counts:
    from pymongo import MongoClient

    client: MongoClient[Any] = MongoClient(url, serverSelectionTimeoutMS=5000)
    try:
        status = client.admin.command("serverStatus")
    finally:
        client.close()
    commands = status.get("metrics", {}).get("commands", {})
    data = ("insert", "update", "delete", "find", "findAndModify", "getMore", "aggregate", "count")
    found = {f"notification|mongo {c}": float(commands.get(c, {}).get("total", 0)) for c in data}
    found["notification|mongo commands"] = sum(found.values())
    return found


def span_counts(zipkin: str, start_s: float, end_s: float) -> Counts:
    """Spans per service whose start falls in [start_s, end_s) (epoch seconds)."""
    end_ms, lookback_ms = int(end_s * 1000), int((end_s - start_s) * 1000) + 1
    url = f"{zipkin}/api/v2/traces?endTs={end_ms}&lookback={lookback_ms}&limit=1000000"
    with urllib.request.urlopen(url, timeout=60) as response:
        traces = json.load(response)
    return count_spans(traces, start_s, end_s)


def count_spans(traces: list[list[dict[str, Any]]], start_s: float, end_s: float) -> Counts:
    seen: set[tuple[str, str, str]] = set()
    found: Counts = {}
    for trace in traces:
        for span in trace:
            started = span.get("timestamp", 0) / 1e6
            if not start_s <= started < end_s:
                continue
            service = (span.get("localEndpoint") or {}).get("serviceName", "?")
            ident = (span.get("traceId", ""), span.get("id", ""), service)
            if ident in seen:  # a shared span id (server half and client half)
                continue
            seen.add(ident)
            found[f"{service}|spans"] = found.get(f"{service}|spans", 0.0) + 1
    return found
