"""Per-request / per-message values that logs, outgoing calls and new events carry along."""

from __future__ import annotations

import uuid
from contextvars import ContextVar

correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_id() -> str:
    return uuid.uuid4().hex


def current_correlation_id() -> str | None:
    return correlation_id_var.get()
