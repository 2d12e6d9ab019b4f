"""A CLIENT span per Redis command and pipeline, for a third of the official instrumentation's cost.

`opentelemetry-instrumentation-redis` makes each command's span current, then sets its
attributes one call at a time (each validated under a lock) and asks the connection pool
for its address again: 60-100 us of CPU a command here, against about 20 us for one
`start_span` with its attributes in hand, and 4 us for the kit's leaf span
(`ecomkit.leaf_spans`). Every read through the gateway asks Redis twice
(the rate limit and the revocation denylist) and the service once more, so that difference
was a visible part of what tracing costs a read (tracing_cost in docs/benchmarks.md).

The spans keep the official names and tags (the command as the name, `db.system`,
`db.statement` with the arguments masked, the server's address), and are made only when the
caller's span records: a command outside any sampled request (a readiness ping, a
heartbeat) costs nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Tracer

from ecomkit.leaf_spans import start_leaf

__all__ = ["instrument_redis", "statement_of"]

STATEMENT_MAX = 1000

# The tracer the wrapped methods use: the latest one `instrument_redis` was given.
_tracer: Tracer = trace.get_tracer("ecomkit")


def statement_of(args: Sequence[Any]) -> str:
    """The command with its arguments masked (`MGET ? ?`): keys and values can be personal."""
    if not args:
        return ""
    text = " ".join([str(args[0]), *("?" * (len(args) - 1))])
    return text if len(text) <= STATEMENT_MAX else text[: STATEMENT_MAX - 3] + "..."


def _server_attributes(client: Any) -> dict[str, Any]:
    """The pool's address, once per pool (it does not change while the pool lives)."""
    pool = client.connection_pool
    known: dict[str, Any] | None = getattr(pool, "_ecomkit_span_attributes", None)
    if known is None:
        kwargs = pool.connection_kwargs
        known = {"db.system": "redis", "db.redis.database_index": int(kwargs.get("db", 0) or 0)}
        if "path" in kwargs:
            known["net.peer.name"] = str(kwargs["path"])
            known["net.transport"] = "unix"
        else:
            known["net.peer.name"] = str(kwargs.get("host", "localhost"))
            known["net.peer.port"] = int(kwargs.get("port", 6379))
            known["net.transport"] = "ip_tcp"
        pool._ecomkit_span_attributes = known
    return known


async def _in_span(name: str, attributes: dict[str, Any], call: Awaitable[Any]) -> Any:
    """Awaits `call` under a CLIENT span; an exception marks the span failed."""
    span = start_leaf(_tracer, name, attributes)
    if span is None:  # the caller's span stopped recording meanwhile
        return await call
    try:
        return await call
    except Exception as error:
        span.fail(error)
        raise
    finally:
        span.end()


def _traced_command(original: Any) -> Any:
    async def execute_command(self: Any, *args: Any, **options: Any) -> Any:
        if not trace.get_current_span().is_recording():
            return await original(self, *args, **options)
        attributes = {**_server_attributes(self), "db.statement": statement_of(args)}
        name = str(args[0]) if args else "redis"
        return await _in_span(name, attributes, original(self, *args, **options))

    execute_command.__wrapped__ = original  # type: ignore[attr-defined]
    return execute_command


def _traced_pipeline(original: Any) -> Any:
    async def execute(self: Any, *args: Any, **options: Any) -> Any:
        if not trace.get_current_span().is_recording() or not self.command_stack:
            return await original(self, *args, **options)
        commands = [command[0] for command in self.command_stack]
        attributes = {
            **_server_attributes(self),
            "db.statement": "\n".join(statement_of(c) for c in commands),
            "db.redis.pipeline_length": len(commands),
        }
        name = " ".join(dict.fromkeys(str(c[0]) for c in commands if c)) or "pipeline"
        return await _in_span(name, attributes, original(self, *args, **options))

    execute.__wrapped__ = original  # type: ignore[attr-defined]
    return execute


def instrument_redis(tracer: Tracer | None = None) -> None:
    """Wraps redis-py's asyncio client (the one the kit and the services use), once a
    process; the spans come from `tracer` (the latest one given), or the kit's."""
    global _tracer
    from redis.asyncio.client import Pipeline, Redis

    if tracer is not None:
        _tracer = tracer
    if hasattr(Redis.execute_command, "__wrapped__"):
        return
    Redis.execute_command = _traced_command(Redis.execute_command)  # type: ignore[method-assign]
    Pipeline.execute = _traced_pipeline(Pipeline.execute)  # type: ignore[method-assign]
