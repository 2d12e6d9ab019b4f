"""Database engine and the unit of work that writes domain events to the outbox.

The outbox lives in the unit of work (STYLE): `commit()` inserts the collected events in
the same transaction as the aggregate's change, so a state change never goes without its
event and no event goes out for a change that was rolled back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Self

from sqlalchemy import event as sa_event
from sqlalchemy import exc, insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext import asyncio as sa_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from ecomkit.context import current_correlation_id
from ecomkit.events import (
    HEADER_CORRELATION_ID,
    HEADER_EVENT_TYPE,
    Envelope,
    Event,
    envelope_payload,
)
from ecomkit.tables import outbox_table
from ecomkit.tracing import current_trace_headers, trace_sql_statements

log = logging.getLogger(__name__)

# Plain URLs (as ecomctl and the test fixtures hand them out) get the async driver.
ASYNC_DRIVERS = {
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "mysql": "mysql+asyncmy",
    "mariadb": "mysql+asyncmy",
}


def async_url(url: str) -> str:
    parsed = make_url(url)
    driver = ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        return url
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def create_engine(url: str, *, ping_after_idle_s: float = 1.0, **overrides: Any) -> AsyncEngine:
    """An engine whose pool survives a database restart (idle ping, recycle).

    The pool holds what a busy service uses at once (requests, the consumer's concurrent
    handlers, the relay): connections beyond it are opened and closed per checkout, and
    each new one costs a TLS probe and a login.
    """
    options: dict[str, Any] = {
        "pool_size": 15,
        "max_overflow": 10,
        "pool_recycle": 1800,
        "pool_timeout": 10,
    }
    driver_url = async_url(url)
    if (
        make_url(driver_url).get_backend_name() == "mysql"
        and "pool_reset_on_return" not in overrides
    ):
        options["pool_reset_on_return"] = None  # see rollback_only_open_transactions
    options.update(overrides)
    trace_sql_statements()
    # Looked up now: the instrumentation wraps the module's factory with one that traces
    # the engine's statements.
    engine = sa_asyncio.create_async_engine(driver_url, **options)
    if options.get("pool_reset_on_return", "rollback") is None:
        rollback_only_open_transactions(engine)
    if not options.get("pool_pre_ping"):
        ping_when_idle(engine, after_s=ping_after_idle_s)
    return engine


def create_read_engine(url: str, **overrides: Any) -> AsyncEngine:
    """An engine for reads of one statement, its connections in autocommit.

    On the unit of work's engine a read is a transaction: after the SELECT, the session
    ends it with a ROLLBACK (MySQL opens one with the first statement; asyncpg sends BEGIN
    before it), a round trip that undoes nothing. Here the SELECT is the only one. A read of
    several statements sees no common snapshot on this engine, so it stays on the other.
    The isolation level is set once per connection, when it is opened, not per checkout.
    """
    options: dict[str, Any] = {"pool_size": 5, "max_overflow": 10}
    options.update(overrides)
    return create_engine(url, isolation_level="AUTOCOMMIT", **options)


def rollback_only_open_transactions(engine: AsyncEngine) -> None:
    """Roll a MySQL connection back only if the server says a transaction is open.

    The pool rolls back every connection it takes back, and a session ends every unit of
    work that did not commit with a rollback: after a commit, or a read on an autocommit
    connection, that is a ROLLBACK round trip with nothing to undo (asyncpg skips it by
    itself, the MySQL driver does not): about 15 per order across the MySQL services. The
    server reports an open transaction in every reply's status flags, so the connection
    knows without asking; one left in a transaction is rolled back as before.
    """

    @sa_event.listens_for(engine.sync_engine.pool, "reset")
    def _rollback_if_open(dbapi_connection: Any, record: ConnectionPoolEntry, state: Any) -> None:
        if not state.asyncio_safe or state.transaction_was_reset:
            return  # being thrown away, or the Connection rolled it back already
        if _transaction_open(dbapi_connection):
            dbapi_connection.rollback()

    dialect = engine.sync_engine.dialect
    rollback = dialect.do_rollback

    def _session_rollback_if_open(dbapi_connection: Any) -> None:
        if _transaction_open(dbapi_connection):
            rollback(dbapi_connection)

    # This engine's own dialect instance (each engine has one): no other engine changes.
    setattr(dialect, "do_rollback", _session_rollback_if_open)  # noqa: B010


def _transaction_open(dbapi_connection: Any) -> bool:
    """From the last reply's status flags; True when the driver cannot tell."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    in_transaction = getattr(driver, "get_transaction_status", None)
    return in_transaction is None or bool(in_transaction())


