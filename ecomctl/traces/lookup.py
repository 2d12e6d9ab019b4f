"""From what the user typed (an order id or a trace id) to the trace's spans in Zipkin.

An order id is resolved by the order service itself (`GET /api/orders/{id}` answers the
`traceId` it recorded when the order was placed), called with a short-lived SERVICE token
signed with the workspace's own secret — ecomctl does not read another service's tables.
Spans reach Zipkin in batches (every few seconds per service), so a fresh trace is polled
until its last span is old enough for every batch to have arrived.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from ecomctl.errors import UsageError, UserError
from ecomctl.operations import Target
from ecomctl.traces.tree import TraceTree, build_tree
from ecomctl.traces.zipkin import ZipkinClient

ORDER_ID = re.compile(r"^[1-9][0-9]{0,18}$")
TRACE_ID = re.compile(r"^(?:[0-9a-f]{16}|[0-9a-f]{32})$")
TOKEN_TTL_S = 60
# The SDK's batch processor sends a service's spans at least every 5 s: a trace whose last
# span ended longer ago than this is all in Zipkin.
EXPORT_DELAY_S = 6.0
SERVICE_USER_ID = 0


@dataclass(frozen=True)
class OrderService:
    """Where the order service listens and how to sign a token it accepts."""

    base_url: str
    jwt_secret: str
    issuer: str
    audience: str


@dataclass(frozen=True)
class FoundTrace:
    tree: TraceTree
    order_id: int | None
    zipkin_url: str

    def to_json(self) -> dict[str, Any]:
        return {"orderId": self.order_id, "zipkinUrl": self.zipkin_url, **self.tree.to_json()}


def read_trace(*, tgt: Target, ref: str, wait_s: float = 15.0) -> FoundTrace:
    """The trace of an order (by id) or a trace id, from the workspace's running stack."""
    from ecomctl.scenarios.endpoints import for_workspace

    ends = for_workspace(tgt.stack, tgt.workspace)
    if not ends.zipkin:
        raise UserError("this stack has no Zipkin (infra: zipkin in ecomctl.yaml)")
    zipkin = ZipkinClient(ends.zipkin)
    try:
        return find_trace(ref=ref, zipkin=zipkin, orders=order_service(tgt), wait_s=wait_s)
    finally:
        zipkin.close()


def order_service(tgt: Target) -> OrderService | None:
    """The stack's order service, which answers an order's recorded trace id."""
    from ecomctl.runtime.services import JWT_AUDIENCE, JWT_ISSUER, jwt_secret
    from ecomctl.scenarios.endpoints import for_workspace

    order = next((n for n, s in tgt.stack.services.items() if s.template == "order"), None)
    if order is None:
        return None
    ends = for_workspace(tgt.stack, tgt.workspace)
    return OrderService(ends.service(order), jwt_secret(tgt.workspace), JWT_ISSUER, JWT_AUDIENCE)


def resolve_trace_id(ref: str, orders: OrderService | None) -> tuple[int | None, str]:
    """(the order id if `ref` is one, the trace id): an order's is asked of the order service."""
    order_id, trace_id = parse_ref(ref)
    if trace_id is not None:
        return None, trace_id
    assert order_id is not None
    if orders is None:
        raise UserError("this stack runs no order service: give a trace id instead")
    return order_id, trace_id_of_order(orders, order_id)


def parse_ref(ref: str) -> tuple[int | None, str | None]:
    """(order id, None) or (None, trace id); anything else is a usage error."""
    value = ref.strip().lower()
    if ORDER_ID.match(value):
        return int(value), None
    if TRACE_ID.match(value):
        return None, value
    raise UsageError(
        f"{ref!r} is neither an order id (a number) nor a trace id (16 or 32 hex digits)"
    )


def find_trace(
    *,
    ref: str,
    zipkin: ZipkinClient,
    orders: OrderService | None,
    wait_s: float = 15.0,
    poll_s: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> FoundTrace:
    order_id, trace_id = resolve_trace_id(ref, orders)
    spans = wait_for_spans(zipkin, trace_id, wait_s=wait_s, poll_s=poll_s, sleep=sleep)
    return FoundTrace(build_tree(spans), order_id, zipkin.ui_url(trace_id))


def wait_for_spans(
    zipkin: ZipkinClient,
    trace_id: str,
    *,
    wait_s: float,
    poll_s: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> list[dict[str, Any]]:
    """The trace once it is complete: its last span ended over EXPORT_DELAY_S ago (every
    service has sent its batch since) — at once for an old trace — or whatever Zipkin
    holds when `wait_s` is over (a saga still running)."""
    deadline = time.monotonic() + wait_s
    while True:
        spans = zipkin.trace(trace_id)
        if spans and clock() - last_end_s(spans) >= EXPORT_DELAY_S:
            return spans
        if time.monotonic() >= deadline:
            if spans:
                return spans
            raise UserError(
                f"trace {trace_id} is not in Zipkin (waited {wait_s:.0f} s)",
                hint="services send spans in batches every few seconds; "
                "try again, and check that the services run with ECOM_ZIPKIN_URL set",
            )
        sleep(poll_s)


def last_end_s(spans: list[dict[str, Any]]) -> float:
    """When the trace's last span ended (Zipkin times are microseconds since the epoch)."""
    return max(int(s.get("timestamp") or 0) + int(s.get("duration") or 0) for s in spans) / 1e6


def trace_id_of_order(orders: OrderService, order_id: int) -> str:
    token = service_token(orders.jwt_secret, issuer=orders.issuer, audience=orders.audience)
    url = f"{orders.base_url.rstrip('/')}/api/orders/{order_id}"
    try:
        response = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5.0)
    except httpx.TransportError as error:
        raise UserError(
            f"the order service is not answering at {orders.base_url} ({type(error).__name__})",
            hint="is the stack up? (`ecomctl status`); or give the trace id instead",
        ) from error
    if response.status_code == 404:
        raise UserError(f"no order {order_id} in this stack")
    if response.status_code != 200:
        raise UserError(
            f"the order service answered {response.status_code} for order {order_id}: "
            f"{response.text[:200]}"
        )
    trace_id = response.json().get("traceId")
    if not trace_id:
        raise UserError(
            f"order {order_id} has no recorded trace id (placed before the order service "
            "recorded them, or without tracing)"
        )
    return str(trace_id)


def service_token(secret: str, *, issuer: str, audience: str, ttl_s: int = TOKEN_TTL_S) -> str:
    """An HS256 access token with the SERVICE role, as the services issue to each other."""
    now = int(time.time())
    claims = {
        "sub": str(SERVICE_USER_ID),
        "username": "ecomctl",
        "roles": ["SERVICE"],
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + ttl_s,
        "jti": uuid.uuid4().hex,
        "typ": "access",
    }
    header = _b64({"alg": "HS256", "typ": "JWT"})
    payload = _b64(claims)
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256)
    return f"{header}.{payload}.{_b64url(signature.digest())}"


def _b64(value: dict[str, Any]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode())


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