def ping_when_idle(engine: AsyncEngine, *, after_s: float) -> None:
    """Check a pooled connection on checkout only if it sat idle for `after_s` or longer.

    SQLAlchemy's `pool_pre_ping` pings on every checkout: a round trip per transaction,
    3-9 % of a busy service's CPU. A connection handed back moments ago was alive then
    (HikariCP skips its check for 500 ms on the same reasoning); one that idled longer
    may have been closed by a database restart, so it is pinged, and a dead one is
    replaced before anyone uses it (DisconnectionError makes the pool reconnect).
    """
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    @sa_event.listens_for(pool, "checkin")
    def _idle_from(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @sa_event.listens_for(pool, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < after_s:
            return  # new, or back in the pool a moment ago
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError(f"pooled connection is gone: {error}") from error
        if not alive:
            raise exc.DisconnectionError("pooled connection did not answer its ping")


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def outbox_row(event: Event, *, source: str) -> dict[str, Any]:
    """The outbox row for an event; its payload is the whole envelope the relay publishes.

    `created_at` and `seq` are the database's; `seq`, drawn at insert, is the order the
    relay publishes in (rows of one statement are numbered in the order given here).
    """
    envelope = Envelope(
        type=event.type,
        source=source,
        subject=event.subject,
        data=event.data,
        schema_version=event.schema_version,
    )
    headers = {HEADER_EVENT_TYPE: event.type, **current_trace_headers()}
    correlation_id = current_correlation_id()
    if correlation_id:
        headers[HEADER_CORRELATION_ID] = correlation_id
    return {
        "id": str(envelope.id),
        "aggregate_type": event.aggregate_type or event.topic.split("-", 1)[0],
        "aggregate_id": event.aggregate_id,
        "event_type": event.type,
        "topic": event.topic,
        "message_key": event.key,
        "payload": envelope_payload(envelope),
        "headers": headers,
        "attempts": 0,
    }


CommittedEvents = Callable[[Sequence[Event]], None]


class OutboxSignal:
    """Wakes this process's outbox relays as soon as a unit of work committed outbox rows,
    so an event leaves within milliseconds instead of at the relay's next poll (the poll
    stays, as the fallback for rows other processes write).

    It also tells `listen`ers which events were committed: a service counts its business
    metrics (orders paid, revenue, stock-outs) from its own committed events, so a rolled
    back attempt counts nothing and the counting lives in one place per service.
    """

    def __init__(self) -> None:
        self._events: set[asyncio.Event] = set()
        self._listeners: list[CommittedEvents] = []

    def listen(self, listener: CommittedEvents) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)

    def subscribe(self) -> asyncio.Event:
        event = asyncio.Event()
        self._events.add(event)
        return event

    def unsubscribe(self, event: asyncio.Event) -> None:
        self._events.discard(event)

    def notify(self, committed: Sequence[Event] = ()) -> None:
        for listener in self._listeners:
            try:
                listener(committed)
            except Exception:  # a metric must never fail a commit that happened
                log.exception("a listener of committed events failed")
        for event in list(self._events):
            # A relay left behind on a closed event loop (tests) must not break a commit.
            with contextlib.suppress(RuntimeError):
                event.set()


outbox_committed = OutboxSignal()


class SqlUnitOfWork:
    """`async with uow: ...; uow.add_event(e); await uow.commit()` — leaving without a
    commit rolls back (and the collected events are dropped with the change)."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], *, source: str) -> None:
        self._session_factory = session_factory
        self.source = source
        self._session: AsyncSession | None = None
        self.events: list[Event] = []

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is used outside `async with`")
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self._session_factory()
        self.events = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.rollback()
        finally:
            await self.session.close()
            self._session = None

    def add_event(self, event: Event) -> None:
        self.events.append(event)

    async def commit(self) -> None:
        wrote_outbox = bool(self.events)
        if wrote_outbox:
            rows = [outbox_row(e, source=self.source) for e in self.events]
            await self.session.execute(insert(outbox_table), rows)
        await self.session.commit()
        committed, self.events = self.events, []
        if wrote_outbox:
            outbox_committed.notify(committed)

    async def rollback(self) -> None:
        self.events = []
        await self.session.rollback()
